// Finds the Kubernetes objects a resource declares — the resource itself when it is a Kubernetes
// resource, or every object in a manifest bundle's `manifests` input — and the images and storage
// URIs inside them. Pure: the policies, the bench and the tests share it.
import { KIND_MANIFEST_BUNDLE, OCI_ARTIFACT, WORKLOAD_KINDS } from "./types";
import { isOciUri } from "./image-ref";

export interface KubeObject {
    apiVersion?: string;
    kind?: string;
    metadata?: { name?: string; namespace?: string; annotations?: Record<string, string>; [k: string]: any };
    spec?: any;
    [k: string]: any;
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

export function isManifestBundle(type: string, props: Record<string, any>): boolean {
    return type === OCI_ARTIFACT && props.kind === KIND_MANIFEST_BUNDLE;
}

export function objectName(object: KubeObject): string {
    const md = object.metadata;
    if (!md || typeof md !== "object") {
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
export function kubernetesObjectsOf(type: string, props: Record<string, any>): LocatedObject[] {
    const kind = kubernetesKindOfType(type);
    if (kind !== undefined) {
        return [{ object: props as KubeObject, kind, name: objectName(props as KubeObject), where: "" }];
    }
    if (!isManifestBundle(type, props)) {
        return [];
    }
    const manifests = props.manifests;
    if (!Array.isArray(manifests)) {
        return [];
    }
    const out: LocatedObject[] = [];
    for (let i = 0; i < manifests.length; i++) {
        const object = manifests[i];
        if (object && typeof object === "object" && typeof object.kind === "string") {
            out.push({ object, kind: object.kind, name: objectName(object), where: `manifests[${i}]` });
        }
    }
    return out;
}

/** `InferenceService models/iris` or `InferenceService models/iris in bundle iris-bundle manifests[0]`. */
export function describeObject(resourceName: string, located: LocatedObject): string {
    return located.where === ""
        ? `${located.kind} ${located.name}`
        : `${located.kind} ${located.name} in bundle ${resourceName} ${located.where}`;
}

export interface PodSpecAt {
    readonly spec: any;
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
    if (!spec || typeof spec !== "object") {
        return [];
    }
    switch (kind) {
        case "Pod":
        case "ServingRuntime":
        case "ClusterServingRuntime":
            return [{ spec, path: "spec" }];
        case "CronJob": {
            const podSpec = spec.jobTemplate?.spec?.template?.spec;
            return podSpec ? [{ spec: podSpec, path: "spec.jobTemplate.spec.template.spec" }] : [];
        }
        case "InferenceService": {
            const out: PodSpecAt[] = [];
            for (const component of KSERVE_COMPONENTS) {
                if (spec[component] && typeof spec[component] === "object") {
                    out.push({ spec: spec[component], path: `spec.${component}` });
                }
            }
            if (Array.isArray(spec.canary)) {
                spec.canary.forEach((entry: any, i: number) => {
                    if (entry?.predictor && typeof entry.predictor === "object") {
                        out.push({ spec: entry.predictor, path: `spec.canary[${i}].predictor` });
                    }
                });
            }
            return out;
        }
        default: {
            const podSpec = spec.template?.spec;
            return podSpec ? [{ spec: podSpec, path: "spec.template.spec" }] : [];
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
            if (!Array.isArray(containers)) {
                continue;
            }
            for (let i = 0; i < containers.length; i++) {
                const image = containers[i]?.image;
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
const MODEL_SPEC_KEYS = [
    "model",
    "sklearn",
    "xgboost",
    "lightgbm",
    "tensorflow",
    "pytorch",
    "triton",
    "onnx",
    "pmml",
    "paddle",
    "huggingface",
    "custom",
] as const;

function storageUrisIn(holder: any, path: string, out: StorageUriAt[]): void {
    if (typeof holder.storageUri === "string") {
        out.push({ uri: holder.storageUri, path: `${path}.storageUri` });
    }
    const many = holder.storageUris;
    if (Array.isArray(many)) {
        many.forEach((entry: any, i: number) => {
            const uri = typeof entry === "string" ? entry : entry?.uri ?? entry?.storageUri;
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
            if (model && typeof model === "object") {
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
export function referencesOf(type: string, resourceName: string, props: Record<string, any>): ReferenceAt[] {
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
