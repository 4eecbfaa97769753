// The KServe InferenceService for one model, as a plain object (pure: no Pulumi). It is what the
// manifest bundle carries and what Argo CD applies.
//
// Canary, per deployment mode (KServe v0.20):
// - Knative: one predictor; during a canary its storageUri is the CANARY image with
//   `canaryTrafficPercent: N`, and Knative keeps the last fully rolled-out revision for the rest.
//   Promote = drop the field (storageUri unchanged); roll back = `canaryTrafficPercent: 0` with the
//   storageUri still the canary's. Rendering the stable image at 0% would be wrong: any change to the
//   revision template creates a NEW revision, so "rolling back" would deploy a third revision instead
//   of pinning traffic to the one that is already serving.
// - Standard: `spec.predictor` (named after the stable version, stable image) plus
//   `spec.canary: [{trafficPercent, predictor: {name, model}}]`. Promote = the predictor takes the
//   canary's name and image and the entry is dropped; KServe then retargets the existing canary
//   Deployment, so nothing restarts — which is why the predictor is always named after its version.
//
// Annotations. KServe propagates InferenceService metadata annotations to every Knative revision /
// Deployment, so their values must not change between rollout steps that should not create a
// revision: the metadata carries the provenance of the NEWEST version in the spec (the canary while
// one exists, even at 0%, else the stable one) — exactly what the stack config's `provenance`
// describes once a candidate is added. That value is the same before and after promote and rollback,
// so Knative keeps its revisions and a Standard-mode promote restarts nothing (a Standard-mode canary
// start rolls the stable pods once for the annotation; the image is unchanged). Each predictor also
// carries its own version and digest as component pod annotations, so every pod says what it serves.
import { digestOfReference } from "../oci/reference";
import type { DeploymentMode, ModelConfig, ProvenanceConfig } from "../config/schema";

const DEPLOYMENT_MODE_ANNOTATION = "serving.kserve.io/deploymentMode";
const MODEL_VERSION_ANNOTATION = "modelship.io/model-version";
const MODEL_DIGEST_ANNOTATION = "modelship.io/model-digest";
export const PROVENANCE_ANNOTATIONS: Record<keyof ProvenanceConfig, string> = {
    sourceRevision: "modelship.io/source-revision",
    sourceRepository: "modelship.io/source-repository",
    trainingRunId: "modelship.io/training-run-id",
    datasetHash: "modelship.io/dataset-hash",
};

/** One servable model version: its label and its image by digest. */
export interface ModelVersionImage {
    /** Version label, e.g. `v1`; names the Standard-mode predictor (a DNS-1123 label). */
    version: string;
    /** `host/repo@sha256:<hex>`. */
    image: string;
}

export interface InferenceServiceSpecInput {
    /** InferenceService name (the model name). */
    name: string;
    namespace: string;
    deploymentMode: DeploymentMode;
    /** KServe model format, e.g. `sklearn`. */
    format: string;
    /** Serving runtime; KServe picks one for the format when absent. */
    runtime?: string;
    stable: ModelVersionImage;
    /** The candidate and its share of traffic; 0 = rolled back. */
    canary?: ModelVersionImage & { trafficPercent: number };
    resources: { cpu: string; memory: string };
    /** Names of dockerconfigjson Secrets in `namespace` for a private registry. */
    imagePullSecrets?: string[];
    provenance?: ProvenanceConfig;
}

/** A Kubernetes object as plain JSON: what every object has, the rest of unknown shape. */
export interface KubernetesObject {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [key: string]: unknown };
    [key: string]: unknown;
}

/** A predictor's `model`: the model server container KServe merges into the serving runtime's. */
interface PredictorModel {
    name: string;
    modelFormat: { name: string };
    runtime?: string;
    storageUri: string;
    resources: { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } };
}

/** `spec.predictor`, or a Standard-mode canary entry's `predictor`. */
interface Predictor {
    /** Standard mode: the version it serves (see the file comment). */
    name?: string;
    /** Knative mode, during a canary. */
    canaryTrafficPercent?: number;
    /** Component pod annotations: the version and digest this predictor serves. */
    annotations: Record<string, string>;
    imagePullSecrets?: Array<{ name: string }>;
    model: PredictorModel;
}

/** The InferenceService buildInferenceService renders (KServe `serving.kserve.io/v1beta1`). */
export interface InferenceService extends KubernetesObject {
    spec: {
        predictor: Predictor;
        /** Standard mode, during a canary. */
        canary?: Array<{ trafficPercent: number; predictor: Predictor }>;
    };
}

const DIGEST_REFERENCE = /^[^@\s]+@sha256:[a-f0-9]{64}$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** `oci://host/repo@sha256:…` — KServe strips the scheme and pulls the modelcar by digest. */
export function storageUri(image: string): string {
    if (!DIGEST_REFERENCE.test(image)) {
        throw new Error(`model image must be pinned by digest (host/repo@sha256:<64 hex>), got "${image}"`);
    }
    return `oci://${image}`;
}

/**
 * Name of the model server container. KServe merges `model` into the serving runtime's container of
 * this name (every runtime of kserve-runtime-configs uses it) and finds the container by it to mount
 * the modelcar. The CRD requires it under `spec.canary[].predictor.model` (its generator drops
 * `required` only at `spec.predictor.model`), so every predictor sets it: a Standard-mode promote
 * then stays a pure rename of the predictor.
 */
export const MODEL_CONTAINER_NAME = "kserve-container";

function predictorBody(input: InferenceServiceSpecInput, served: ModelVersionImage): Predictor {
    const model: PredictorModel = {
        name: MODEL_CONTAINER_NAME,
        modelFormat: { name: input.format },
        ...(input.runtime ? { runtime: input.runtime } : {}),
        storageUri: storageUri(served.image),
        resources: {
            requests: { cpu: input.resources.cpu, memory: input.resources.memory },
            limits: { cpu: input.resources.cpu, memory: input.resources.memory },
        },
    };
    return {
        annotations: { [MODEL_DIGEST_ANNOTATION]: digestOfReference(served.image), [MODEL_VERSION_ANNOTATION]: served.version },
        ...(input.imagePullSecrets && input.imagePullSecrets.length > 0 ? { imagePullSecrets: input.imagePullSecrets.map((name) => ({ name })) } : {}),
        model,
    };
}

/** Problems with the input, all at once (empty when valid). */
export function inferenceServiceInputProblems(input: InferenceServiceSpecInput): string[] {
    const problems: string[] = [];
    if (!DNS_LABEL.test(input.name)) problems.push(`name "${input.name}" must be a DNS-1123 label`);
    for (const [what, v] of [
        ["stable", input.stable],
        ["canary", input.canary],
    ] as const) {
        if (!v) continue;
        if (!DIGEST_REFERENCE.test(v.image)) problems.push(`${what} image "${v.image}" must be pinned by digest`);
        if (input.deploymentMode === "Standard" && !DNS_LABEL.test(v.version)) {
            problems.push(`${what} version "${v.version}" names a Standard-mode predictor and must be a DNS-1123 label`);
        }
    }
    if (input.canary) {
        const p = input.canary.trafficPercent;
        if (!Number.isInteger(p) || p < 0 || p > 99) problems.push(`canary trafficPercent ${p} must be an integer 0..99`);
        if (input.canary.version === input.stable.version) {
            problems.push(`canary version "${input.canary.version}" must differ from the stable version`);
        }
    }
    return problems;
}

/** Builds the InferenceService (see the file comment for the canary rendering per mode). */
export function buildInferenceService(input: InferenceServiceSpecInput): InferenceService {
    const problems = inferenceServiceInputProblems(input);
    if (problems.length > 0) throw new Error(`invalid InferenceService input for ${input.name}: ${problems.join("; ")}`);

    const newest = input.canary ?? input.stable;
    const annotations: Record<string, string> = {
        [DEPLOYMENT_MODE_ANNOTATION]: input.deploymentMode,
        [MODEL_VERSION_ANNOTATION]: newest.version,
        [MODEL_DIGEST_ANNOTATION]: digestOfReference(newest.image),
    };
    for (const key of Object.keys(PROVENANCE_ANNOTATIONS) as (keyof ProvenanceConfig)[]) {
        const value = input.provenance?.[key];
        if (value) annotations[PROVENANCE_ANNOTATIONS[key]] = value;
    }

    let spec: InferenceService["spec"];
    const canary = input.canary;
    if (input.deploymentMode === "Knative") {
        const served = canary ?? input.stable;
        spec = { predictor: predictorBody(input, served) };
        if (canary) spec.predictor = { canaryTrafficPercent: canary.trafficPercent, ...spec.predictor };
    } else {
        spec = { predictor: { name: input.stable.version, ...predictorBody(input, input.stable) } };
        if (canary) {
            spec.canary = [{ trafficPercent: canary.trafficPercent, predictor: { name: canary.version, ...predictorBody(input, canary) } }];
        }
    }

    return {
        apiVersion: "serving.kserve.io/v1beta1",
        kind: "InferenceService",
        metadata: {
            name: input.name,
            namespace: input.namespace,
            labels: { "app.kubernetes.io/name": input.name, "app.kubernetes.io/managed-by": "modelship" },
            annotations,
        },
        spec,
    };
}

export type CanaryState = "none" | "canary" | "rolled-back";

/** The rollout step a config describes. */
export function canaryState(canary: { trafficPercent: number } | undefined): CanaryState {
    if (!canary) return "none";
    return canary.trafficPercent === 0 ? "rolled-back" : "canary";
}

/** Maps a model's stack config plus its built images to the builder's input. */
export function inferenceServiceInputFor(
    model: Pick<ModelConfig, "name" | "namespace" | "format" | "runtime" | "version" | "resources" | "provenance" | "canary">,
    images: { stable: string; canary?: string },
    opts: { deploymentMode: DeploymentMode; imagePullSecrets?: string[] },
): InferenceServiceSpecInput {
    if (model.canary && !images.canary) throw new Error(`model ${model.name}: the canary ${model.canary.version} has no image`);
    return {
        name: model.name,
        namespace: model.namespace,
        deploymentMode: opts.deploymentMode,
        format: model.format,
        ...(model.runtime ? { runtime: model.runtime } : {}),
        stable: { version: model.version, image: images.stable },
        ...(model.canary && images.canary ? { canary: { version: model.canary.version, image: images.canary, trafficPercent: model.canary.trafficPercent } } : {}),
        resources: model.resources,
        ...(opts.imagePullSecrets && opts.imagePullSecrets.length > 0 ? { imagePullSecrets: opts.imagePullSecrets } : {}),
        provenance: model.provenance,
    };
}
