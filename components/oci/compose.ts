// Composition of the two artifacts modelship ships, computed while the Pulumi program runs (in
// preview too): the modelcar image and the manifest bundle. Everything here is deterministic: same
// inputs, same bytes, same digest. Nothing is uploaded here; see publish.ts.
import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { canonicalJson, Descriptor, describeBytes, sha256Digest, sortKeysDeep } from "./digest";
import { gzipStored } from "./gzip";
import { defaultCacheDir, directoryLayer, DirectoryLayer, writeFileAtomic } from "./layer";
import { parseImageReference } from "./reference";
import { DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST, RegistryClient, RegistryConnection, verifyDigest } from "./registry";
import { planTar, streamTar } from "./tar";

export const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
export const OCI_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar";
export const OCI_LAYER_TAR_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
export const OCI_EMPTY = "application/vnd.oci.empty.v1+json";
/** Bundles' artifactType: tells tools what the artifact is; Argo CD looks only at the layer. */
export const MANIFEST_BUNDLE_ARTIFACT_TYPE = "application/vnd.modelship.manifest-bundle.v1";
/** Where the model goes in the image: KServe's modelcar links /mnt/models to /models. */
export const MODEL_PATH_IN_IMAGE = "models";
/** Image timestamps are fixed: a build time would make every build a new digest. */
export const FIXED_CREATED = "1970-01-01T00:00:00Z";

/** Where a blob's bytes come from when it is pushed. */
export type BlobOrigin =
    | { kind: "bytes"; bytes: Buffer }
    | { kind: "directory"; layer: DirectoryLayer; modelDir: string }
    | { kind: "registry"; registry: string; repository: string };

export interface ArtifactBlob {
    descriptor: Descriptor;
    origin: BlobOrigin;
}

export interface ComposedArtifact {
    kind: "modelcar-image" | "manifest-bundle";
    /** Manifest digest. */
    digest: string;
    /** `host/repo@sha256:…` */
    reference: string;
    registry: string;
    repository: string;
    mediaType: string;
    manifest: Record<string, unknown>;
    manifestBytes: Buffer;
    /** Every blob the manifest references, config first. */
    blobs: ArtifactBlob[];
}

export interface ComposedModelImage extends ComposedArtifact {
    kind: "modelcar-image";
    config: Record<string, unknown>;
    /** diff_id (= digest, uncompressed) of the model layer, and its size. */
    modelLayer: { digest: string; size: number; fromCache: boolean };
    baseImage: string;
    /** Annotations on the manifest (= labels in the config). */
    annotations: Record<string, string>;
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
}

export function provenanceAnnotations(opts: { modelName: string; version: string; provenance?: Record<string, string | undefined> }): Record<string, string> {
    const out: Record<string, string> = {
        "org.opencontainers.image.title": opts.modelName,
        "org.opencontainers.image.version": opts.version,
        "dev.modelship.model.name": opts.modelName,
        "dev.modelship.model.version": opts.version,
    };
    for (const [key, value] of Object.entries(opts.provenance ?? {})) {
        if (value === undefined || value === "") continue;
        if (key === "sourceRevision") out["org.opencontainers.image.revision"] = value;
        else if (key === "sourceRepository") out["org.opencontainers.image.source"] = value;
        else if (key.includes(".")) out[key] = value;
        else out[`dev.modelship.provenance.${key}`] = value;
    }
    return out;
}

/**
 * The common part of every composed artifact: the manifest serialised canonically, its digest and
 * the digest reference. `registry` is used as given (callers pass a normalised host).
 */
export function composedArtifact<K extends ComposedArtifact["kind"]>(
    kind: K,
    registry: string,
    repository: string,
    manifest: Record<string, unknown>,
    blobs: ArtifactBlob[],
): ComposedArtifact & { kind: K } {
    const manifestBytes = Buffer.from(canonicalJson(manifest));
    const digest = sha256Digest(manifestBytes);
    return {
        kind,
        digest,
        reference: `${registry}/${repository}@${digest}`,
        registry,
        repository,
        mediaType: OCI_MANIFEST,
        manifest: sortKeysDeep(manifest) as Record<string, unknown>,
        manifestBytes,
        blobs,
    };
}

/** The push target, host normalised; a repository the reference grammar would read differently is refused. */
function pushTarget(registry: string, repository: string): { registry: string; repository: string } {
    const target = parseImageReference(`${registry}/${repository}`);
    if (target.repository !== repository) throw new Error(`repository "${repository}" is not a valid repository path`);
    return { registry: target.registry, repository };
}

export async function composeModelImage(opts: ComposeModelImageOptions): Promise<ComposedModelImage> {
    if (!opts.modelName) throw new Error(`composeModelImage: modelName is required`);
    if (!opts.version) throw new Error(`composeModelImage: version is required for model ${opts.modelName}`);
    const target = pushTarget(opts.registry, opts.repository);
    const base = parseImageReference(opts.baseImage);
    if (!base.digest) {
        throw new Error(`baseImage "${opts.baseImage}" must be pinned by digest, e.g. ${base.registry}/${base.repository}@sha256:<64 hex>; a tag can move and the image digest would not be reproducible`);
    }
    const cacheDir = opts.cacheDir ?? defaultCacheDir();
    const sameRegistry = base.registry === target.registry;
    const baseConnection = opts.baseConnection ?? (sameRegistry ? opts.connection : {});
    const baseImage = await fetchBaseImage(base.registry, base.repository, base.digest, baseConnection ?? {}, cacheDir, opts.platform ?? { os: "linux", architecture: "amd64" });

    const layer = await directoryLayer(opts.modelDir, { prefix: MODEL_PATH_IN_IMAGE, label: `model directory of ${opts.modelName}`, cacheDir, noCache: opts.noStatCache });

    const annotations = {
        ...provenanceAnnotations(opts),
        "org.opencontainers.image.base.name": `${base.registry}/${base.repository}${base.tag ? ":" + base.tag : ""}`,
        "org.opencontainers.image.base.digest": baseImage.manifestDigest,
        ...(opts.annotations ?? {}),
    };
    const baseConfig = baseImage.config;
    const baseRuntime = (baseConfig.config ?? {}) as Record<string, unknown>;
    const baseRootfs = (baseConfig.rootfs ?? { diff_ids: [] }) as { diff_ids?: string[] };
    const config: Record<string, unknown> = {
        ...baseConfig,
        created: FIXED_CREATED,
        config: { ...baseRuntime, Labels: { ...((baseRuntime.Labels as Record<string, string>) ?? {}), ...annotations } },
        rootfs: { type: "layers", diff_ids: [...(baseRootfs.diff_ids ?? []), layer.digest] },
        history: [
            ...((baseConfig.history as unknown[]) ?? []),
            { created: FIXED_CREATED, created_by: `modelship: model ${opts.modelName} ${opts.version} under /${MODEL_PATH_IN_IMAGE}`, comment: "reproducible uncompressed layer" },
        ],
    };
    const configBytes = Buffer.from(canonicalJson(config));
    const configDescriptor = describeBytes(OCI_CONFIG, configBytes);
    const modelLayerDescriptor: Descriptor = { mediaType: OCI_LAYER_TAR, digest: layer.digest, size: layer.size };
    const manifest = {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: configDescriptor,
        layers: [...baseImage.layers, modelLayerDescriptor],
        annotations,
    };
    return {
        ...composedArtifact("modelcar-image", target.registry, target.repository, manifest, [
            { descriptor: configDescriptor, origin: { kind: "bytes", bytes: configBytes } },
            ...baseImage.layers.map((d) => ({ descriptor: d, origin: { kind: "registry" as const, registry: base.registry, repository: base.repository } })),
            { descriptor: modelLayerDescriptor, origin: { kind: "directory", layer, modelDir: opts.modelDir } },
        ]),
        config: sortKeysDeep(config) as Record<string, unknown>,
        modelLayer: { digest: layer.digest, size: layer.size, fromCache: layer.fromCache },
        baseImage: opts.baseImage,
        annotations,
    };
}

interface BaseImage {
    manifestDigest: string;
    config: Record<string, unknown>;
    layers: Descriptor[];
}

/** Docker schema 2 layer types have OCI twins with the same bytes. */
const LAYER_TYPE_TO_OCI: Record<string, string> = {
    "application/vnd.docker.image.rootfs.diff.tar.gzip": OCI_LAYER_TAR_GZIP,
    "application/vnd.docker.image.rootfs.diff.tar": OCI_LAYER_TAR,
    [OCI_LAYER_TAR]: OCI_LAYER_TAR,
    [OCI_LAYER_TAR_GZIP]: OCI_LAYER_TAR_GZIP,
    "application/vnd.oci.image.layer.v1.tar+zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
};

/** Reads the base image's manifest and config by digest, from the disk cache or the registry. */
async function fetchBaseImage(
    registry: string,
    repository: string,
    digest: string,
    connection: RegistryConnection,
    cacheDir: string,
    platform: { os: string; architecture: string },
): Promise<BaseImage> {
    let client: RegistryClient | undefined;
    const getClient = () => (client ??= new RegistryClient(registry, connection));
    const where = `${registry}/${repository}@${digest}`;
    try {
        const manifestBytes = await cachedBlob(cacheDir, digest, async () => {
            const got = await getClient().getManifest(repository, digest);
            if (!got) throw new Error(`base image ${where} not found; check baseImage (it must exist in the registry, pinned by digest)`);
            return got.bytes;
        });
        let manifest = JSON.parse(manifestBytes.toString("utf8")) as Record<string, any>;
        let manifestDigest = digest;
        const type = manifest.mediaType;
        if (type === OCI_INDEX || type === DOCKER_MANIFEST_LIST || (Array.isArray(manifest.manifests) && !manifest.layers)) {
            const match = (manifest.manifests as Array<Record<string, any>>).find(
                (m) => m.platform?.os === platform.os && m.platform?.architecture === platform.architecture,
            );
            if (!match) throw new Error(`base image ${where} is an index without a ${platform.os}/${platform.architecture} image`);
            manifestDigest = match.digest;
            const platformBytes = await cachedBlob(cacheDir, manifestDigest, async () => {
                const got = await getClient().getManifest(repository, manifestDigest);
                if (!got) throw new Error(`base image ${where}: platform manifest ${manifestDigest} not found`);
                return got.bytes;
            });
            manifest = JSON.parse(platformBytes.toString("utf8"));
        }
        if (manifest.mediaType && manifest.mediaType !== OCI_MANIFEST && manifest.mediaType !== DOCKER_MANIFEST) {
            throw new Error(`base image ${where} has unsupported manifest type ${manifest.mediaType}`);
        }
        const configDigest: string = manifest.config.digest;
        const configBytes = await cachedBlob(cacheDir, configDigest, () => getClient().getBlob(repository, configDigest));
        const layers: Descriptor[] = (manifest.layers as Array<Record<string, any>>).map((l) => {
            const mediaType = LAYER_TYPE_TO_OCI[l.mediaType];
            if (!mediaType) throw new Error(`base image ${where} has a layer of unsupported type ${l.mediaType}`);
            return { mediaType, digest: l.digest, size: l.size, ...(l.annotations ? { annotations: l.annotations } : {}) };
        });
        // When the base was an index, the modelcar names the platform image it really builds on.
        return { manifestDigest, config: JSON.parse(configBytes.toString("utf8")), layers };
    } finally {
        client?.close();
    }
}

/** Content-addressed disk cache: a cached blob is re-verified on read, so a corrupt file is refetched. */
async function cachedBlob(cacheDir: string, digest: string, fetch: () => Promise<Buffer>): Promise<Buffer> {
    const file = path.join(cacheDir, "blobs", digest.replace(":", "/"));
    try {
        const bytes = await fs.promises.readFile(file);
        if (sha256Digest(bytes) === digest) return bytes;
    } catch {
        /* not cached */
    }
    const bytes = await fetch();
    verifyDigest(bytes, digest, `blob ${digest}`);
    await writeFileAtomic(file, bytes);
    return bytes;
}

// ---- manifest bundles ---------------------------------------------------------------------------

export interface BundleAnnotations {
    title?: string;
    version?: string;
    revision?: string;
    source?: string;
    [key: string]: string | undefined;
}

export interface ComposeManifestBundleOptions {
    /** Kubernetes objects (plain JSON), exactly what the bundle carries. */
    manifests: Array<Record<string, any>>;
    registry: string;
    repository: string;
    /** title/version/revision/source become org.opencontainers.image.*; keys with a dot are used as is. */
    annotations?: BundleAnnotations;
}

export interface ComposedManifestBundle extends ComposedArtifact {
    kind: "manifest-bundle";
    /** file name → YAML text, exactly the files in the bundle's layer. */
    files: Record<string, string>;
    annotations: Record<string, string>;
    /** The content layer (gzip of the tar of `files`). */
    layer: Descriptor;
}

/** Renders one Kubernetes object as YAML: keys sorted, no line folding, so bytes never vary. */
export function renderManifestYaml(object: Record<string, unknown>): string {
    return stringify(sortKeysDeep(object), { sortMapEntries: true, lineWidth: 0, minContentWidth: 0, aliasDuplicateObjects: false, version: "1.2" });
}

/**
 * One file per object, named `<kind>-<name>.yaml` in lowercase, sorted by name. Two objects that
 * would share a file name are an error naming both (give them distinct names).
 */
export function renderManifestFiles(manifests: Array<Record<string, any>>): Record<string, string> {
    if (!Array.isArray(manifests) || manifests.length === 0) throw new Error(`manifests must be a non-empty array of Kubernetes objects`);
    const byName = new Map<string, string>();
    manifests.forEach((object, i) => {
        const kind = object?.kind;
        const name = object?.metadata?.name;
        if (typeof kind !== "string" || kind === "") throw new Error(`manifests[${i}].kind is missing; every Kubernetes object needs a kind`);
        if (typeof name !== "string" || name === "") throw new Error(`manifests[${i}].metadata.name is missing (kind ${kind})`);
        const file = `${kind}-${name}.yaml`.toLowerCase().replace(/[^a-z0-9._-]/g, "-");
        if (byName.has(file)) throw new Error(`manifests[${i}] (${kind} ${name}) would be written to ${file}, like an earlier object; give them distinct names`);
        byName.set(file, renderManifestYaml(object));
    });
    const sorted: Record<string, string> = {};
    for (const file of [...byName.keys()].sort()) sorted[file] = byName.get(file)!;
    return sorted;
}

/** Tar (sorted, fixed metadata) then deterministic gzip: Argo CD's default `...layer.v1.tar+gzip`. */
export async function bundleLayerBytes(files: Record<string, string>): Promise<Buffer> {
    const plan = planTar(
        Object.entries(files).map(([name, text]) => {
            const content = Buffer.from(text, "utf8");
            return { archivePath: name, type: "file" as const, mode: 0o644, size: content.length, content };
        }),
    );
    const parts: Buffer[] = [];
    for await (const chunk of streamTar(plan)) parts.push(chunk);
    return gzipStored(Buffer.concat(parts));
}

export async function composeManifestBundle(opts: ComposeManifestBundleOptions): Promise<ComposedManifestBundle> {
    const target = pushTarget(opts.registry, opts.repository);
    const files = renderManifestFiles(opts.manifests);
    const layerBytes = await bundleLayerBytes(files);
    const layer = describeBytes(OCI_LAYER_TAR_GZIP, layerBytes);
    const emptyConfig = Buffer.from("{}");
    const configDescriptor = describeBytes(OCI_EMPTY, emptyConfig);
    const annotations: Record<string, string> = {};
    for (const [key, value] of Object.entries(opts.annotations ?? {})) {
        if (value === undefined || value === "") continue;
        annotations[key.includes(".") ? key : `org.opencontainers.image.${key}`] = value;
    }
    const manifest = {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: MANIFEST_BUNDLE_ARTIFACT_TYPE,
        config: configDescriptor,
        layers: [layer],
        ...(Object.keys(annotations).length ? { annotations } : {}),
    };
    return {
        ...composedArtifact("manifest-bundle", target.registry, target.repository, manifest, [
            { descriptor: configDescriptor, origin: { kind: "bytes", bytes: emptyConfig } },
            { descriptor: layer, origin: { kind: "bytes", bytes: layerBytes } },
        ]),
        files,
        annotations,
        layer,
    };
}
