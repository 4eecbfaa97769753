// The modelcar's base image: its manifest (the platform's, when the reference is an index) and
// config, read by digest from the disk cache or the registry. Only metadata is read; the base's
// layers are mounted or copied at push time.
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
        let manifest = JSON.parse((await manifestBytes(digest, `base image ${where} not found; it must exist in the registry, pinned by digest`)).toString("utf8")) as Record<string, any>;
        let manifestDigest = digest;
        const type = manifest.mediaType;
        if (type === OCI_INDEX || type === DOCKER_MANIFEST_LIST || (Array.isArray(manifest.manifests) && !manifest.layers)) {
            const match = (manifest.manifests as Array<Record<string, any>>).find((m) => m.platform?.os === platform.os && m.platform?.architecture === platform.architecture);
            if (!match) throw new Error(`base image ${where} is an index without a ${platform.os}/${platform.architecture} image`);
            manifestDigest = match.digest;
            manifest = JSON.parse((await manifestBytes(manifestDigest, `base image ${where}: platform manifest ${manifestDigest} not found`)).toString("utf8"));
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
        return { registry, repository, manifestDigest, config: JSON.parse(configBytes.toString("utf8")), layers };
    } finally {
        client?.close();
    }
}
