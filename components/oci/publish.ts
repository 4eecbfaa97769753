// Pushing a composed artifact: only the blobs the target lacks (mounted from the base repository
// when on the same registry, streamed across otherwise), then the manifest by digest, then the
// tag. Manifest last, so an interrupted push never leaves a manifest pointing at missing blobs.
// Also the implementation behind the OciArtifact dynamic provider (push.ts), which loads this
// module by path in its own process.
import { ArtifactBlob, composeManifestBundle, ComposedArtifact, composeModelImage } from "./compose";
import { forgetCachedLayer } from "./layer";
import { BlobSource, RegistryClient, RegistryConnection, UploadProgress } from "./registry";
import { streamTar } from "./tar";

export interface PushOptions {
    connection?: RegistryConnection;
    /** Connection to the base image's registry when it differs from the target. */
    baseConnection?: RegistryConnection;
    /** Tag to point at the manifest after it is stored by digest. */
    tag?: string;
    onProgress?: (p: UploadProgress) => void;
    cacheDir?: string;
}

export interface PushResult {
    digest: string;
    reference: string;
    bytesUploaded: number;
    blobsUploaded: number;
    blobsMounted: number;
}

export async function pushArtifact(artifact: ComposedArtifact, opts: PushOptions = {}): Promise<PushResult> {
    const client = new RegistryClient(artifact.registry, opts.connection ?? {});
    const sourceClients = new Map<string, RegistryClient>();
    let bytesUploaded = 0;
    let blobsUploaded = 0;
    let blobsMounted = 0;
    try {
        // One blob at a time: a model layer saturates the link alone, and memory stays flat.
        for (const blob of artifact.blobs) {
            const { descriptor } = blob;
            if ((await client.blobSize(artifact.repository, descriptor.digest)) !== undefined) continue;
            if (blob.origin.kind === "registry" && blob.origin.registry === artifact.registry && blob.origin.repository !== artifact.repository) {
                if (await client.mountBlob(artifact.repository, descriptor.digest, blob.origin.repository)) {
                    blobsMounted++;
                    continue;
                }
            }
            const sent = await client.uploadBlob(artifact.repository, descriptor, blobSource(blob, artifact, opts, sourceClients), {
                onProgress: opts.onProgress,
                mismatchMessage: (actual) => mismatchMessage(blob, actual),
            });
            if (sent > 0) {
                bytesUploaded += sent;
                blobsUploaded++;
            }
        }
        await client.putManifest(artifact.repository, artifact.digest, artifact.manifestBytes, artifact.mediaType);
        if (opts.tag) await client.putManifest(artifact.repository, opts.tag, artifact.manifestBytes, artifact.mediaType);
        return { digest: artifact.digest, reference: artifact.reference, bytesUploaded, blobsUploaded, blobsMounted };
    } catch (err) {
        // The stat cache vouched for bytes that hash otherwise: forget it so the next run reads them.
        for (const blob of artifact.blobs) {
            if (blob.origin.kind === "directory" && (err as { code?: string }).code === "DIGEST_INVALID") await forgetCachedLayer(blob.origin.layer.cacheKey, opts.cacheDir);
        }
        throw err;
    } finally {
        client.close();
        for (const c of sourceClients.values()) c.close();
    }
}

function blobSource(blob: ArtifactBlob, artifact: ComposedArtifact, opts: PushOptions, sourceClients: Map<string, RegistryClient>): BlobSource {
    const origin = blob.origin;
    switch (origin.kind) {
        case "bytes":
            return async function* () {
                yield origin.bytes;
            };
        case "directory":
            return () => streamTar(origin.layer.plan, { readChunkBytes: 1024 * 1024 });
        case "registry": {
            const key = origin.registry;
            if (!sourceClients.has(key)) {
                const conn = origin.registry === artifact.registry ? opts.connection : opts.baseConnection;
                sourceClients.set(key, new RegistryClient(origin.registry, conn ?? {}));
            }
            const source = sourceClients.get(key)!;
            return () => source.streamBlob(origin.repository, blob.descriptor.digest);
        }
    }
}

function mismatchMessage(blob: ArtifactBlob, actual: string): string {
    if (blob.origin.kind === "directory") {
        return `model files changed since the digest was computed: ${blob.origin.modelDir} now gives layer ${actual}, not ${blob.descriptor.digest}; run pulumi preview/up again so the new digest is shown and pushed`;
    }
    if (blob.origin.kind === "registry") {
        return `digest mismatch: blob ${blob.descriptor.digest} read from ${blob.origin.registry}/${blob.origin.repository} hashes to ${actual}`;
    }
    return `digest mismatch: blob ${blob.descriptor.digest} hashes to ${actual}`;
}

// ---- the recipe the dynamic provider recomputes ----------------------------------------------------

/** The push resource's inputs: enough to recompute the artifact from scratch in `pulumi up`. */
export interface ArtifactRecipe {
    kind: "modelcar-image" | "manifest-bundle";
    registry: string;
    repository: string;
    reference: string;
    digest: string;
    tag?: string;
    // modelcar images
    modelDir?: string;
    modelName?: string;
    version?: string;
    baseImage?: string;
    provenance?: Record<string, string>;
    // manifest bundles
    manifests?: Array<Record<string, any>>;
    annotations?: Record<string, string>;
    // connection
    username?: string;
    password?: string;
    plainHttp?: boolean;
    insecure?: boolean;
    chunkSize?: number;
}

export function connectionFromRecipe(recipe: ArtifactRecipe): RegistryConnection {
    return {
        ...(recipe.username ? { username: recipe.username, password: recipe.password } : {}),
        plainHttp: recipe.plainHttp ?? false,
        insecure: recipe.insecure ?? false,
        ...(recipe.chunkSize ? { chunkSize: recipe.chunkSize } : {}),
    };
}

/** Recomputes the artifact from its recipe; fails clearly when the result is not the previewed digest. */
export async function recomposeFromRecipe(recipe: ArtifactRecipe, cacheDir?: string): Promise<ComposedArtifact> {
    const connection = connectionFromRecipe(recipe);
    let artifact: ComposedArtifact;
    if (recipe.kind === "modelcar-image") {
        artifact = await composeModelImage({
            modelDir: required(recipe.modelDir, "modelDir"),
            modelName: required(recipe.modelName, "modelName"),
            version: required(recipe.version, "version"),
            baseImage: required(recipe.baseImage, "baseImage"),
            registry: recipe.registry,
            repository: recipe.repository,
            connection,
            provenance: recipe.provenance,
            annotations: recipe.annotations,
            cacheDir,
        });
        if (artifact.digest !== recipe.digest) {
            throw new Error(
                `model files changed since preview: ${recipe.modelDir} now gives ${artifact.digest}, but the plan was computed for ${recipe.digest}; ` +
                    `nothing was pushed; run pulumi up again to push the new digest`,
            );
        }
    } else if (recipe.kind === "manifest-bundle") {
        artifact = await composeManifestBundle({ manifests: required(recipe.manifests, "manifests"), registry: recipe.registry, repository: recipe.repository, annotations: recipe.annotations });
        if (artifact.digest !== recipe.digest) {
            throw new Error(`manifest bundle changed since preview: it now gives ${artifact.digest}, not ${recipe.digest}; run pulumi up again`);
        }
    } else {
        throw new Error(`kind must be "modelcar-image" or "manifest-bundle", got "${(recipe as { kind: string }).kind}"`);
    }
    return artifact;
}

export async function publishRecipe(
    recipe: ArtifactRecipe,
    opts: { onProgress?: (p: UploadProgress) => void; cacheDir?: string; /** Retry tuning etc. on top of the recipe's connection. */ connection?: Partial<RegistryConnection> } = {},
): Promise<PushResult> {
    const artifact = await recomposeFromRecipe(recipe, opts.cacheDir);
    return pushArtifact(artifact, { connection: { ...connectionFromRecipe(recipe), ...opts.connection }, tag: recipe.tag, onProgress: opts.onProgress, cacheDir: opts.cacheDir });
}

/** Whether the registry still has the manifest (a deleted one is restored by the next up). */
export async function manifestPresent(recipe: ArtifactRecipe): Promise<boolean> {
    const client = new RegistryClient(recipe.registry, { ...connectionFromRecipe(recipe), maxRetries: 1 });
    try {
        return await client.manifestExists(recipe.repository, recipe.digest);
    } finally {
        client.close();
    }
}

function required<T>(value: T | undefined, field: string): T {
    if (value === undefined || value === null || (value as unknown) === "") throw new Error(`OciArtifact input "${field}" is required for this kind`);
    return value;
}
