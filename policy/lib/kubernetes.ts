// Finds the Kubernetes objects a resource declares — the resource itself when it is a Kubernetes
// resource, or every object in a manifest bundle's `manifests` input — and the images and storage
// URIs inside them. Pure: the policies, the bench and the tests share it.
import { KIND_MANIFEST_BUNDLE, OCI_ARTIFACT, WORKLOAD_KINDS } from "./types";
import { isOciUri } from "./image-ref";
import { field, isArray, isRecord } from "./values";

/**
 * A Kubernetes object as a resource declares it. Nothing about its shape is guaranteed (a bundle
 * holds whatever was rendered, a field may be unknown during preview), so every field is `unknown`
 * until the reader has checked it.
 */
export interface KubeObject {
    apiVersion?: unknown;
    kind?: unknown;
    metadata?: unknown;
    spec?: unknown;
    [k: string]: unknown;
}

/** An object and where it came from, for violation messages. */
export interface LocatedObject {
    readonly object: KubeObject;
    readonly kind: string;
    /** `namespace/name` or `name`. */
    readonly name: string;
    /** `""` for a directly declared resource, `manifests[3]` for the 4th object of a bundle. */
    readonly where: string;
}

const KUBERNETES_TYPE = /^kubernetes:([^:/]+)\/([^:]+):([A-Za-z0-9]+)$/;

/** `kubernetes:apps/v1:Deployment` → `Deployment`; undefined for non-Kubernetes or Helm/YAML types. */
export function kubernetesKindOfType(type: string): string | undefined {
    const m = KUBERNETES_TYPE.exec(type);
    if (!m || m[1] === "helm.sh" || m[1] === "yaml" || m[1] === "kustomize") {
        return undefined;
    }
    return m[3];
}

export function isManifestBundle(type: string, props: Record<string, unknown>): boolean {
    return type === OCI_ARTIFACT && props.kind === KIND_MANIFEST_BUNDLE;
}

export function objectName(object: KubeObject): string {
    const md = object.metadata;
    if (!isRecord(md)) {
        return "(unnamed)";
    }
    const name = typeof md.name === "string" ? md.name : "(unnamed)";
    return typeof md.namespace === "string" && md.namespace !== "" ? `${md.namespace}/${name}` : name;
}

/**
 * The Kubernetes objects a resource declares: itself (kind from the type token), or a bundle's
 * manifests (kind from each object's `kind`). Reading `manifests` of a bundle whose contents are
 * unknown in preview raises the engine's unknown-value error, which CrossGuard turns into an
 * advisory result: modelship knows bundle contents at preview, so that should never happen.
 */
export function kubernetesObjectsOf(type: string, props: Record<string, unknown>): LocatedObject[] {
    const kind = kubernetesKindOfType(type);
    if (kind !== undefined) {
        return [{ object: props, kind, name: objectName(props), where: "" }];
    }
    if (!isManifestBundle(type, props)) {
        return [];
    }
    const manifests = props.manifests;
    if (!isArray(manifests)) {
        return [];
    }
    const out: LocatedObject[] = [];
    for (let i = 0; i < manifests.length; i++) {
        const object = manifests[i];
        if (isRecord(object) && typeof object.kind === "string") {
            out.push({ object, kind: object.kind, name: objectName(object), where: `manifests[${i}]` });
        }
    }
    return out;
}

/** `InferenceService models/iris` or `InferenceService models/iris in bundle iris-bundle manifests[0]`. */
export function describeObject(resourceName: string, located: LocatedObject): string {
    return located.where === "" ? `${located.kind} ${located.name}` : `${located.kind} ${located.name} in bundle ${resourceName} ${located.where}`;
}

export interface PodSpecAt {
    readonly spec: Record<string, unknown>;
    /** JSON-ish path of the pod spec inside the object, e.g. `spec.template.spec`. */
    readonly path: string;
}

const KSERVE_COMPONENTS = ["predictor", "transformer", "explainer"] as const;

/** The pod specs (objects with `containers`/`initContainers`) of a workload kind. */
export function podSpecsOf(located: LocatedObject): PodSpecAt[] {
    const { object, kind } = located;
    if (!WORKLOAD_KINDS.includes(kind)) {
        return [];
    }
    const spec = object.spec;
    if (!isRecord(spec)) {
        return [];
    }
    switch (kind) {
        case "Pod":
        case "ServingRuntime":
        case "ClusterServingRuntime":
            return [{ spec, path: "spec" }];
        case "CronJob": {
            // Only an object can hold containers; any other value yields no pod spec (and no images).
            const podSpec = field(spec, "jobTemplate", "spec", "template", "spec");
            return isRecord(podSpec) ? [{ spec: podSpec, path: "spec.jobTemplate.spec.template.spec" }] : [];
        }
        case "InferenceService": {
            const out: PodSpecAt[] = [];
            for (const component of KSERVE_COMPONENTS) {
                const componentSpec = spec[component];
                if (isRecord(componentSpec)) {
                    out.push({ spec: componentSpec, path: `spec.${component}` });
                }
            }
            const canary = spec.canary;
            if (isArray(canary)) {
                canary.forEach((entry, i) => {
                    const predictor = field(entry, "predictor");
                    if (isRecord(predictor)) {
                        out.push({ spec: predictor, path: `spec.canary[${i}].predictor` });
                    }
                });
            }
            return out;
        }
        default: {
            const podSpec = field(spec, "template", "spec");
            return isRecord(podSpec) ? [{ spec: podSpec, path: "spec.template.spec" }] : [];
        }
    }
}

export interface ImageAt {
    readonly image: string;
    /** e.g. `spec.template.spec.containers[0].image`. */
    readonly path: string;
}

const CONTAINER_LISTS = ["initContainers", "containers", "ephemeralContainers"] as const;

/** Every container image in an object's pod specs. Non-string images are reported as found. */
export function imagesOf(located: LocatedObject): ImageAt[] {
    const out: ImageAt[] = [];
    for (const { spec, path } of podSpecsOf(located)) {
        for (const list of CONTAINER_LISTS) {
            const containers = spec[list];
            if (!isArray(containers)) {
                continue;
            }
            for (let i = 0; i < containers.length; i++) {
                const image = field(containers[i], "image");
                if (typeof image === "string") {
                    out.push({ image, path: `${path}.${list}[${i}].image` });
                }
            }
        }
    }
    return out;
}

export interface StorageUriAt {
    readonly uri: string;
    readonly path: string;
}

/** Keys of a KServe predictor that hold a model spec with `storageUri` (the `model` key and the legacy framework keys). */
const MODEL_SPEC_KEYS = ["model", "sklearn", "xgboost", "lightgbm", "tensorflow", "pytorch", "triton", "onnx", "pmml", "paddle", "huggingface", "custom"] as const;

function storageUrisIn(holder: Record<string, unknown>, path: string, out: StorageUriAt[]): void {
    const single = holder.storageUri;
    if (typeof single === "string") {
        out.push({ uri: single, path: `${path}.storageUri` });
    }
    const many = holder.storageUris;
    if (isArray(many)) {
        many.forEach((entry, i) => {
            const uri = typeof entry === "string" ? entry : (field(entry, "uri") ?? field(entry, "storageUri"));
            if (typeof uri === "string") {
                out.push({ uri, path: `${path}.storageUris[${i}]` });
            }
        });
    }
}

/** Every `storageUri`/`storageUris` of an InferenceService (predictor, transformer, explainer, canary). */
export function storageUrisOf(located: LocatedObject): StorageUriAt[] {
    if (located.kind !== "InferenceService") {
        return [];
    }
    const out: StorageUriAt[] = [];
    for (const { spec, path } of podSpecsOf(located)) {
        storageUrisIn(spec, path, out);
        for (const key of MODEL_SPEC_KEYS) {
            const model = spec[key];
            if (isRecord(model)) {
                storageUrisIn(model, `${path}.${key}`, out);
            }
        }
    }
    return out;
}

/** An image or `oci://` storage URI found in a resource's Kubernetes objects, and where it sits. */
export interface ReferenceAt {
    /** `<resource> <kind>/<name> (manifests[i]): <path>`, for violation messages. */
    where: string;
    value: string;
}

/**
 * Every workload image and `oci://` storage URI in the Kubernetes objects of a resource, declared
 * directly or inside a manifest bundle: what the reference-checking policies look at.
 */
export function referencesOf(type: string, resourceName: string, props: Record<string, unknown>): ReferenceAt[] {
    const out: ReferenceAt[] = [];
    for (const located of kubernetesObjectsOf(type, props)) {
        const what = describeObject(resourceName, located);
        for (const { image, path } of imagesOf(located)) out.push({ where: `${what}: ${path}`, value: image });
        for (const { uri, path } of storageUrisOf(located)) {
            if (isOciUri(uri)) out.push({ where: `${what}: ${path}`, value: uri });
        }
    }
    return out;
}
