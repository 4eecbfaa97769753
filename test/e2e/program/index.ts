// The e2e program: modelship's graph minus what needs the blocked providers (see Pulumi.yaml and
// docs/toolchain.md). Everything here is the product's code:
//   loadStackConfig()                      the same validation as index.ts (nothing declared on error)
//   per model: declareModelImages          ModelImage per version → OciArtifact push (digest at preview)
//              declareModelBundle          buildInferenceService → ManifestBundle → OciArtifact push
// Left out, because their providers cannot be built here: Platform (kubernetes), ImageSignature
// (command; scripts/e2e runs its cosign line itself), the Argo CD Application and its Secret (kubernetes).
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parseAllDocuments } from "yaml";
import { loadStackConfig } from "../../../components/config/load";
import { declareModelBundle, declareModelImages } from "../../../components/release/model-release";
import type { KubernetesObject } from "../../../components/release/inference-service";
import type { OciArtifact } from "../../../components/oci";

const projectDir = process.cwd();
const { config, secrets } = loadStackConfig({ projectDir });

/** Objects of the YAML file named by `modelship-e2e:extraManifests` (empty when unset). */
function extraManifests(): KubernetesObject[] {
    const file = new pulumi.Config().get("extraManifests");
    if (!file) return [];
    const docs = parseAllDocuments(fs.readFileSync(path.resolve(projectDir, file), "utf8"));
    return docs.map((d) => d.toJSON()).filter((o) => o && typeof o === "object") as KubernetesObject[];
}

class ModelArtifacts extends pulumi.ComponentResource {
    constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
        super("modelship:e2e:ModelArtifacts", name, {}, opts);
    }
}

const extra = extraManifests();
const out: Record<string, pulumi.Output<unknown>> = {};
config.models.forEach((model, i) => {
    const args = {
        model,
        registry: config.registry,
        signing: config.signing,
        deploymentMode: config.platform.kserve.deploymentMode,
        secrets,
        projectDir,
        modelcarUid: config.platform.kserve.modelcar.uid,
    };
    const parent = new ModelArtifacts(model.name);
    const images = declareModelImages(model.name, args, parent);
    const { bundle } = declareModelBundle(model.name, args, images, parent, i === 0 ? extra : []);
    const image = (img: (typeof images.images)[number], version: string) =>
        pulumi.all([img.digest, img.reference, (img.push as OciArtifact).bytesUploaded]).apply(([digest, reference, bytes]) => ({
            version,
            imageDigest: digest,
            imageReference: reference,
            bytesUploaded: bytes,
        }));
    out[model.name] = pulumi
        .all([
            image(images.stableImage, images.versions[0]),
            images.canaryImage ? image(images.canaryImage, images.versions[1]) : pulumi.output(null),
            bundle.digest,
            bundle.reference,
            bundle.push.bytesUploaded,
        ])
        .apply(([stable, canary, bundleDigest, bundleReference, bundleBytes]) => ({
            imageDigest: stable.imageDigest,
            imageReference: stable.imageReference,
            bundleDigest,
            bundleReference,
            bytesUploaded: { [`image ${stable.version}`]: stable.bytesUploaded, ...(canary ? { [`image ${canary.version}`]: canary.bytesUploaded } : {}), bundle: bundleBytes },
            canary,
        }));
});

/** Per model: stable image and bundle digests/references, the canary's, and the bytes each push uploaded. */
export const models = out;
/** What scripts/e2e needs to run ImageSignature's cosign line itself (no secret: key path, flags). */
export const signing = { enabled: config.signing.enabled, key: config.signing.key, transparencyLog: config.signing.transparencyLog, signatureFormat: config.signing.signatureFormat };
export const registry = { host: config.registry.host, plainHttp: config.registry.plainHttp, insecure: config.registry.insecure, username: config.registry.username ?? null };
