// Resumable blob uploads. One session per blob: POST opens it; the bytes go in one streamed PUT
// (monolithic, the default) or in streamed PATCHes of `chunkSize` (chunked); a final PUT with the
// digest commits. When an attempt fails, the registry is asked how much it holds (GET on the
// session's latest Location) and the upload continues from there, within the run and, through the
// session record in the cache (upload-sessions.ts), in the next run. A session given up for good is
// cancelled (DELETE) so partial uploads do not pile up in the registry's storage.
//
// Limits of the registry, not of this client: distribution 2.8 signs the offset into the Location
// (`_state`) and refuses every request, DELETE included, once the stored size differs from it. A
// body cut mid-way (registry killed, connection reset) stores a partial prefix, so on 2.8 that
// session can neither be resumed nor cancelled; it is left to the registry's upload purger and the
// upload starts a new session. Completed chunks and completed blobs are never sent again.
//
// Memory: bodies are streamed from the source, never assembled, so a chunk of any size costs only
// the source's read buffers (1 MiB reads, one read ahead).
import { createHash } from "crypto";
import { DigestMismatch } from "./digest";
import { checkReturnedDigest, RegistryError } from "./errors";
import { AuthRenewed, Transport, TransportRequest, TransportResponse } from "./transport";
import { UploadSessions } from "./upload-sessions";

/** A blob's bytes, from the start, re-openable (an upload continues by re-reading and skipping); bytes in memory as a plain iterable. */
export type BlobSource = () => AsyncIterable<Buffer> | Iterable<Buffer>;

export interface UploadOptions {
    /** Chunked upload with chunks of this many bytes (raised to the registry's OCI-Chunk-Min-Length). */
    chunkSize?: number;
    /** Bytes handed to the network, as they go (the push sums them into per-model progress). */
    onBytes?: (bytes: number) => void;
    /** The message when the bytes hash to something else than the descriptor's digest (`actual` unknown when the registry found it). */
    mismatchMessage?: (actual?: string) => string;
    /**
     * Hash the bytes while they stream and hold the last piece back until they match (default
     * true). Off for bytes this process just hashed or read from files whose stat fingerprint vouches
     * for them: the registry verifies the digest before it commits the blob anyway, and one sha256
     * pass less is a core's worth of throughput on a small machine.
     */
    verify?: boolean;
    /** Where session Locations are remembered between runs; none: no cross-run resume. */
    sessions?: UploadSessions;
}

interface Session {
    /** Where the next PATCH/PUT goes: the latest Location, whose state matches what the registry holds. */
    next: string;
    /** Bytes the registry holds. */
    offset: number;
}

/** What an upload needs of the registry client (remote.ts passes itself). */
export interface UploadClient {
    readonly registry: string;
    readonly transport: Transport;
    request(req: TransportRequest): Promise<TransportResponse>;
}

/** Uploads a blob the repository lacks; returns the bytes sent (re-sent bytes included). */
export async function uploadBlob(
    client: UploadClient,
    repository: string,
    descriptor: { digest: string; size: number },
    source: BlobSource,
    opts: UploadOptions = {},
): Promise<number> {
    const upload = new BlobUpload(client, repository, descriptor, source, opts);
    return upload.run();
}

class BlobUpload {
    private sent = 0;
    private minChunk = 0;
    private readonly operation: string;

    constructor(
        private readonly client: UploadClient,
        private readonly repository: string,
        private readonly descriptor: { digest: string; size: number },
        private readonly source: BlobSource,
        private readonly opts: UploadOptions,
    ) {
        this.operation = `upload of blob ${descriptor.digest}`;
    }

    async run(): Promise<number> {
        const { transport } = this.client;
        let session = await this.recalledSession();
        let renewed = false;
        let failures = 0;
        for (;;) {
            try {
                if (!session) session = await this.open();
                else if (session.offset < 0) session = await this.status(session.next);
                if (!session) continue; // the registry forgot it: open a new one
                await this.send(session);
                await this.opts.sessions?.forget(this.client.registry, this.repository, this.descriptor.digest);
                return this.sent;
            } catch (err) {
                // Bytes that hash otherwise here (DigestMismatch), or at the registry on commit: the source changed under us.
                if (err instanceof DigestMismatch || (err instanceof RegistryError && err.kind === "digest-mismatch")) {
                    await this.cancel(session);
                    const actual = err instanceof DigestMismatch ? err.actual : undefined;
                    throw new RegistryError(this.opts.mismatchMessage ? this.opts.mismatchMessage(actual) : err.message, {
                        kind: "digest-mismatch",
                        registry: this.client.registry,
                        repository: this.repository,
                        operation: this.operation,
                    });
                }
                if (err instanceof AuthRenewed && !renewed) {
                    renewed = true; // a token expired mid-stream: once, continue from what the registry holds
                    if (session) session.offset = -1;
                    continue;
                }
                if (!(err instanceof RegistryError)) throw err;
                const sessionLost = err.status === 404 || err.code === "BLOB_UPLOAD_UNKNOWN";
                const transient = err.kind === "unreachable" || err.kind === "timed-out" || err.kind === "server-error";
                failures++;
                // A failure the transport already retried (the POST, the status GET) is not retried again here.
                if ((!transient && !sessionLost) || err.retried || failures > transport.maxRetries) {
                    // A registry that is down keeps the session for the next run; any other end cancels it.
                    if (err.kind !== "unreachable" && err.kind !== "timed-out") await this.cancel(session);
                    throw failures > 1 ? withAttempts(err, failures) : err;
                }
                if (sessionLost) session = undefined;
                else if (session) session.offset = -1; // ask the registry where it stands
                const waitMs = transport.backoffMs(failures);
                transport.notifyWait({ operation: this.operation, attempt: failures, waitMs, reason: err.kind === "server-error" ? `HTTP ${err.status}` : err.kind });
                await new Promise((resolve) => setTimeout(resolve, waitMs));
            }
        }
    }

    /** The session a previous run left, if the registry still has it. */
    private async recalledSession(): Promise<Session | undefined> {
        const sessions = this.opts.sessions;
        if (!sessions) return undefined;
        const latest = await sessions.recall(this.client.registry, this.repository, this.descriptor.digest);
        if (!latest) return undefined;
        try {
            return await this.status(latest); // cancels (and forgets) a session the registry no longer knows
        } catch {
            await this.cancel({ next: latest, offset: 0 });
            return undefined;
        }
    }

    private async open(): Promise<Session> {
        const res = await this.client.request({
            method: "POST",
            url: `/v2/${this.repository}/blobs/uploads/`,
            repository: this.repository,
            ok: [202],
            headers: { "content-length": "0" },
            operation: `start of ${this.operation}`,
        });
        const minChunk = Number(res.headers["oci-chunk-min-length"] ?? 0);
        if (minChunk > 0) this.minChunk = minChunk;
        const first = this.location(res);
        await this.opts.sessions?.remember(this.client.registry, this.repository, this.descriptor.digest, first);
        return { next: first, offset: 0 };
    }

    /** Asks the registry how much of the session it holds; undefined when it no longer knows it (or will not say). */
    private async status(latest: string): Promise<Session | undefined> {
        const res = await this.client.request({ method: "GET", url: latest, repository: this.repository, ok: [204, 400, 404, 405, 416], operation: `status of ${this.operation}` });
        if (res.status !== 204) {
            await this.cancel({ next: latest, offset: 0 });
            return undefined;
        }
        const range = /^(?:bytes=)?0-(\d+)$/.exec(String(res.headers.range ?? ""));
        // "0-0" is also what distribution answers for an empty session; a 1-byte prefix is re-sent.
        const offset = range && Number(range[1]) > 0 ? Number(range[1]) + 1 : 0;
        return { next: res.headers.location ? String(res.headers.location) : latest, offset: Math.min(offset, this.descriptor.size) };
    }

    private async cancel(session: Session | undefined): Promise<void> {
        if (!session) return;
        await this.client
            .request({ method: "DELETE", url: session.next, repository: this.repository, ok: [204, 404, 400, 405], operation: `cancel of ${this.operation}`, retry: false })
            .catch(() => undefined);
        await this.opts.sessions?.forget(this.client.registry, this.repository, this.descriptor.digest);
    }

    private async send(session: Session): Promise<void> {
        const { size, digest } = this.descriptor;
        const bytes = this.opts.verify === false ? skipping(this.source(), session.offset) : verifyingStream(this.source(), this.descriptor, session.offset);
        const counted = countBytes(bytes, (n) => {
            this.sent += n;
            this.opts.onBytes?.(n);
        });
        if (!this.opts.chunkSize && session.offset === 0) {
            const res = await this.client.request({
                method: "PUT",
                url: withDigest(session.next, digest),
                repository: this.repository,
                ok: [201],
                body: counted,
                headers: { "content-type": "application/octet-stream", "content-length": String(size) },
                operation: this.operation,
            });
            checkReturnedDigest(res.headers, this.descriptor.digest, { registry: this.client.registry, repository: this.repository, operation: this.operation });
            return;
        }
        const chunkSize = this.opts.chunkSize ? Math.max(this.opts.chunkSize, this.minChunk, 1) : size;
        const reader = new ExactReader(counted[Symbol.asyncIterator]());
        try {
            await this.sendChunks(session, reader, chunkSize);
        } finally {
            await reader.close(); // a failed PATCH leaves the source open: close its file
        }
        const res = await this.client.request({
            method: "PUT",
            url: withDigest(session.next, digest),
            repository: this.repository,
            ok: [201],
            headers: { "content-length": "0" },
            operation: `commit of ${this.operation}`,
            retry: false,
        });
        checkReturnedDigest(res.headers, this.descriptor.digest, { registry: this.client.registry, repository: this.repository, operation: this.operation });
    }

    /** The bytes from `session.offset` on, in PATCHes of `chunkSize`; the session follows the registry's Locations. */
    private async sendChunks(session: Session, reader: ExactReader, chunkSize: number): Promise<void> {
        const { size } = this.descriptor;
        while (session.offset < size) {
            const length = Math.min(chunkSize, size - session.offset);
            const res = await this.client.request({
                method: "PATCH",
                url: session.next,
                repository: this.repository,
                ok: [202],
                body: reader.take(length),
                headers: {
                    "content-type": "application/octet-stream",
                    "content-length": String(length),
                    "content-range": `${session.offset}-${session.offset + length - 1}`,
                },
                operation: this.operation,
            });
            session.next = this.location(res);
            session.offset += length;
            await this.opts.sessions?.remember(this.client.registry, this.repository, this.descriptor.digest, session.next);
        }
        await reader.drain(); // runs the digest check if the last piece was not needed
    }

    private location(res: TransportResponse): string {
        const loc = res.headers.location;
        if (!loc) {
            throw new RegistryError(`${this.operation} on ${this.client.registry}/${this.repository}: the registry answered without a Location header`, {
                kind: "protocol",
                registry: this.client.registry,
                repository: this.repository,
                operation: this.operation,
            });
        }
        return String(loc);
    }
}

function withAttempts(err: RegistryError, attempts: number): RegistryError {
    if (/\(after \d+ attempts/.test(err.message)) return err;
    return new RegistryError(`${err.message} (after ${attempts} attempts)`, { ...err, kind: err.kind, registry: err.registry, attempts });
}

function withDigest(location: string, digest: string): string {
    const sep = location.includes("?") ? "&" : "?";
    return `${location}${sep}digest=${encodeURIComponent(digest)}`;
}

async function* countBytes(source: AsyncIterable<Buffer>, count: (n: number) => void): AsyncGenerator<Buffer> {
    for await (const piece of source) {
        count(piece.length);
        yield piece;
    }
}

/** Passes a blob's bytes through from `skip` on. */
async function* skipping(source: AsyncIterable<Buffer> | Iterable<Buffer>, skip: number): AsyncGenerator<Buffer> {
    let seen = 0;
    for await (const chunk of source) {
        const start = seen;
        seen += chunk.length;
        if (seen <= skip) continue;
        yield start >= skip ? chunk : chunk.subarray(skip - start);
    }
}

/**
 * Passes a blob's bytes through, hashing all of them, skipping the first `skip` bytes (already at
 * the registry). The last piece is held back until the hash is known, so a wrong blob never
 * completes at the registry.
 */
export async function* verifyingStream(source: AsyncIterable<Buffer> | Iterable<Buffer>, descriptor: { digest: string; size: number }, skip: number): AsyncGenerator<Buffer> {
    const hash = createHash("sha256");
    let seen = 0;
    let held: Buffer | undefined;
    for await (const chunk of source) {
        hash.update(chunk);
        const start = seen;
        seen += chunk.length;
        if (seen > descriptor.size) throw new DigestMismatch("blob", descriptor.digest, `(more than ${descriptor.size} bytes)`);
        if (seen <= skip) continue;
        const piece = start >= skip ? chunk : chunk.subarray(skip - start);
        if (held) yield held;
        held = piece;
    }
    const actual = "sha256:" + hash.digest("hex");
    if (seen !== descriptor.size || actual !== descriptor.digest) throw new DigestMismatch("blob", descriptor.digest, actual);
    if (held) yield held;
}

/** Hands out a byte stream in bodies of exact lengths (chunks), splitting pieces at the boundaries. */
class ExactReader {
    private carry: Buffer | undefined;
    constructor(private readonly it: AsyncIterator<Buffer>) {}

    async *take(length: number): AsyncGenerator<Buffer> {
        let left = length;
        while (left > 0) {
            let piece = this.carry;
            this.carry = undefined;
            if (!piece) {
                const next = await this.it.next();
                if (next.done) throw new Error(`internal: blob ended ${left} bytes early`);
                piece = next.value;
            }
            if (piece.length > left) {
                this.carry = piece.subarray(left);
                piece = piece.subarray(0, left);
            }
            left -= piece.length;
            yield piece;
        }
    }

    async close(): Promise<void> {
        await this.it.return?.(undefined);
    }

    async drain(): Promise<void> {
        for (let next = await this.it.next(); !next.done; next = await this.it.next()) {
            if (next.value.length > 0) throw new Error(`internal: blob longer than its size`);
        }
    }
}
