// `models:/<name>@<alias>` or `models:/<name>/<version>` → the registered model version, its run's
// metadata as provenance, and a local copy of its artifacts in the content-addressed cache.
// An alias is resolved on every run (preview included), so an alias that moved to a new version
// gives other files, another image digest, and a change in the preview.
import { getLoggedModel, getModelVersion, getModelVersionByAlias, getRun, MlflowConnection, MlflowError, MlflowModelVersion, MlflowRun } from "./client";
import { cacheArtifacts, listArtifactFiles } from "./cache";

export type ModelSourceRef = { name: string; alias: string; version?: undefined } | { name: string; version: string; alias?: undefined };

/** Registered model names: anything but `/` and `@` (MLflow allows spaces and dots); aliases: MLflow's alias charset. */
const modelSourcePattern = /^models:\/([^/@\s][^/@]*)(?:@([A-Za-z0-9_-]+)|\/([1-9][0-9]*))$/;

/** An example shown wherever a model source is asked for. */
export const modelSourceExample = '"models:/iris@champion" or "models:/iris/3"';

/** Parses a model source URI; undefined when it is not one of the two accepted forms. */
export function parseModelSource(uri: string): ModelSourceRef | undefined {
    const m = modelSourcePattern.exec(uri);
    if (!m) return undefined;
    const name = m[1];
    if (name !== name.trim()) return undefined;
    return m[2] !== undefined ? { name, alias: m[2] } : { name, version: m[3] };
}

/** Why `uri` is not a model source, for config messages; undefined when it is one. */
export function modelSourceProblem(uri: string): string | undefined {
    if (parseModelSource(uri) !== undefined) return undefined;
    if (/^models:\/m-[0-9a-f]+$/.test(uri)) return `names a logged model, not a registered model version: register it and use ${modelSourceExample}`;
    if (/^models:\/[^/@]+\/[A-Za-z]/.test(uri)) return `uses a stage ("models:/name/Production"); stages are deprecated in MLflow: use an alias, ${modelSourceExample}`;
    if (/^models:\/[^/@]+$/.test(uri)) return `names no version or alias: add one, ${modelSourceExample}`;
    return `must be ${modelSourceExample} (a registered MLflow model by alias or version)`;
}

export interface ResolvedProvenance {
    trainingRunId: string;
    sourceRepository?: string;
    sourceRevision?: string;
    /** `mlflow:<digest>` of the run's training dataset input (MLflow's own dataset digest). */
    datasetHash?: string;
}

export interface ResolvedModelSource {
    uri: string;
    name: string;
    /** The registered model version the alias (or the URI) names. */
    version: string;
    alias?: string;
    runId: string;
    /** Absolute path of the cached copy of the model's artifacts. */
    modelDir: string;
    /** True when the cached copy was already there (nothing downloaded). */
    cached: boolean;
    /** Where the artifacts live on the server (relative to the artifact proxy's root). */
    artifactRoot: string;
    provenance: ResolvedProvenance;
    /** The run's latest metrics. */
    metrics: Record<string, number>;
}

export interface ResolveOptions extends MlflowConnection {
    /** Cache directory; default ~/.cache/modelship (or $MODELSHIP_CACHE). */
    cacheDir?: string;
}

/** `mlflow-artifacts:/a/b` or `mlflow-artifacts://host/a/b` → `a/b`; undefined for other stores. */
export function proxiedArtifactPath(artifactUri: string): string | undefined {
    const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/+(.*?)\/*$/.exec(artifactUri);
    return m ? m[1] : undefined;
}

/** The proxy path of a model version's artifacts: MLflow 3 logged models, `runs:/` and `mlflow-artifacts:` sources. */
async function artifactRootOf(conn: MlflowConnection, mv: MlflowModelVersion, run: MlflowRun | undefined, label: string): Promise<string> {
    let uri = mv.source;
    const logged = /^models:\/(m-[0-9a-f]+)$/.exec(uri);
    if (logged) uri = (await getLoggedModel(conn, logged[1])).info.artifact_uri;
    const runs = /^runs:\/([^/]+)\/?(.*)$/.exec(uri);
    if (runs) {
        const r = run && run.info.run_id === runs[1] ? run : await getRun(conn, runs[1]);
        uri = `${r.info.artifact_uri.replace(/\/+$/, "")}${runs[2] ? `/${runs[2]}` : ""}`;
    }
    const proxied = proxiedArtifactPath(uri);
    if (proxied === undefined || proxied === "") {
        throw new MlflowError(
            `MLflow model ${label} keeps its artifacts at ${uri}, which modelship cannot read through the tracking server: run the server with artifact proxying (mlflow server --artifacts-destination …, the default --serve-artifacts) so artifact URIs are mlflow-artifacts:/…`,
        );
    }
    return proxied;
}

function tag(run: MlflowRun, key: string): string | undefined {
    const v = run.data.tags?.find((t) => t.key === key)?.value;
    return v === undefined || v === "" ? undefined : v;
}

/** The run's training dataset digest: the input tagged context=training, else the first. */
function datasetDigest(run: MlflowRun): string | undefined {
    const inputs = run.inputs?.dataset_inputs ?? [];
    const training = inputs.find((i) => i.tags?.some((t) => t.key === "mlflow.data.context" && t.value === "training")) ?? inputs[0];
    const digest = training?.dataset?.digest;
    return digest && /^[A-Za-z0-9]+$/.test(digest) ? `mlflow:${digest.toLowerCase()}` : undefined;
}

/** Provenance from the run (tags `mlflow.source.name` / `mlflow.source.git.commit`, dataset inputs). */
export function provenanceFromRun(run: MlflowRun): ResolvedProvenance {
    const source = tag(run, "mlflow.source.name");
    const revision = tag(run, "mlflow.source.git.commit");
    const dataset = datasetDigest(run);
    return {
        trainingRunId: run.info.run_id,
        // A local script path says nothing to an auditor: only URLs count as the source repository.
        ...(source && /^(https?|git|ssh):\/\/|^git@/.test(source) ? { sourceRepository: source } : {}),
        ...(revision ? { sourceRevision: revision } : {}),
        ...(dataset ? { datasetHash: dataset } : {}),
    };
}

export async function resolveModelSource(uri: string, opts: ResolveOptions): Promise<ResolvedModelSource> {
    const ref = parseModelSource(uri);
    if (!ref) throw new MlflowError(`"${uri}" ${modelSourceProblem(uri)}`);
    const conn: MlflowConnection = { trackingUri: opts.trackingUri, token: opts.token, timeoutMs: opts.timeoutMs, onRequest: opts.onRequest };
    const mv = ref.alias !== undefined ? await getModelVersionByAlias(conn, ref.name, ref.alias) : await getModelVersion(conn, ref.name, ref.version);
    const label = `${mv.name} version ${mv.version}${ref.alias ? ` (alias ${ref.alias})` : ""}`;
    if (mv.status && mv.status !== "READY") {
        throw new MlflowError(`MLflow model ${label} is ${mv.status}, not READY: wait for its registration to finish, or point ${uri} at a ready version`);
    }
    if (!mv.run_id) {
        throw new MlflowError(
            `MLflow model ${label} has no run: modelship takes the model's provenance (training run, source, dataset) from its run; register the model from a run (mlflow.<flavor>.log_model(..., registered_model_name=…))`,
        );
    }
    const run = await getRun(conn, mv.run_id);
    const artifactRoot = await artifactRootOf(conn, mv, run, label);
    const files = await listArtifactFiles(conn, artifactRoot);
    const cached = await cacheArtifacts(conn, { name: mv.name, version: mv.version, runId: mv.run_id, artifactRoot, files }, { cacheDir: opts.cacheDir });
    const metrics: Record<string, number> = {};
    for (const m of run.data.metrics ?? []) metrics[m.key] = Number(m.value);
    return {
        uri,
        name: mv.name,
        version: String(mv.version),
        ...(ref.alias !== undefined ? { alias: ref.alias } : {}),
        runId: mv.run_id,
        modelDir: cached.dir,
        cached: cached.reused,
        artifactRoot,
        provenance: provenanceFromRun(run),
        metrics,
    };
}

/** Image annotations that show which MLflow version an image holds (they change its digest too). */
export function mlflowAnnotations(r: Pick<ResolvedModelSource, "uri" | "name" | "version" | "runId">): Record<string, string> {
    return {
        "dev.modelship.mlflow.source": r.uri,
        "dev.modelship.mlflow.model": r.name,
        "dev.modelship.mlflow.version": r.version,
        "dev.modelship.mlflow.runId": r.runId,
    };
}
