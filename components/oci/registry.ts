// A registry client to the OCI distribution spec, on Node's http/https only. Blob HEAD/GET,
// monolithic and chunked uploads, cross-repository mount, manifest GET/PUT, Basic and Bearer auth,
// retries with backoff on 5xx, 429 and dropped connections. Every digest is verified.
import { createHash } from "crypto";
import * as http from "http";
import * as https from "https";
import { once } from "events";
import { AuthChallenge, Credentials, credentialsFromDockerConfig, parseAuthChallenge } from "./auth";
import { apiHost, isLoopbackHost } from "./reference";

export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
export const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
export const DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
const MANIFEST_ACCEPT = [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST].join(", ");
/** Registries such as Docker Hub and ghcr.io answer blob GETs with a redirect to their CDN. */
const REDIRECT_STATUSES = [301, 302, 303, 307, 308];
const MAX_REDIRECTS = 5;

export interface RegistryConnection {
    /** Overrides Docker's config.json. */
    username?: string;
    password?: string;
    /** Plain HTTP: allowed for loopback hosts; any other host also needs `insecure`. */
    plainHttp?: boolean;
    /** Explicit acknowledgement that a non-loopback registry is reached without TLS. */
    insecure?: boolean;
    /** Where to look for `docker login` credentials; default `$DOCKER_CONFIG/config.json` or ~/.docker/config.json. */
    dockerConfigPath?: string;
    /** Attempts after the first on 5xx, 429 and dropped connections (default 5). */
    maxRetries?: number;
    /** First backoff delay; doubles each retry (default 250 ms, capped at 8 s). */
    retryBaseMs?: number;
    /** Longest `Retry-After` honoured (default 60 s): a registry asking for an hour is not waited on for an hour. */
    maxRetryAfterMs?: number;
    /** When set, blobs are uploaded in chunks of this many bytes (raised to the registry's OCI-Chunk-Min-Length). */
    chunkSize?: number;
    /** Socket inactivity timeout (default 60 s). */
    timeoutMs?: number;
}

export interface UploadProgress {
    digest: string;
    bytesSent: number;
    totalBytes: number;
    bytesPerSecond: number;
}

export interface UploadOptions {
    onProgress?: (p: UploadProgress) => void;
    /** Called when the bytes streamed hash to something other than the descriptor's digest. */
    mismatchMessage?: (actual: string) => string;
}

/** A blob's bytes, re-openable from the start (uploads are restarted or resumed on failure). */
export type BlobSource = () => AsyncIterable<Buffer>;

export class RegistryError extends Error {
    constructor(message: string, readonly status?: number, readonly code?: string) {
        super(message);
        this.name = "RegistryError";
    }
}

interface Response {
    status: number;
    headers: http.IncomingHttpHeaders;
    body: Buffer;
}

type Body = Buffer | undefined;

const RETRYABLE_ERRNO = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "ECONNABORTED", "EAI_AGAIN", "ENETUNREACH", "EHOSTUNREACH", "ERR_STREAM_PREMATURE_CLOSE", "UND_ERR_SOCKET"]);

function isRetryableError(err: unknown): boolean {
    const e = err as NodeJS.ErrnoException;
    return RETRYABLE_ERRNO.has(e?.code ?? "") || /socket hang up|aborted/i.test(e?.message ?? "");
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class RegistryClient {
    readonly registry: string;
    private readonly baseUrl: string;
    /** `scheme://host[:port]` of the registry: the only origin that gets its credentials. */
    private readonly origin: string;
    private readonly transport: typeof http | typeof https;
    private readonly agent: http.Agent;
    private readonly credentials?: Credentials;
    private readonly authHeaders = new Map<string, string>();
    private readonly maxRetries: number;
    private readonly retryBaseMs: number;
    private readonly maxRetryAfterMs: number;
    private readonly timeoutMs: number;
    private readonly insecure: boolean;
    readonly chunkSize?: number;

    constructor(registry: string, conn: RegistryConnection = {}) {
        this.registry = registry;
        if (conn.plainHttp && !isLoopbackHost(registry) && !conn.insecure) {
            throw new Error(`registry ${registry}: plainHttp is only allowed for a loopback registry (localhost, 127.0.0.0/8, [::1]); set insecure: true as well to reach another host without TLS`);
        }
        const secure = !conn.plainHttp;
        this.insecure = conn.insecure ?? false;
        this.transport = secure ? https : http;
        this.agent = secure ? new https.Agent({ keepAlive: true, maxSockets: 4 }) : new http.Agent({ keepAlive: true, maxSockets: 4 });
        this.baseUrl = `${secure ? "https" : "http"}://${apiHost(registry)}`;
        this.origin = new URL(this.baseUrl).origin;
        if (conn.username !== undefined || conn.password !== undefined) {
            if (!conn.username || !conn.password) throw new Error(`registry ${registry}: username and password must be given together`);
            this.credentials = { username: conn.username, password: conn.password };
        } else {
            this.credentials = credentialsFromDockerConfig(registry, conn.dockerConfigPath);
        }
        this.maxRetries = conn.maxRetries ?? 5;
        this.retryBaseMs = conn.retryBaseMs ?? 250;
        this.maxRetryAfterMs = conn.maxRetryAfterMs ?? 60_000;
        this.timeoutMs = conn.timeoutMs ?? 60_000;
        this.chunkSize = conn.chunkSize;
    }

    close(): void {
        this.agent.destroy();
    }

    // ---- blobs -------------------------------------------------------------------------------

    /** Size of the blob if the repository has it, undefined if not. */
    async blobSize(repository: string, digest: string): Promise<number | undefined> {
        const res = await this.request("HEAD", `/v2/${repository}/blobs/${digest}`, { repository, ok: [200, 404] });
        if (res.status === 404) return undefined;
        return Number(res.headers["content-length"] ?? NaN);
    }

    /** Fetches a small blob whole, verifying its digest. */
    async getBlob(repository: string, digest: string): Promise<Buffer> {
        const res = await this.request("GET", `/v2/${repository}/blobs/${digest}`, { repository, ok: [200], what: `blob ${digest}` });
        verifyDigest(res.body, digest, `blob ${digest} of ${this.registry}/${repository}`);
        return res.body;
    }

    /** Streams a blob (for copying between registries); the consumer verifies the digest. */
    async *streamBlob(repository: string, digest: string): AsyncGenerator<Buffer> {
        const res = await this.openStream("GET", `/v2/${repository}/blobs/${digest}`, repository);
        if (res.statusCode !== 200) {
            const body = await readAll(res);
            throw this.errorFor(res.statusCode ?? 0, body, `blob ${digest}`, repository);
        }
        for await (const chunk of res) yield chunk as Buffer;
    }

    /** Cross-repository mount; true when the registry mounted it, false when it declined. */
    async mountBlob(repository: string, digest: string, fromRepository: string): Promise<boolean> {
        const q = new URLSearchParams({ mount: digest, from: fromRepository });
        const res = await this.request("POST", `/v2/${repository}/blobs/uploads/?${q}`, {
            repository,
            extraScope: fromRepository,
            ok: [201, 202],
            headers: { "content-length": "0" },
        });
        if (res.status === 202 && res.headers.location) {
            // Declined: the registry opened an upload session instead; close it so it does not linger.
            await this.request("DELETE", res.headers.location, { repository, ok: [204, 404, 405, 400] }).catch(() => undefined);
        }
        return res.status === 201;
    }

    /**
     * Uploads a blob unless the repository already has it. Returns the bytes sent (0 when present).
     * Monolithic by default (one streamed PUT); chunked when `chunkSize` is set. A failed attempt is
     * resumed where the registry says it stopped, or restarted; the final digest is checked by us
     * before the last byte leaves and by the registry on commit.
     */
    async uploadBlob(repository: string, descriptor: { digest: string; size: number }, source: BlobSource, opts: UploadOptions = {}): Promise<number> {
        if ((await this.blobSize(repository, descriptor.digest)) !== undefined) return 0;
        let attempt = 0;
        let sent = 0;
        let location: string | undefined;
        let reauthenticated = false;
        for (;;) {
            try {
                if (!location) location = await this.startUpload(repository);
                const result = this.chunkSize
                    ? await this.uploadChunked(repository, location, descriptor, source, opts)
                    : await this.uploadMonolithic(repository, location, descriptor, source, opts);
                sent += result;
                return sent;
            } catch (err) {
                if (err instanceof DigestMismatch) {
                    if (location) await this.request("DELETE", location, { repository, ok: [204, 404, 400, 405] }).catch(() => undefined);
                    throw new RegistryError(opts.mismatchMessage ? opts.mismatchMessage(err.actual) : err.message, undefined, "DIGEST_INVALID");
                }
                if ((err as { reauthenticated?: boolean }).reauthenticated && !reauthenticated) {
                    reauthenticated = true;
                    location = undefined;
                    continue;
                }
                const status = (err as RegistryError).status;
                // Errors that already went through request()'s own retries are not retried again.
                const retryable = !(err as { retriesExhausted?: boolean }).retriesExhausted && (isRetryableError(err) || (status !== undefined && (status >= 500 || status === 429)));
                const sessionLost = status === 404 || (err as RegistryError).code === "BLOB_UPLOAD_UNKNOWN";
                if ((!retryable && !sessionLost) || attempt >= this.maxRetries) throw err;
                attempt++;
                await sleep(this.backoff(attempt));
                // A resumable session continues; a lost one (restarted registry, 404) starts over.
                if (sessionLost || !this.chunkSize) location = undefined;
                else location = await this.resumeLocation(repository, location).catch(() => undefined);
            }
        }
    }

    private async startUpload(repository: string): Promise<string> {
        const res = await this.request("POST", `/v2/${repository}/blobs/uploads/`, { repository, ok: [202], headers: { "content-length": "0" } });
        const minChunk = Number(res.headers["oci-chunk-min-length"] ?? 0);
        if (minChunk > 0) this.minChunkLength = minChunk;
        return requireLocation(res, this.registry);
    }

    private minChunkLength = 0;

    /** Asks the registry how much of an interrupted upload it holds; the session's new Location. */
    private async resumeLocation(repository: string, location: string | undefined): Promise<string | undefined> {
        if (!location) return undefined;
        const res = await this.request("GET", location, { repository, ok: [204, 404] });
        if (res.status === 404) return undefined;
        return res.headers.location ? String(res.headers.location) : location;
    }

    private async uploadMonolithic(repository: string, location: string, descriptor: { digest: string; size: number }, source: BlobSource, opts: UploadOptions): Promise<number> {
        const url = withDigest(location, descriptor.digest);
        const meter = new ProgressMeter(descriptor, opts.onProgress);
        const body = verifyingStream(source(), descriptor, 0, meter);
        const res = await this.sendStream("PUT", url, repository, { "content-type": "application/octet-stream", "content-length": String(descriptor.size) }, body);
        if (res.status === 401) {
            // A token that expired while the bytes streamed (short-lived registry tokens, large
            // models): get a fresh one and let uploadBlob start the blob again, once.
            await this.authenticate(res, repository);
            throw Object.assign(this.errorFor(401, res.body, `upload of blob ${descriptor.digest}`, repository), { reauthenticated: true });
        }
        if (res.status !== 201) throw this.errorFor(res.status, res.body, `upload of blob ${descriptor.digest}`, repository);
        checkReturnedDigest(res, descriptor.digest, this.registry);
        meter.finish();
        return descriptor.size;
    }

    private async uploadChunked(repository: string, location: string, descriptor: { digest: string; size: number }, source: BlobSource, opts: UploadOptions): Promise<number> {
        const chunkSize = Math.max(this.chunkSize ?? 0, this.minChunkLength, 1);
        // Where the registry stands: a resumed session may already hold a prefix.
        let offset = 0;
        const status = await this.request("GET", location, { repository, ok: [204, 404] });
        if (status.status === 404) throw new RegistryError(`upload session lost`, 404, "BLOB_UPLOAD_UNKNOWN");
        const range = /^(?:bytes=)?0-(\d+)$/.exec(String(status.headers.range ?? ""));
        // distribution answers "0-0" for an empty session too; chunks are never 1 byte, so read it as empty.
        if (range && Number(range[1]) > 0) offset = Number(range[1]) + 1;
        if (status.headers.location) location = String(status.headers.location);

        const meter = new ProgressMeter(descriptor, opts.onProgress);
        meter.add(offset);
        let sent = 0;
        let pending: Buffer[] = [];
        let pendingBytes = 0;
        let cursor = offset;
        const flush = async () => {
            const chunk = Buffer.concat(pending, pendingBytes);
            pending = [];
            pendingBytes = 0;
            const res = await this.request("PATCH", location, {
                repository,
                ok: [202],
                body: chunk,
                retry: false,
                headers: {
                    "content-type": "application/octet-stream",
                    "content-length": String(chunk.length),
                    "content-range": `${cursor}-${cursor + chunk.length - 1}`,
                },
            });
            location = requireLocation(res, this.registry);
            cursor += chunk.length;
            sent += chunk.length;
            meter.add(chunk.length);
        };
        // The whole stream is hashed (prefix included) so the final check covers every byte.
        for await (const piece of verifyingStream(source(), descriptor, offset, undefined)) {
            pending.push(piece);
            pendingBytes += piece.length;
            while (pendingBytes >= chunkSize) {
                const all = Buffer.concat(pending, pendingBytes);
                pending = [all.subarray(0, chunkSize)];
                pendingBytes = chunkSize;
                const rest = all.subarray(chunkSize);
                await flush();
                if (rest.length) {
                    pending = [rest];
                    pendingBytes = rest.length;
                }
            }
        }
        if (pendingBytes > 0) await flush();
        const res = await this.request("PUT", withDigest(location, descriptor.digest), { repository, ok: [201], headers: { "content-length": "0" }, retry: false });
        checkReturnedDigest(res, descriptor.digest, this.registry);
        meter.finish();
        return sent;
    }

    // ---- manifests ---------------------------------------------------------------------------

    async getManifest(repository: string, reference: string): Promise<{ bytes: Buffer; mediaType: string; digest: string } | undefined> {
        const res = await this.request("GET", `/v2/${repository}/manifests/${reference}`, { repository, ok: [200, 404], headers: { accept: MANIFEST_ACCEPT } });
        if (res.status === 404) return undefined;
        const digest = "sha256:" + createHash("sha256").update(res.body).digest("hex");
        if (reference.startsWith("sha256:") && digest !== reference) {
            throw new RegistryError(`digest mismatch: ${this.registry}/${repository}@${reference} returned a manifest whose sha256 is ${digest}`);
        }
        let mediaType = String(res.headers["content-type"] ?? "").split(";")[0];
        try {
            mediaType = JSON.parse(res.body.toString("utf8")).mediaType ?? mediaType;
        } catch {
            /* keep the header's */
        }
        return { bytes: res.body, mediaType, digest };
    }

    async manifestExists(repository: string, reference: string): Promise<boolean> {
        const res = await this.request("HEAD", `/v2/${repository}/manifests/${reference}`, { repository, ok: [200, 404], headers: { accept: MANIFEST_ACCEPT } });
        return res.status === 200;
    }

    /** PUTs a manifest under a digest or tag; returns the digest the registry reports (checked). */
    async putManifest(repository: string, reference: string, bytes: Buffer, mediaType: string): Promise<string> {
        const digest = "sha256:" + createHash("sha256").update(bytes).digest("hex");
        if (reference.startsWith("sha256:") && reference !== digest) throw new Error(`internal: manifest bytes hash to ${digest}, not ${reference}`);
        const res = await this.request("PUT", `/v2/${repository}/manifests/${reference}`, {
            repository,
            ok: [201],
            body: bytes,
            headers: { "content-type": mediaType, "content-length": String(bytes.length) },
            what: `manifest ${reference}`,
        });
        checkReturnedDigest(res, digest, this.registry);
        return digest;
    }

    async deleteManifest(repository: string, digest: string): Promise<void> {
        await this.request("DELETE", `/v2/${repository}/manifests/${digest}`, { repository, ok: [202, 404] });
    }

    // ---- transport ---------------------------------------------------------------------------

    private backoff(attempt: number, retryAfter?: string): number {
        const hinted = retryAfter && /^\d+$/.test(retryAfter) ? Math.min(Number(retryAfter) * 1000, this.maxRetryAfterMs) : 0;
        const exp = Math.min(8000, this.retryBaseMs * 2 ** (attempt - 1));
        return Math.max(hinted, exp * (0.75 + Math.random() * 0.5));
    }

    /** A buffered request with auth and retries (safe: the body is a Buffer, so it can be re-sent). */
    async request(
        method: string,
        pathOrUrl: string,
        opts: { repository: string; ok: number[]; body?: Body; headers?: Record<string, string>; extraScope?: string; retry?: boolean; what?: string },
    ): Promise<Response> {
        let attempt = 0;
        let authRetried = false;
        for (;;) {
            let res: Response;
            try {
                res = await this.sendBuffered(method, pathOrUrl, opts.repository, opts.headers ?? {}, opts.body);
            } catch (err) {
                if (opts.retry !== false && isRetryableError(err) && attempt < this.maxRetries) {
                    attempt++;
                    await sleep(this.backoff(attempt));
                    continue;
                }
                throw exhausted(this.connectionError(err), opts.retry !== false);
            }
            if (res.status === 401 && !authRetried) {
                authRetried = true;
                await this.authenticate(res, opts.repository, opts.extraScope);
                continue;
            }
            if (opts.ok.includes(res.status)) return res;
            if ((res.status >= 500 || res.status === 429) && opts.retry !== false && attempt < this.maxRetries) {
                attempt++;
                await sleep(this.backoff(attempt, res.headers["retry-after"] as string | undefined));
                continue;
            }
            throw exhausted(this.errorFor(res.status, res.body, opts.what ?? `${method} ${pathOrUrl.split("?")[0]}`, opts.repository), opts.retry !== false);
        }
    }

    private connectionError(err: unknown): Error {
        const e = err as NodeJS.ErrnoException;
        if (isRetryableError(err)) {
            return Object.assign(new RegistryError(`registry ${this.registry} unreachable: ${e.code ?? e.message} (after ${this.maxRetries} retries); check that it is running and reachable`), { code: e.code });
        }
        if (e.code === "EPROTO" || /wrong version number|SSL/i.test(e.message ?? "")) {
            return new RegistryError(`registry ${this.registry}: TLS handshake failed (${e.message}); if it serves plain HTTP, set plainHttp (localhost only, or with insecure)`);
        }
        return err as Error;
    }

    private url(pathOrUrl: string): URL {
        return new URL(pathOrUrl, this.baseUrl);
    }

    /**
     * Headers for a request to `target`. The registry's credentials go only to the registry's own
     * origin: an upload Location or a redirect (Docker Hub and ghcr.io send blob GETs to a CDN) may
     * point elsewhere, and that host must not receive them.
     */
    private headersFor(repository: string, extra: Record<string, string>, target: URL): Record<string, string> {
        const auth = target.origin === this.origin ? this.authHeaders.get(repository) : undefined;
        return { "user-agent": "modelship", ...(auth ? { authorization: auth } : {}), ...extra };
    }

    /** Transport and keep-alive agent for `target` (the pooled agent only for the registry itself). */
    private transportFor(target: URL): { transport: typeof http | typeof https; agent?: http.Agent } {
        if (target.origin === this.origin) return { transport: this.transport, agent: this.agent };
        return { transport: target.protocol === "http:" ? http : https };
    }

    /** The next URL when `res` redirects a GET/HEAD, undefined otherwise; bounded hops. */
    private redirectTarget(method: string, status: number, location: string | undefined, from: URL, hop: number): URL | undefined {
        if ((method !== "GET" && method !== "HEAD") || !REDIRECT_STATUSES.includes(status) || !location) return undefined;
        if (hop >= MAX_REDIRECTS) {
            throw new RegistryError(`registry ${this.registry}: more than ${MAX_REDIRECTS} redirects for ${method} ${from.origin}${from.pathname}; check the registry's storage redirect settings`);
        }
        return new URL(location, from);
    }

    private async sendBuffered(method: string, pathOrUrl: string, repository: string, headers: Record<string, string>, body: Body): Promise<Response> {
        let target = this.url(pathOrUrl);
        for (let hop = 0; ; hop++) {
            const res = await this.sendBufferedOnce(method, target, repository, headers, body);
            const next = this.redirectTarget(method, res.status, res.headers.location, target, hop);
            if (!next) return res;
            target = next;
        }
    }

    private sendBufferedOnce(method: string, target: URL, repository: string, headers: Record<string, string>, body: Body): Promise<Response> {
        return new Promise((resolve, reject) => {
            const { transport, agent } = this.transportFor(target);
            const req = transport.request(target, { method, agent, headers: this.headersFor(repository, headers, target), timeout: this.timeoutMs });
            req.on("timeout", () => req.destroy(Object.assign(new Error("request timed out"), { code: "ETIMEDOUT" })));
            req.on("error", reject);
            req.on("response", (res) => {
                readAll(res).then((buf) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: method === "HEAD" ? Buffer.alloc(0) : buf }), reject);
            });
            req.end(body);
        });
    }

    private openStream(method: string, pathOrUrl: string, repository: string): Promise<http.IncomingMessage> {
        const attemptOnce = (target: URL) =>
            new Promise<http.IncomingMessage>((resolve, reject) => {
                const { transport, agent } = this.transportFor(target);
                const req = transport.request(target, { method, agent, headers: this.headersFor(repository, {}, target), timeout: this.timeoutMs });
                req.on("timeout", () => req.destroy(Object.assign(new Error("request timed out"), { code: "ETIMEDOUT" })));
                req.on("error", reject);
                req.on("response", resolve);
                req.end();
            });
        return (async () => {
            let target = this.url(pathOrUrl);
            let res = await attemptOnce(target);
            if (res.statusCode === 401) {
                const body = await readAll(res);
                await this.authenticate({ status: 401, headers: res.headers, body }, repository);
                res = await attemptOnce(target);
            }
            for (let hop = 0; ; hop++) {
                const next = this.redirectTarget(method, res.statusCode ?? 0, res.headers.location, target, hop);
                if (!next) return res;
                res.resume(); // drain the redirect's body
                target = next;
                res = await attemptOnce(target);
            }
        })();
    }

    /** Streams a body with back-pressure; resolves with the response once the registry answers. */
    private sendStream(method: string, pathOrUrl: string, repository: string, headers: Record<string, string>, body: AsyncIterable<Buffer>): Promise<Response> {
        return new Promise((resolve, reject) => {
            let settled = false;
            const fail = (err: unknown) => {
                if (settled) return;
                settled = true;
                req.destroy();
                reject(err);
            };
            const target = this.url(pathOrUrl);
            const { transport, agent } = this.transportFor(target);
            const req = transport.request(target, { method, agent, headers: this.headersFor(repository, headers, target), timeout: this.timeoutMs });
            req.on("timeout", () => fail(Object.assign(new Error("upload timed out"), { code: "ETIMEDOUT" })));
            req.on("error", fail);
            req.on("response", (res) => {
                readAll(res).then(
                    (buf) => {
                        if (settled) return;
                        settled = true;
                        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: buf });
                    },
                    fail,
                );
            });
            (async () => {
                for await (const chunk of body) {
                    if (settled) return;
                    if (!req.write(chunk)) await Promise.race([once(req, "drain"), once(req, "close")]);
                }
                req.end();
            })().catch(fail);
        });
    }

    private async authenticate(res: Response, repository: string, extraScope?: string): Promise<void> {
        const challenge = parseAuthChallenge(res.headers["www-authenticate"] as string | undefined);
        if (!challenge) throw this.errorFor(401, res.body, "request", repository);
        const key = repository;
        if (challenge.scheme === "basic") {
            if (!this.credentials) throw this.errorFor(401, res.body, "request", repository);
            this.authHeaders.set(key, "Basic " + Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString("base64"));
            return;
        }
        if (challenge.scheme === "bearer") {
            this.authHeaders.set(key, `Bearer ${await this.fetchToken(challenge, repository, extraScope)}`);
            return;
        }
        throw new RegistryError(`registry ${this.registry} asks for unsupported auth scheme "${challenge.scheme}"`, 401);
    }

    private async fetchToken(challenge: AuthChallenge, repository: string, extraScope?: string): Promise<string> {
        const realm = challenge.params.realm;
        if (!realm) throw new RegistryError(`registry ${this.registry} sent a Bearer challenge without a realm`, 401);
        const url = new URL(realm);
        const unsafe = plainTextRealmProblem(this.registry, url, { hasCredentials: this.credentials !== undefined, insecure: this.insecure });
        if (unsafe) throw new RegistryError(unsafe, 401);
        if (challenge.params.service) url.searchParams.set("service", challenge.params.service);
        const scopes = new Set<string>([challenge.params.scope ?? `repository:${repository}:pull,push`]);
        scopes.add(`repository:${repository}:pull,push`);
        if (extraScope) scopes.add(`repository:${extraScope}:pull`);
        for (const s of scopes) url.searchParams.append("scope", s);
        const transport = url.protocol === "http:" ? http : https;
        const headers: Record<string, string> = { "user-agent": "modelship" };
        if (this.credentials) headers.authorization = "Basic " + Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString("base64");
        const res = await new Promise<Response>((resolve, reject) => {
            const req = transport.request(url, { method: "GET", headers, timeout: this.timeoutMs });
            // `timeout` only emits an event; without this a silent token service would hang the push.
            req.on("timeout", () => req.destroy(Object.assign(new Error(`registry ${this.registry}: token service ${url.origin}${url.pathname} did not answer within ${this.timeoutMs} ms; check that it is reachable`), { code: "ETIMEDOUT" })));
            req.on("error", reject);
            req.on("response", (r) => readAll(r).then((body) => resolve({ status: r.statusCode ?? 0, headers: r.headers, body }), reject));
            req.end();
        });
        if (res.status !== 200) {
            throw new RegistryError(
                `registry ${this.registry}: token service ${url.origin}${url.pathname} refused (${res.status}) for repository ${repository}; ` +
                    `check registry.username and modelship:registryPassword (or docker login ${this.registry})`,
                res.status === 401 ? 401 : 403,
            );
        }
        let parsed: { token?: string; access_token?: string };
        try {
            parsed = JSON.parse(res.body.toString("utf8"));
        } catch {
            throw new RegistryError(`registry ${this.registry}: token service ${url.origin}${url.pathname} answered with something that is not JSON; check the realm the registry advertises`);
        }
        const token = parsed.token ?? parsed.access_token;
        if (!token) throw new RegistryError(`registry ${this.registry}: token service answered without a token`);
        return token;
    }

    errorFor(status: number, body: Buffer, what: string, repository: string): RegistryError {
        let code: string | undefined;
        let detail = "";
        try {
            const parsed = JSON.parse(body.toString("utf8")) as { errors?: Array<{ code?: string; message?: string }> };
            if (parsed.errors?.length) {
                code = parsed.errors[0].code;
                detail = `: ${parsed.errors.map((e) => `${e.code} ${e.message ?? ""}`.trim()).join("; ")}`;
            }
        } catch {
            /* not JSON */
        }
        const where = `${this.registry}/${repository}`;
        switch (status) {
            case 401:
                return new RegistryError(`${what} on ${where}: unauthorized (401)${detail}; set registry.username and modelship:registryPassword, or run docker login ${this.registry}`, 401, code);
            case 403:
                return new RegistryError(`${what} on ${where}: denied (403)${detail}; the credentials lack pull/push rights on this repository`, 403, code);
            case 404:
                return new RegistryError(`${what} on ${where}: not found (404)${detail}`, 404, code);
            default:
                if (code === "DIGEST_INVALID") return new RegistryError(`${what} on ${where}: digest mismatch, the registry computed a different digest${detail}`, status, code);
                return new RegistryError(`${what} on ${where}: HTTP ${status}${detail}`, status, code);
        }
    }
}

function exhausted<E extends Error>(err: E, retried: boolean): E {
    if (retried) Object.assign(err, { retriesExhausted: true });
    return err;
}

class DigestMismatch extends Error {
    constructor(readonly expected: string, readonly actual: string) {
        super(`digest mismatch: streamed bytes hash to ${actual}, expected ${expected}`);
    }
}

/**
 * Passes a blob's bytes through, hashing all of them, skipping the first `skip` bytes (already at
 * the registry). The last piece is held back until the hash is known, so a wrong blob never
 * completes at the registry.
 */
async function* verifyingStream(source: AsyncIterable<Buffer>, descriptor: { digest: string; size: number }, skip: number, meter?: ProgressMeter): AsyncGenerator<Buffer> {
    const hash = createHash("sha256");
    let seen = 0;
    let held: Buffer | undefined;
    for await (const chunk of source) {
        hash.update(chunk);
        const start = seen;
        seen += chunk.length;
        if (seen > descriptor.size) throw new DigestMismatch(descriptor.digest, `(more than ${descriptor.size} bytes)`);
        if (seen <= skip) continue;
        const piece = start >= skip ? chunk : chunk.subarray(skip - start);
        if (held) {
            yield held;
            meter?.add(held.length);
        }
        held = piece;
    }
    const actual = "sha256:" + hash.digest("hex");
    if (seen !== descriptor.size || actual !== descriptor.digest) throw new DigestMismatch(descriptor.digest, actual);
    if (held) {
        yield held;
        meter?.add(held.length);
    }
}

class ProgressMeter {
    private sent = 0;
    private readonly started = Date.now();
    private lastReport = 0;
    constructor(private readonly descriptor: { digest: string; size: number }, private readonly report?: (p: UploadProgress) => void) {}
    add(bytes: number): void {
        this.sent += bytes;
        const now = Date.now();
        if (this.report && now - this.lastReport >= 1000) {
            this.lastReport = now;
            this.emit(now);
        }
    }
    finish(): void {
        if (this.report && this.descriptor.size > 0) this.emit(Date.now());
    }
    private emit(now: number): void {
        const seconds = Math.max((now - this.started) / 1000, 0.001);
        this.report!({ digest: this.descriptor.digest, bytesSent: this.sent, totalBytes: this.descriptor.size, bytesPerSecond: this.sent / seconds });
    }
}

function withDigest(location: string, digest: string): string {
    const sep = location.includes("?") ? "&" : "?";
    return `${location}${sep}digest=${encodeURIComponent(digest)}`;
}

function requireLocation(res: Response, registry: string): string {
    const loc = res.headers.location;
    if (!loc) throw new RegistryError(`registry ${registry} opened an upload without a Location header`);
    return String(loc);
}

function checkReturnedDigest(res: Response, expected: string, registry: string): void {
    const returned = res.headers["docker-content-digest"];
    if (returned && returned !== expected) {
        throw new RegistryError(`digest mismatch: registry ${registry} stored ${returned}, expected ${expected}`, undefined, "DIGEST_INVALID");
    }
}

export function verifyDigest(bytes: Buffer, expected: string, what: string): void {
    const actual = "sha256:" + createHash("sha256").update(bytes).digest("hex");
    if (actual !== expected) throw new RegistryError(`digest mismatch: ${what} hashes to ${actual}`, undefined, "DIGEST_INVALID");
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
}

/**
 * Why credentials must not go to this token realm, or undefined when they may. A registry decides
 * where the client sends its Basic credentials for a token: a TLS registry advertising an `http://`
 * realm (misconfigured, or an attacker in the path) would get the password in clear text. Plain
 * HTTP is accepted only to a loopback host, or when the stack explicitly set `registry.insecure`.
 */
export function plainTextRealmProblem(registry: string, realm: URL, opts: { hasCredentials: boolean; insecure: boolean }): string | undefined {
    if (realm.protocol === "https:" || !opts.hasCredentials || opts.insecure || isLoopbackHost(realm.host)) return undefined;
    if (realm.protocol !== "http:") return `registry ${registry}: token realm ${realm.origin} uses an unsupported scheme "${realm.protocol}"`;
    return (
        `registry ${registry}: refusing to send credentials in clear text to the token service ${realm.origin}${realm.pathname} (an http:// realm); ` +
        `fix the registry's token realm to https, or set registry.insecure: true if plain HTTP is really intended`
    );
}
