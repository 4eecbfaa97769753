// The modelcar image: a runnable image (the base's busybox for KServe's `sh`, `ln`, `sleep`) with the
// model under /models, one layer per large file (layers.ts). `composeModelImage` reads the base
// image's metadata and hashes the model tree (stat cache: an unchanged tree costs no reading);
// `modelcarImage` is the pure part: same inputs, same bytes, same digest. Nothing is uploaded here.
import { ArtifactBlob, ComposedArtifact, composedArtifact, pushTarget } from "./artifact";
import { BaseImage, fetchBaseImage } from "./base-image";
import { canonicalJson, Descriptor, describeBytes, sortKeysDeep } from "./digest";
import { defaultCacheDir } from "./disk-cache";
import { ModelLayer, modelLayers } from "./layers";
import {
    ANNOTATION_BASE_DIGEST,
    ANNOTATION_BASE_NAME,
    ANNOTATION_REVISION,
    ANNOTATION_SOURCE,
    ANNOTATION_TITLE,
    ANNOTATION_VERSION,
    MODELPACK_FILEPATH,
    OCI_CONFIG,
    OCI_LAYER_TAR,
    OCI_MANIFEST,
} from "./media-types";
import { parseImageReference } from "./reference";
import { RegistryConnection } from "./remote";

/** Where the model goes in the image: KServe's modelcar links /mnt/models to /models. */
export const MODEL_PATH_IN_IMAGE = "models";
/** Image timestamps are fixed: a build time would make every build a new digest. */
export const FIXED_CREATED = "1970-01-01T00:00:00Z";

export interface ComposedModelImage extends ComposedArtifact {
    kind: "modelcar-image";
    config: Record<string, unknown>;
    /** The model's layers in manifest order: digest (= diff_id, uncompressed), size, the file a layer holds. */
    modelLayers: Array<{ digest: string; size: number; fromCache: boolean; filePath?: string; files: number }>;
    baseImage: string;
    /** Annotations on the manifest (= labels in the config). */
    annotations: Record<string, string>;
    /** With `fileDigests`: sha256 of every model file, by path relative to the model directory. */
    files?: Record<string, string>;
}

export interface ComposeModelImageOptions {
    /** Absolute path of the model directory. */
    modelDir: string;
    modelName: string;
    version: string;
    /** Base image pinned by digest: `host/repo@sha256:…` (busybox, for the modelcar's sh). */
    baseImage: string;
    /** Target registry host (`host[:port]`) and repository path (no host). */
    registry: string;
    repository: string;
    /** Connection to the target registry; also used for the base image when it is on the same registry. */
    connection?: RegistryConnection;
    /** Connection to the base image's registry when it is another one. */
    baseConnection?: RegistryConnection;
    /**
     * Provenance, recorded as OCI annotations and config labels. `sourceRevision` and
     * `sourceRepository` map to org.opencontainers.image.revision/source; other keys become
     * `dev.modelship.provenance.<key>`. Keys containing a dot are taken as annotation names as is.
     */
    provenance?: Record<string, string | undefined>;
    /** Extra annotations (full names, e.g. `com.example.team`), added to the manifest and config labels last. */
    annotations?: Record<string, string>;
    /** Platform picked when the base image is an index (default linux/amd64). */
    platform?: { os: string; architecture: string };
    cacheDir?: string;
    /** Read every byte instead of trusting the stat cache. */
    noStatCache?: boolean;
    /** Also compute the sha256 of every model file (for a provenance attestation); cached with the layers. */
    fileDigests?: boolean;
}

export function provenanceAnnotations(opts: { modelName: string; version: string; provenance?: Record<string, string | undefined> }): Record<string, string> {
    const out: Record<string, string> = {
        [ANNOTATION_TITLE]: opts.modelName,
        [ANNOTATION_VERSION]: opts.version,
        "dev.modelship.model.name": opts.modelName,
        "dev.modelship.model.version": opts.version,
    };
    for (const [key, value] of Object.entries(opts.provenance ?? {})) {
        if (value === undefined || value === "") continue;
        if (key === "sourceRevision") out[ANNOTATION_REVISION] = value;
        else if (key === "sourceRepository") out[ANNOTATION_SOURCE] = value;
        else if (key.includes(".")) out[key] = value;
        else out[`dev.modelship.provenance.${key}`] = value;
    }
    return out;
}

export async function composeModelImage(opts: ComposeModelImageOptions): Promise<ComposedModelImage> {
    if (!opts.modelName) throw new Error(`composeModelImage: modelName is required`);
    if (!opts.version) throw new Error(`composeModelImage: version is required for model ${opts.modelName}`);
    const target = pushTarget(opts.registry, opts.repository);
    const base = parseImageReference(opts.baseImage);
    if (!base.digest) {
        throw new Error(
            `baseImage "${opts.baseImage}" must be pinned by digest, e.g. ${base.registry}/${base.repository}@sha256:<64 hex>; a tag can move and the image digest would not be reproducible`,
        );
    }
    const cacheDir = opts.cacheDir ?? defaultCacheDir();
    const baseConnection = opts.baseConnection ?? (base.registry === target.registry ? opts.connection : {});
    const baseImage = await fetchBaseImage(
        { registry: base.registry, repository: base.repository, digest: base.digest },
        baseConnection ?? {},
        cacheDir,
        opts.platform ?? { os: "linux", architecture: "amd64" },
    );
    const layers = await modelLayers(opts.modelDir, {
        prefix: MODEL_PATH_IN_IMAGE,
        label: `model directory of ${opts.modelName}`,
        cacheDir,
        noCache: opts.noStatCache,
        fileDigests: opts.fileDigests,
    });
    const image = modelcarImage({
        registry: target.registry,
        repository: target.repository,
        base: baseImage,
        baseName: `${base.registry}/${base.repository}${base.tag ? ":" + base.tag : ""}`,
        baseImage: opts.baseImage,
        layers,
        modelDir: opts.modelDir,
        modelName: opts.modelName,
        version: opts.version,
        annotations: { ...provenanceAnnotations(opts), ...(opts.annotations ?? {}) },
    });
    if (!opts.fileDigests) return image;
    const files: Record<string, string> = {};
    for (const layer of layers) for (const [archivePath, digest] of Object.entries(layer.fileDigests ?? {})) files[archivePath.slice(MODEL_PATH_IN_IMAGE.length + 1)] = digest;
    return { ...image, files };
}

/** The image from its parts (pure): config, manifest, and where each blob comes from. */
export function modelcarImage(parts: {
    registry: string;
    repository: string;
    base: BaseImage;
    /** `host/repo[:tag]` of the base, for the base.name annotation. */
    baseName: string;
    baseImage: string;
    layers: ModelLayer[];
    modelDir: string;
    modelName: string;
    version: string;
    annotations: Record<string, string>;
}): ComposedModelImage {
    const { base, layers } = parts;
    const annotations = { ...parts.annotations, [ANNOTATION_BASE_NAME]: parts.baseName, [ANNOTATION_BASE_DIGEST]: base.manifestDigest };
    const baseRuntime = (base.config.config ?? {}) as Record<string, unknown>;
    const baseRootfs = (base.config.rootfs ?? { diff_ids: [] }) as { diff_ids?: string[] };
    const config: Record<string, unknown> = {
        ...base.config,
        created: FIXED_CREATED,
        config: { ...baseRuntime, Labels: { ...((baseRuntime.Labels as Record<string, string>) ?? {}), ...annotations } },
        rootfs: { type: "layers", diff_ids: [...(baseRootfs.diff_ids ?? []), ...layers.map((l) => l.digest)] },
        history: [
            ...((base.config.history as unknown[]) ?? []),
            ...layers.map((l) => ({
                created: FIXED_CREATED,
                created_by: `modelship: ${parts.modelName} ${parts.version}: ${l.filePath ? `/${MODEL_PATH_IN_IMAGE}/${l.filePath}` : `${l.files} small file(s) and the directories of /${MODEL_PATH_IN_IMAGE}`}`,
                comment: "reproducible uncompressed layer",
            })),
        ],
    };
    const configBytes = Buffer.from(canonicalJson(config));
    const configDescriptor = describeBytes(OCI_CONFIG, configBytes);
    const layerDescriptors: Descriptor[] = layers.map((l) => ({
        mediaType: OCI_LAYER_TAR,
        digest: l.digest,
        size: l.size,
        ...(l.filePath ? { annotations: { [MODELPACK_FILEPATH]: l.filePath } } : {}),
    }));
    const manifest = { schemaVersion: 2, mediaType: OCI_MANIFEST, config: configDescriptor, layers: [...base.layers, ...layerDescriptors], annotations };
    const blobs: ArtifactBlob[] = [
        { descriptor: configDescriptor, origin: { kind: "bytes", bytes: configBytes } },
        ...base.layers.map((d) => ({ descriptor: d, origin: { kind: "registry" as const, registry: base.registry, repository: base.repository } })),
        ...layers.map((l, i) => ({ descriptor: layerDescriptors[i], origin: { kind: "directory" as const, layer: l, modelDir: parts.modelDir } })),
    ];
    return {
        ...composedArtifact("modelcar-image", parts.registry, parts.repository, manifest, blobs),
        config: sortKeysDeep(config) as Record<string, unknown>,
        modelLayers: layers.map((l) => ({ digest: l.digest, size: l.size, fromCache: l.fromCache, filePath: l.filePath, files: l.files })),
        baseImage: parts.baseImage,
        annotations,
    };
}
