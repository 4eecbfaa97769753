// The modelcar's base image: its manifest (the platform's, when the reference is an index) and
// config, read by digest from the disk cache or the registry. Only metadata is read; the base's
// layers are mounted or copied at push time.
import { isPlainObject } from "../lib/plain-object";
import { cachedBlob } from "./disk-cache";
import { Descriptor } from "./digest";
import { DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, LAYER_TYPE_TO_OCI, OCI_INDEX, OCI_MANIFEST } from "./media-types";
import { RegistryClient, RegistryConnection } from "./remote";

export interface BaseImage {
    registry: string;
    repository: string;
    /** The image manifest's digest (the platform's when the reference was an index). */
    manifestDigest: string;
    config: Record<string, unknown>;
    layers: Descriptor[];
}

/** A descriptor as an index (`manifests`) or an image manifest (`config`, `layers`) lists it. */
interface ListedDescriptor {
    mediaType?: string;
    digest: string;
    size: number;
    annotations?: Record<string, string>;
    /** Index entries: the image's platform. */
    platform?: { os?: string; architecture?: string };
}

/** An image index or an image manifest (OCI, or Docker schema 2), as far as it is read here. */
interface ParsedManifest {
    mediaType?: string;
    manifests?: ListedDescriptor[];
    config?: ListedDescriptor;
    layers?: ListedDescriptor[];
}

const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;

/**
 * The manifest or index in `bytes`, checked as far as the base image relies on it: its descriptors
 * name sha256 digests (they become cache paths and registry URLs) and sizes (copied into the image).
 */
function parseManifest(bytes: Buffer, what: string): ParsedManifest {
    const invalid = (why: string): never => {
        throw new Error(`${what} is not a valid image manifest or index: ${why}`);
    };
    const optionalString = (value: unknown, field: string): string | undefined => (value === undefined || typeof value === "string" ? value : invalid(`${field} is not a string`));
    const descriptor = (value: unknown, field: string): ListedDescriptor => {
        if (!isPlainObject(value)) return invalid(`${field} is not an object`);
        const { mediaType, digest, size, annotations, platform } = value;
        if (typeof digest !== "string" || !SHA256_DIGEST.test(digest)) return invalid(`${field}.digest is not a sha256 digest`);
        if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) return invalid(`${field}.size is not a byte count`);
        if (annotations !== undefined && !(isPlainObject(annotations) && Object.values(annotations).every((v) => typeof v === "string"))) {
            return invalid(`${field}.annotations is not a map of strings`);
        }
        if (platform !== undefined && !isPlainObject(platform)) return invalid(`${field}.platform is not an object`);
        return {
            mediaType: optionalString(mediaType, `${field}.mediaType`),
            digest,
            size,
            ...(annotations !== undefined ? { annotations: annotations as Record<string, string> } : {}),
            ...(platform !== undefined
                ? { platform: { os: optionalString(platform.os, `${field}.platform.os`), architecture: optionalString(platform.architecture, `${field}.platform.architecture`) } }
                : {}),
        };
    };
    const descriptors = (value: unknown, field: string): ListedDescriptor[] | undefined => {
        if (value === undefined || value === null) return undefined;
        if (!Array.isArray(value)) return invalid(`${field} is not a list`);
        return value.map((entry: unknown, i) => descriptor(entry, `${field}[${i}]`));
    };
    const parsed: unknown = JSON.parse(bytes.toString("utf8"));
    if (!isPlainObject(parsed)) return invalid("not a JSON object");
    return {
        mediaType: optionalString(parsed.mediaType, "mediaType"),
        manifests: descriptors(parsed.manifests, "manifests"),
        config: parsed.config === undefined ? undefined : descriptor(parsed.config, "config"),
        layers: descriptors(parsed.layers, "layers"),
    };
}

export async function fetchBaseImage(
    ref: { registry: string; repository: string; digest: string },
    connection: RegistryConnection,
    cacheDir: string,
    platform: { os: string; architecture: string },
): Promise<BaseImage> {
    const { registry, repository, digest } = ref;
    let client: RegistryClient | undefined;
    const getClient = () => (client ??= new RegistryClient(registry, connection));
    const where = `${registry}/${repository}@${digest}`;
    const manifestBytes = (d: string, missing: string) =>
        cachedBlob(cacheDir, d, async () => {
            const got = await getClient().getManifest(repository, d);
            if (!got) throw new Error(missing);
            return got.bytes;
        });
    try {
        let manifest = parseManifest(await manifestBytes(digest, `base image ${where} not found; it must exist in the registry, pinned by digest`), `base image ${where}`);
        let manifestDigest = digest;
        const type = manifest.mediaType;
        if (type === OCI_INDEX || type === DOCKER_MANIFEST_LIST || (manifest.manifests !== undefined && !manifest.layers)) {
            const match = (manifest.manifests ?? []).find((m) => m.platform?.os === platform.os && m.platform?.architecture === platform.architecture);
            if (!match) throw new Error(`base image ${where} is an index without a ${platform.os}/${platform.architecture} image`);
            manifestDigest = match.digest;
            manifest = parseManifest(
                await manifestBytes(manifestDigest, `base image ${where}: platform manifest ${manifestDigest} not found`),
                `base image ${where}: platform manifest ${manifestDigest}`,
            );
        }
        if (manifest.mediaType && manifest.mediaType !== OCI_MANIFEST && manifest.mediaType !== DOCKER_MANIFEST) {
            throw new Error(`base image ${where} has unsupported manifest type ${manifest.mediaType}`);
        }
        if (!manifest.config || !manifest.layers) throw new Error(`base image ${where}: manifest ${manifestDigest} is not a valid image manifest: it lacks config or layers`);
        const configDigest = manifest.config.digest;
        const configBytes = await cachedBlob(cacheDir, configDigest, () => getClient().getBlob(repository, configDigest));
        const layers: Descriptor[] = manifest.layers.map((l) => {
            const mediaType = l.mediaType === undefined ? undefined : LAYER_TYPE_TO_OCI[l.mediaType];
            if (!mediaType) throw new Error(`base image ${where} has a layer of unsupported type ${l.mediaType}`);
            return { mediaType, digest: l.digest, size: l.size, ...(l.annotations ? { annotations: l.annotations } : {}) };
        });
        const config: unknown = JSON.parse(configBytes.toString("utf8"));
        if (!isPlainObject(config)) throw new Error(`base image ${where}: config ${configDigest} is not a JSON object`);
        return { registry, repository, manifestDigest, config, layers };
    } finally {
        client?.close();
    }
}
