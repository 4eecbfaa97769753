// The provenance a model image carries (pure): an SLSA v1 provenance predicate, attached by
// `cosign attest` as an in-toto statement whose subject is the image digest. What the stack says
// about the model (source, training run, dataset) is in `externalParameters`; what the image was
// built from (the base image, every model file by sha256) in `resolvedDependencies`. Same inputs,
// same predicate: no timestamps, no host names.
//
// The field paths below are shared with the Kyverno policy (which requires them at admission) and
// the policy pack (which requires them at preview), so the three cannot drift apart.
import { version as packageVersion } from "../../package.json";
import type { ProvenanceConfig, ProvenanceField } from "../config/schema";

export const SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1";
/** What kind of build this is: a modelcar image composed from a model directory. */
export const MODELSHIP_BUILD_TYPE = "https://modelship.dev/buildtypes/modelcar/v1";
export const MODELSHIP_BUILDER_ID = "https://modelship.dev/builder";
/** modelship's version, recorded as the builder's version. */
export const MODELSHIP_VERSION: string = packageVersion;

/** Where each provenance field sits in the predicate (JSON path below `predicate`). */
export const PROVENANCE_FIELD_PATHS: Readonly<Record<ProvenanceField, string[]>> = {
    sourceRepository: ["buildDefinition", "externalParameters", "source", "repository"],
    sourceRevision: ["buildDefinition", "externalParameters", "source", "revision"],
    trainingRunId: ["buildDefinition", "externalParameters", "trainingRunId"],
    datasetHash: ["buildDefinition", "externalParameters", "datasetHash"],
};

export interface ProvenanceInput {
    modelName: string;
    version: string;
    /** The base image, `host/repo@sha256:…`. */
    baseImage: string;
    /** sha256 of every regular file of the model directory, by path relative to it. */
    files: Record<string, string>;
    provenance?: ProvenanceConfig;
}

interface ResourceDescriptor {
    name?: string;
    uri?: string;
    digest: Record<string, string>;
}

/** The SLSA v1 provenance predicate of a model image. */
export function slsaProvenancePredicate(input: ProvenanceInput): Record<string, unknown> {
    const p = input.provenance ?? {};
    const base = /^(.+)@sha256:([a-f0-9]{64})$/.exec(input.baseImage);
    if (!base) throw new Error(`baseImage must be pinned by digest to be recorded in provenance, got "${input.baseImage}"`);
    const externalParameters: Record<string, unknown> = {
        model: { name: input.modelName, version: input.version },
        ...(p.sourceRepository || p.sourceRevision
            ? { source: { ...(p.sourceRepository ? { repository: p.sourceRepository } : {}), ...(p.sourceRevision ? { revision: p.sourceRevision } : {}) } }
            : {}),
        ...(p.trainingRunId ? { trainingRunId: p.trainingRunId } : {}),
        ...(p.datasetHash ? { datasetHash: p.datasetHash } : {}),
    };
    const dependencies: ResourceDescriptor[] = [
        { name: "base-image", uri: `oci://${base[1]}`, digest: { sha256: base[2] } },
        ...Object.keys(input.files)
            .sort()
            .map((file) => {
                const hex = /^sha256:([a-f0-9]{64})$/.exec(input.files[file]);
                if (!hex) throw new Error(`file digest of ${file} must be sha256:<64 hex>, got "${input.files[file]}"`);
                return { name: `models/${file}`, digest: { sha256: hex[1] } };
            }),
    ];
    if (p.datasetHash) {
        const [algorithm, hex] = p.datasetHash.split(":");
        dependencies.push({ name: "dataset", digest: { [algorithm]: hex } });
    }
    return {
        buildDefinition: { buildType: MODELSHIP_BUILD_TYPE, externalParameters, resolvedDependencies: dependencies },
        runDetails: { builder: { id: MODELSHIP_BUILDER_ID, version: { modelship: MODELSHIP_VERSION } } },
    };
}
