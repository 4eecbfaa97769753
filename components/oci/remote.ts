// The distribution API of one registry, over transport.ts: blob HEAD/GET/stream/mount, resumable
// uploads (upload.ts), manifests GET/HEAD/PUT/DELETE and referrers. Every digest read is verified.
import * as http from "http";
import { isPlainObject } from "../lib/plain-object";
import { credentialsFromDockerConfig } from "./auth";
import { sha256Digest, verifyDigest } from "./digest";
import { checkReturnedDigest, RegistryError } from "./errors";
import { MANIFEST_ACCEPT, OCI_INDEX } from "./media-types";
import { Transport, TransportOptions, TransportRequest, TransportResponse } from "./transport";
import { BlobSource, uploadBlob, UploadOptions } from "./upload";

export interface RegistryConnection extends Omit<TransportOptions, "credentials"> {
    /** Overrides Docker's config.json. */
    username?: string;
    password?: string;
    /** Where to look for `docker login` credentials; default `$DOCKER_CONFIG/config.json` or ~/.docker/config.json. */
    dockerConfigPath?: string;
    /** When set, blobs are uploaded in chunks of this many bytes (raised to the registry's OCI-Chunk-Min-Length). */
    chunkSize?: number;
    /** Blobs uploaded at once by a push (default 4). */
    concurrency?: number;
}

export const DEFAULT_CONCURRENCY = 4;

export class RegistryClient {
    readonly registry: string;
    readonly transport: Transport;
    readonly chunkSize?: number;
    readonly concurrency: number;

    constructor(registry: string, conn: RegistryConnection = {}) {
        this.registry = registry;
        let credentials;
        if (conn.username !== undefined || conn.password !== undefined) {
            if (!conn.username || !conn.password) {
                throw new RegistryError(`registry ${registry}: username and password must be given together`, { kind: "unauthorized", registry });
            }
            credentials = { username: conn.username, password: conn.password };
        } else {
            credentials = credentialsFromDockerConfig(registry, conn.dockerConfigPath);
        }
        this.transport = new Transport(registry, { ...conn, credentials });
        this.chunkSize = conn.chunkSize;
        this.concurrency = Math.max(1, Math.floor(conn.concurrency ?? DEFAULT_CONCURRENCY));
    }

    close(): void {
        this.transport.close();
    }

    request(req: TransportRequest): Promise<TransportResponse> {
        return this.transport.request(req);
    }

    // ---- blobs -------------------------------------------------------------------------------

    /** Size of the blob if the repository has it, undefined if not. */
    async blobSize(repository: string, digest: string): Promise<number | undefined> {
        const res = await this.request({ method: "HEAD", url: `/v2/${repository}/blobs/${digest}`, repository, ok: [200, 404], operation: `HEAD of blob ${digest}` });
        if (res.status === 404) return undefined;
        return Number(res.headers["content-length"] ?? NaN);
    }

    /** Fetches a small blob whole, verifying its digest. */
    async getBlob(repository: string, digest: string): Promise<Buffer> {
        const res = await this.request({ method: "GET", url: `/v2/${repository}/blobs/${digest}`, repository, ok: [200], operation: `GET of blob ${digest}` });
        verifyDigest(res.body, digest, `blob ${digest} of ${this.registry}/${repository}`);
        return res.body;
    }

    /** Streams a blob (copying between registries); the consumer verifies the digest. */
    async *streamBlob(repository: string, digest: string): AsyncGenerator<Buffer> {
        const res: http.IncomingMessage = await this.transport.stream({ url: `/v2/${repository}/blobs/${digest}`, repository, operation: `GET of blob ${digest}` });
        for await (const chunk of res) yield chunk as Buffer;
    }

    /** Cross-repository mount; true when the registry mounted it, false when it declined. */
    async mountBlob(repository: string, digest: string, fromRepository: string): Promise<boolean> {
        const q = new URLSearchParams({ mount: digest, from: fromRepository });
        const res = await this.request({
            method: "POST",
            url: `/v2/${repository}/blobs/uploads/?${q.toString()}`,
            repository,
            mountFrom: fromRepository,
            ok: [201, 202],
            headers: { "content-length": "0" },
            operation: `mount of blob ${digest} from ${fromRepository}`,
        });
        if (res.status === 202 && res.headers.location) {
            // Declined: the registry opened an upload session instead; close it so it does not linger.
            await this.request({ method: "DELETE", url: String(res.headers.location), repository, ok: [204, 404, 405, 400], operation: "cancel of a declined mount" }).catch(
                () => undefined,
            );
        }
        return res.status === 201;
    }

    /** Uploads a blob the repository lacks (resumable; see upload.ts). Returns the bytes sent. */
    uploadBlob(repository: string, descriptor: { digest: string; size: number }, source: BlobSource, opts: UploadOptions = {}): Promise<number> {
        return uploadBlob(this, repository, descriptor, source, { chunkSize: this.chunkSize, ...opts });
    }

    // ---- manifests ---------------------------------------------------------------------------

    async getManifest(repository: string, reference: string): Promise<{ bytes: Buffer; mediaType: string; digest: string } | undefined> {
        const res = await this.request({
            method: "GET",
            url: `/v2/${repository}/manifests/${reference}`,
            repository,
            ok: [200, 404],
            headers: { accept: MANIFEST_ACCEPT },
            operation: `GET of manifest ${reference}`,
        });
        if (res.status === 404) return undefined;
        const digest = sha256Digest(res.body);
        if (reference.startsWith("sha256:") && digest !== reference) {
            throw new RegistryError(`GET of manifest ${reference} on ${this.registry}/${repository}: the registry returned a manifest whose sha256 is ${digest}`, {
                kind: "digest-mismatch",
                registry: this.registry,
                repository,
            });
        }
        let mediaType = String(res.headers["content-type"] ?? "").split(";")[0];
        try {
            const parsed: unknown = JSON.parse(res.body.toString("utf8"));
            if (isPlainObject(parsed) && typeof parsed.mediaType === "string") mediaType = parsed.mediaType;
        } catch {
            /* keep the header's */
        }
        return { bytes: res.body, mediaType, digest };
    }

    async manifestExists(repository: string, reference: string): Promise<boolean> {
        const res = await this.request({
            method: "HEAD",
            url: `/v2/${repository}/manifests/${reference}`,
            repository,
            ok: [200, 404],
            headers: { accept: MANIFEST_ACCEPT },
            operation: `HEAD of manifest ${reference}`,
        });
        return res.status === 200;
    }

    /** PUTs a manifest under a digest or tag; returns the digest the registry reports (checked). */
    async putManifest(repository: string, reference: string, bytes: Buffer, mediaType: string): Promise<string> {
        const digest = sha256Digest(bytes);
        if (reference.startsWith("sha256:") && reference !== digest) throw new Error(`internal: manifest bytes hash to ${digest}, not ${reference}`);
        const res = await this.request({
            method: "PUT",
            url: `/v2/${repository}/manifests/${reference}`,
            repository,
            ok: [201],
            body: bytes,
            headers: { "content-type": mediaType, "content-length": String(bytes.length) },
            operation: `PUT of manifest ${reference}`,
        });
        checkReturnedDigest(res.headers, digest, { registry: this.registry, repository });
        return digest;
    }

    async deleteManifest(repository: string, digest: string): Promise<void> {
        await this.request({ method: "DELETE", url: `/v2/${repository}/manifests/${digest}`, repository, ok: [202, 404], operation: `DELETE of manifest ${digest}` });
    }

    /**
     * Manifests that refer to `digest` (signatures, attestations), from the referrers API, or from
     * the fallback tag `sha256-<hex>` on registries without it (distribution 2.8).
     */
    async referrers(
        repository: string,
        digest: string,
        artifactType?: string,
    ): Promise<Array<{ digest: string; artifactType?: string; mediaType: string; annotations?: Record<string, string> }>> {
        const q = artifactType ? `?${new URLSearchParams({ artifactType }).toString()}` : "";
        const res = await this.request({
            method: "GET",
            url: `/v2/${repository}/referrers/${digest}${q}`,
            repository,
            ok: [200, 404],
            headers: { accept: OCI_INDEX },
            operation: `GET of referrers of ${digest}`,
        });
        let body: Buffer | undefined = res.status === 200 ? res.body : undefined;
        const fallback = !body;
        if (!body) body = (await this.getManifest(repository, digest.replace(":", "-")))?.bytes;
        if (!body) return [];
        const index = JSON.parse(body.toString("utf8")) as {
            manifests?: Array<{ digest: string; artifactType?: string; mediaType: string; annotations?: Record<string, string> }>;
        };
        let entries = index.manifests ?? [];
        if (fallback) {
            // Clients maintaining the fallback index do not always copy artifactType and annotations
            // into it (cosign writes neither): read them from each referrer's manifest.
            entries = await Promise.all(
                entries.map(async (m) => {
                    const got = await this.getManifest(repository, m.digest);
                    if (!got) return m;
                    const parsed = JSON.parse(got.bytes.toString("utf8")) as { artifactType?: string; config?: { mediaType?: string }; annotations?: Record<string, string> };
                    return {
                        ...m,
                        artifactType: parsed.artifactType ?? parsed.config?.mediaType ?? m.artifactType,
                        annotations: { ...(m.annotations ?? {}), ...(parsed.annotations ?? {}) },
                    };
                }),
            );
        }
        return entries.filter((m) => !artifactType || m.artifactType === artifactType);
    }
}
