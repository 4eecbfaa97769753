// Pushing a composed artifact: the blobs the target lacks, several at once (`concurrency`), each
// one HEADed first, mounted when another repository of the registry holds it (the base image's,
// or one recorded in blob-locations.ts), uploaded otherwise (resumable, upload.ts); then the
// manifest by digest, then the tag. Manifest last, so an interrupted push never leaves a manifest
// pointing at missing blobs.
import { ArtifactBlob, ComposedArtifact } from "./artifact";
import { KnownLocations, knownLocations, recordLocations } from "./blob-locations";
import { defaultCacheDir } from "./disk-cache";
import { RegistryError } from "./errors";
import { mapLimit } from "./concurrency";
import { forgetCachedLayer } from "./layers";
import { ProgressMeter, PushProgress } from "./progress";
import { RegistryClient, RegistryConnection } from "./remote";
import { streamTar } from "./tar";
import { BlobSource } from "./upload";
import { UploadSessions } from "./upload-sessions";

export interface PushOptions {
    connection?: RegistryConnection;
    /** Connection to the base image's registry when it differs from the target. */
    baseConnection?: RegistryConnection;
    /** Tag to point at the manifest after it is stored by digest. */
    tag?: string;
    /** Names the push in progress lines (default the repository). */
    label?: string;
    onProgress?: (p: PushProgress) => void;
    /** Progress lines at most this often (default 5 s). */
    progressIntervalMs?: number;
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
    const cacheDir = opts.cacheDir ?? defaultCacheDir();
    const sessions = new UploadSessions(cacheDir);
    const sourceClients = new Map<string, RegistryClient>();
    const { repository } = artifact;
    let bytesUploaded = 0;
    let blobsUploaded = 0;
    let blobsMounted = 0;
    try {
        // One HEAD per blob first: the total to send is known before the first byte goes.
        const missing = (
            await mapLimit(artifact.blobs, client.concurrency * 2, async (blob) => ((await client.blobSize(repository, blob.descriptor.digest)) === undefined ? blob : undefined))
        ).filter((b): b is ArtifactBlob => b !== undefined);
        const meter = new ProgressMeter(
            opts.label ?? `${artifact.registry}/${repository}`,
            missing.reduce((n, b) => n + b.descriptor.size, 0),
            missing.length,
            opts.onProgress,
            opts.progressIntervalMs,
        );
        // The remembered blob locations, read once for all the missing blobs (a hint: unreadable is none).
        const locations: KnownLocations = missing.length > 0 ? await knownLocations(cacheDir, artifact.registry).catch(() => () => []) : () => [];
        // Largest first: the long uploads start early and the small ones fill in around them.
        const order = [...missing].sort((a, b) => b.descriptor.size - a.descriptor.size);
        await mapLimit(order, client.concurrency, async (blob) => {
            const { digest } = blob.descriptor;
            try {
                await sessions.withBlobLock(artifact.registry, repository, digest, async (waited) => {
                    // Another push may have sent it while this one waited for the lock.
                    if (waited && (await client.blobSize(repository, digest)) !== undefined) return meter.blobSkipped(blob.descriptor.size);
                    for (const from of mountCandidates(blob, artifact, locations)) {
                        if (await client.mountBlob(repository, digest, from).catch(() => false)) {
                            blobsMounted++;
                            return meter.blobSkipped(blob.descriptor.size);
                        }
                    }
                    const sent = await client.uploadBlob(repository, blob.descriptor, blobSource(blob, artifact, opts, client, sourceClients), {
                        onBytes: (n) => meter.addBytes(n),
                        mismatchMessage: (actual) => mismatchMessage(blob, actual),
                        // Files are re-hashed only by the registry (it verifies before committing);
                        // bytes copied from another registry are checked here too.
                        verify: blob.origin.kind === "registry",
                        sessions,
                    });
                    bytesUploaded += sent;
                    blobsUploaded++;
                });
            } catch (err) {
                // The stat cache vouched for bytes that hash otherwise: forget that layer so the next run reads them.
                if (err instanceof RegistryError && err.kind === "digest-mismatch" && blob.origin.kind === "directory")
                    await forgetCachedLayer(blob.origin.layer.cacheKey, cacheDir);
                throw err;
            }
            meter.blobDone();
        });
        await client.putManifest(repository, artifact.digest, artifact.manifestBytes, artifact.mediaType);
        if (opts.tag) await client.putManifest(repository, opts.tag, artifact.manifestBytes, artifact.mediaType);
        meter.finish();
        await recordLocations(
            cacheDir,
            artifact.registry,
            repository,
            artifact.blobs.map((b) => b.descriptor.digest),
        ).catch(() => undefined);
        return { digest: artifact.digest, reference: artifact.reference, bytesUploaded, blobsUploaded, blobsMounted };
    } finally {
        client.close();
        for (const c of sourceClients.values()) c.close();
    }
}

/** Repositories of the same registry that may hold the blob: the base image's, then remembered ones. */
function mountCandidates(blob: ArtifactBlob, artifact: ComposedArtifact, locations: KnownLocations): string[] {
    const out: string[] = [];
    if (blob.origin.kind === "registry" && blob.origin.registry === artifact.registry && blob.origin.repository !== artifact.repository) out.push(blob.origin.repository);
    for (const r of locations(blob.descriptor.digest, artifact.repository)) if (!out.includes(r)) out.push(r);
    return out.slice(0, 3);
}

/** Where a blob's bytes come from; a blob of the target registry itself is read through the push's own client. */
function blobSource(blob: ArtifactBlob, artifact: ComposedArtifact, opts: PushOptions, client: RegistryClient, sourceClients: Map<string, RegistryClient>): BlobSource {
    const origin = blob.origin;
    switch (origin.kind) {
        case "bytes":
            return () => [origin.bytes];
        case "directory":
            return () => streamTar(origin.layer.plan, { readChunkBytes: 1024 * 1024 });
        case "registry": {
            const key = origin.registry;
            if (key !== artifact.registry && !sourceClients.has(key)) sourceClients.set(key, new RegistryClient(origin.registry, opts.baseConnection ?? {}));
            const source = key === artifact.registry ? client : sourceClients.get(key)!;
            return () => source.streamBlob(origin.repository, blob.descriptor.digest);
        }
    }
}

function mismatchMessage(blob: ArtifactBlob, actual = "another digest"): string {
    if (blob.origin.kind === "directory") {
        return `model files changed since the digest was computed: ${blob.origin.modelDir} now gives layer ${actual}, not ${blob.descriptor.digest}; run pulumi preview/up again so the new digest is shown and pushed`;
    }
    if (blob.origin.kind === "registry") {
        return `digest mismatch: blob ${blob.descriptor.digest} read from ${blob.origin.registry}/${blob.origin.repository} hashes to ${actual}`;
    }
    return `digest mismatch: blob ${blob.descriptor.digest} hashes to ${actual}`;
}
