// HTTP to one registry: auth challenges (schemes in auth-challenge.ts), bounded retries with
// backoff and Retry-After, redirects, socket and per-operation timeouts, and typed errors. Every
// request of the engine goes through `request` (buffered) or `stream` (a streamed response); the
// registry's credentials go only to the registry's own origin.
import * as http from "http";
import * as https from "https";
import { readAll } from "../lib/read-all";
import { Credentials } from "./auth";
import { AUTH_SCHEMES, parseAuthChallenge } from "./auth-challenge";
import { isStorageFull, parseErrorBody, RegistryError, RegistryErrorKind } from "./errors";
import { apiHost, isLoopbackHost } from "./reference";

/** Registries such as Docker Hub and ghcr.io answer blob GETs with a redirect to their CDN. */
const REDIRECT_STATUSES = [301, 302, 303, 307, 308];
const MAX_REDIRECTS = 5;

export interface TransportOptions {
    /** Plain HTTP: allowed for loopback hosts; any other host also needs `insecure`. */
    plainHttp?: boolean;
    /** Explicit acknowledgement that a non-loopback registry is reached without TLS. */
    insecure?: boolean;
    credentials?: Credentials;
    /** Attempts after the first on 5xx, 429, timeouts and dropped connections (default 5). */
    maxRetries?: number;
    /** First backoff delay; doubles each retry (default 250 ms, capped at 8 s). */
    retryBaseMs?: number;
    /** Longest `Retry-After` honoured (default 60 s): a registry asking for an hour is not waited on for an hour. */
    maxRetryAfterMs?: number;
    /** Socket inactivity timeout: no byte in either direction for this long fails the attempt (default 30 s). */
    timeoutMs?: number;
    /** Time budget of one operation across its attempts and waits (default 120 s); a stream that keeps moving is not cut. */
    operationTimeoutMs?: number;
    /** Called before each wait between attempts (progress while a registry asks us to wait). */
    onWait?: (wait: RetryWait) => void;
    /** Parallel sockets to the registry (default 8). */
    maxSockets?: number;
}

export interface RetryWait {
    registry: string;
    operation: string;
    /** The attempt that failed (1-based) and the most there will be. */
    attempt: number;
    maxAttempts: number;
    waitMs: number;
    /** Why: "HTTP 429 (Retry-After 60 s)", "ECONNRESET", … */
    reason: string;
}

export interface TransportRequest {
    method: string;
    /** A path (`/v2/…`) or an absolute URL (an upload Location). */
    url: string;
    /** Repository the request acts on: the auth scope. */
    repository: string;
    /** Another repository to be granted pull on (cross-repository mount). */
    mountFrom?: string;
    /** What is being done, for messages: "HEAD of blob sha256:…". */
    operation: string;
    /** Statuses that are answers, not failures. */
    ok: number[];
    headers?: Record<string, string>;
    /** A Buffer is re-sent on retry; a streamed body is sent once (the caller resumes). */
    body?: Buffer | AsyncIterable<Buffer>;
    /** Retry 5xx/429/dropped connections (default true; always false for a streamed body). */
    retry?: boolean;
}

export interface TransportResponse {
    status: number;
    headers: http.IncomingHttpHeaders;
    body: Buffer;
}

/** One attempt's answer: buffered, or (a streamed GET's 200) with the response still open. */
type Answer = TransportResponse & { open?: http.IncomingMessage };
const NO_BODY = Buffer.alloc(0);

/** The streamed body itself failed (a file changed, a digest mismatch): not the registry's doing, never retried. */
export class BodySourceError extends Error {
    constructor(readonly cause: unknown) {
        super((cause as Error)?.message ?? String(cause));
        this.name = "BodySourceError";
    }
}

/** A token expired while a streamed body was on the wire: auth is renewed, the caller resumes. */
export class AuthRenewed extends Error {
    constructor() {
        super("registry credentials renewed during a streamed request");
        this.name = "AuthRenewed";
    }
}

const RETRYABLE_ERRNO = new Set([
    "ECONNRESET",
    "ECONNREFUSED",
    "EPIPE",
    "ETIMEDOUT",
    "ECONNABORTED",
    "EAI_AGAIN",
    "ENETUNREACH",
    "EHOSTUNREACH",
    "ERR_STREAM_PREMATURE_CLOSE",
    "UND_ERR_SOCKET",
]);

/** A dropped or refused connection, a reset, a socket timeout: worth another attempt. */
export function isRetryableNetworkError(err: unknown): boolean {
    const e = err as NodeJS.ErrnoException;
    return RETRYABLE_ERRNO.has(e?.code ?? "") || /socket hang up|aborted/i.test(e?.message ?? "");
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class Transport {
    readonly registry: string;
    readonly credentials?: Credentials;
    readonly maxRetries: number;
    readonly timeoutMs: number;
    readonly operationTimeoutMs: number;
    private readonly baseUrl: string;
    /** `scheme://host[:port]` of the registry: the only origin that gets its credentials. */
    private readonly origin: string;
    private readonly http: typeof http | typeof https;
    private readonly agent: http.Agent;
    private readonly insecure: boolean;
    private readonly retryBaseMs: number;
    private readonly maxRetryAfterMs: number;
    private readonly onWait?: (wait: RetryWait) => void;
    /** Authorization header per auth scope, and whether credentials produced it. */
    private readonly authorizations = new Map<string, string>();
    /** Challenges being answered, per auth scope: concurrent 401s for one scope share one token fetch. */
    private readonly challenges = new Map<string, Promise<void>>();

    constructor(registry: string, opts: TransportOptions = {}) {
        this.registry = registry;
        if (opts.plainHttp && !isLoopbackHost(registry) && !opts.insecure) {
            throw new RegistryError(`registry ${registry}: plain HTTP is only allowed for a loopback registry (localhost, 127.0.0.0/8, [::1]) unless insecure is set too`, {
                kind: "unsafe",
                registry,
            });
        }
        const secure = !opts.plainHttp;
        this.http = secure ? https : http;
        const maxSockets = opts.maxSockets ?? 8;
        this.agent = secure ? new https.Agent({ keepAlive: true, maxSockets }) : new http.Agent({ keepAlive: true, maxSockets });
        this.baseUrl = `${secure ? "https" : "http"}://${apiHost(registry)}`;
        this.origin = new URL(this.baseUrl).origin;
        this.insecure = opts.insecure ?? false;
        this.credentials = opts.credentials;
        this.maxRetries = opts.maxRetries ?? 5;
        this.retryBaseMs = opts.retryBaseMs ?? 250;
        this.maxRetryAfterMs = opts.maxRetryAfterMs ?? 60_000;
        this.timeoutMs = opts.timeoutMs ?? 30_000;
        this.operationTimeoutMs = opts.operationTimeoutMs ?? 120_000;
        this.onWait = opts.onWait;
    }

    close(): void {
        this.agent.destroy();
    }

    /** The pause after failed attempt `attempt` (1-based): doubling from retryBaseMs, capped at 8 s, jittered. */
    backoffMs(attempt: number): number {
        return Math.min(8000, this.retryBaseMs * 2 ** (attempt - 1)) * (0.75 + Math.random() * 0.5);
    }

    /** Reports a wait decided above the transport (an upload resuming), through the same hook. */
    notifyWait(wait: Omit<RetryWait, "registry" | "maxAttempts">): void {
        this.onWait?.({ ...wait, registry: this.registry, maxAttempts: this.maxRetries + 1 });
    }

    /** Sends a request, following redirects (GET/HEAD), answering one auth challenge, retrying what is worth it. */
    request(req: TransportRequest): Promise<TransportResponse> {
        return this.withRetries(req, () => this.sendFollowingRedirects(req));
    }

    /** A GET whose body is streamed to the caller (large blobs); auth, redirects and retries as for `request`. */
    async stream(req: Omit<TransportRequest, "body" | "method" | "ok">): Promise<http.IncomingMessage> {
        const get: TransportRequest = { ...req, method: "GET", ok: [200] };
        const answer = await this.withRetries(get, async () => {
            const res = await this.openFollowingRedirects(get);
            if (res.statusCode === 200) return { status: 200, headers: res.headers, body: NO_BODY, open: res };
            return { status: res.statusCode ?? 0, headers: res.headers, body: await readAll(res) };
        });
        return answer.open!;
    }

    /**
     * The attempt loop of every request: `send` makes one attempt; network failures, 5xx, 429 and
     * 408 are retried with backoff (honouring Retry-After) within the time budget, one auth
     * challenge is answered, anything else becomes a RegistryError. A streamed body is never re-sent.
     */
    private async withRetries(req: TransportRequest, send: () => Promise<Answer>): Promise<Answer> {
        const streamed = req.body !== undefined && !Buffer.isBuffer(req.body);
        const retry = req.retry !== false && !streamed;
        const started = Date.now();
        let authAnswered = false;
        for (let attempt = 1; ; attempt++) {
            let res: Answer;
            try {
                res = await send();
            } catch (err) {
                if (err instanceof RegistryError) throw err;
                if (err instanceof BodySourceError) throw err.cause;
                const failure = this.networkError(err, req, attempt, started);
                if (!retry || !isRetryableNetworkError(err)) throw failure;
                await this.waitBeforeRetry(req, attempt, started, (err as NodeJS.ErrnoException).code ?? (err as Error).message, undefined, markRetried(failure));
                continue;
            }
            if (res.status === 401) {
                const hadAuth = this.authorizations.has(scopeKey(req));
                if (streamed) {
                    // The body is gone: renew, and let the caller resume from what the registry holds.
                    await this.answerChallengeOnce(res, req, attempt);
                    throw new AuthRenewed();
                }
                if (!authAnswered) {
                    authAnswered = true;
                    await this.answerChallengeOnce(res, req, attempt);
                    attempt--; // answering a challenge is not a failed attempt
                    continue;
                }
                throw this.statusError(res, req, attempt, hadAuth);
            }
            if (req.ok.includes(res.status)) return res;
            const bodyText = parseErrorBody(res.body).text;
            if (isStorageFull(res.status, bodyText)) throw this.statusError(res, req, attempt);
            const transient = res.status >= 500 || res.status === 429 || res.status === 408;
            if (retry && transient && res.status !== 501) {
                const retryAfter = retryAfterMs(res.headers["retry-after"]);
                const reason = `HTTP ${res.status}${retryAfter !== undefined ? ` (Retry-After ${Math.round(retryAfter / 1000)} s)` : ""}`;
                await this.waitBeforeRetry(req, attempt, started, reason, retryAfter, markRetried(this.statusError(res, req, attempt)));
                continue;
            }
            throw this.statusError(res, req, attempt);
        }
    }

    /** The error for an answer that is not in `ok`, worded for the registry (no stack keys). */
    statusError(
        res: TransportResponse,
        req: Pick<TransportRequest, "operation" | "repository">,
        attempts: number,
        credentialsSent = this.credentials !== undefined,
    ): RegistryError {
        const { code, text } = parseErrorBody(res.body);
        const where = `${this.registry}/${req.repository}`;
        const detail = text ? `: ${text}` : "";
        const after = attempts > 1 ? ` (after ${attempts} attempts)` : "";
        const base = { registry: this.registry, repository: req.repository, operation: req.operation, status: res.status, code, attempts };
        if (res.status === 401) {
            if (credentialsSent && this.credentials) {
                return new RegistryError(`${req.operation} on ${where}: the registry rejected the credentials of user "${this.credentials.username}" (401)${detail}`, {
                    ...base,
                    kind: "credentials-rejected",
                    username: this.credentials.username,
                });
            }
            return new RegistryError(`${req.operation} on ${where}: unauthorized (401), and no credentials are configured for ${this.registry}${detail}`, {
                ...base,
                kind: "unauthorized",
            });
        }
        if (isStorageFull(res.status, text)) {
            return new RegistryError(`${req.operation} on ${where}: the registry's storage is full (HTTP ${res.status}${detail})`, { ...base, kind: "storage-full" });
        }
        const kinds: Record<number, RegistryErrorKind> = { 403: "denied", 404: "not-found" };
        let kind: RegistryErrorKind = kinds[res.status] ?? (res.status >= 500 || res.status === 429 ? "server-error" : "protocol");
        if (code === "DIGEST_INVALID") kind = "digest-mismatch";
        const words: Record<number, string> = { 403: "denied (403)", 404: "not found (404)", 429: "too many requests (429)" };
        return new RegistryError(`${req.operation} on ${where}: ${words[res.status] ?? `HTTP ${res.status}`}${detail}${after}`, { ...base, kind });
    }

    // ---- attempts ----------------------------------------------------------------------------

    private async waitBeforeRetry(req: TransportRequest, attempt: number, started: number, reason: string, hintedMs: number | undefined, failure: RegistryError): Promise<void> {
        if (attempt > this.maxRetries) throw failure;
        const waitMs = Math.max(this.backoffMs(attempt), Math.min(hintedMs ?? 0, this.maxRetryAfterMs));
        const spent = Date.now() - started;
        if (spent + waitMs > this.operationTimeoutMs) {
            throw new RegistryError(
                `${failure.message.replace(/ \(after \d+ attempts[^)]*\)/, "")}; gave up after ${attempt} attempts in ${seconds(spent)} (time budget ${seconds(this.operationTimeoutMs)})`,
                {
                    kind: failure.kind,
                    registry: failure.registry,
                    repository: failure.repository,
                    operation: failure.operation,
                    status: failure.status,
                    code: failure.code,
                    attempts: attempt,
                    retried: true,
                },
            );
        }
        this.onWait?.({ registry: this.registry, operation: req.operation, attempt, maxAttempts: this.maxRetries + 1, waitMs, reason });
        await sleep(waitMs);
    }

    private networkError(err: unknown, req: TransportRequest, attempts: number, started: number): RegistryError {
        const e = err as NodeJS.ErrnoException;
        const where = `${this.registry}/${req.repository}`;
        const base = { registry: this.registry, repository: req.repository, operation: req.operation, attempts };
        const after = attempts > 1 ? ` (after ${attempts} attempts in ${seconds(Date.now() - started)})` : "";
        if (e.code === "ETIMEDOUT") {
            return new RegistryError(`${req.operation} on ${where}: no answer within ${seconds(this.timeoutMs)}${after}`, { ...base, kind: "timed-out" });
        }
        if (isRetryableNetworkError(err)) {
            return new RegistryError(`${req.operation} on ${where}: registry unreachable (${e.code ?? e.message})${after}`, { ...base, kind: "unreachable" });
        }
        if (e.code === "EPROTO" || /wrong version number|SSL|certificate/i.test(e.message ?? "")) {
            return new RegistryError(`${req.operation} on ${where}: TLS failed (${e.message})`, { ...base, kind: "tls" });
        }
        return new RegistryError(`${req.operation} on ${where}: ${e.message}`, { ...base, kind: "unreachable" });
    }

    // ---- auth --------------------------------------------------------------------------------

    /** Answers a challenge, or joins the answer already under way for the same scope. */
    private answerChallengeOnce(res: TransportResponse, req: TransportRequest, attempts: number): Promise<void> {
        const key = scopeKey(req);
        let pending = this.challenges.get(key);
        if (!pending) {
            pending = this.answerChallenge(res, req, attempts).finally(() => this.challenges.delete(key));
            this.challenges.set(key, pending);
        }
        return pending;
    }

    private async answerChallenge(res: TransportResponse, req: TransportRequest, attempts: number): Promise<void> {
        const challenge = parseAuthChallenge(res.headers["www-authenticate"]);
        if (!challenge || (challenge.scheme === "basic" && !this.credentials)) throw this.statusError(res, req, attempts, false);
        const scheme = AUTH_SCHEMES[challenge.scheme];
        if (!scheme) {
            throw new RegistryError(`registry ${this.registry} asks for the unsupported auth scheme "${challenge.scheme}"`, {
                kind: "protocol",
                registry: this.registry,
                status: 401,
            });
        }
        const scopes = [`repository:${req.repository}:pull,push`, ...(req.mountFrom ? [`repository:${req.mountFrom}:pull`] : [])];
        const header = await scheme.authorize(challenge, { registry: this.registry, scopes, credentials: this.credentials, insecure: this.insecure, timeoutMs: this.timeoutMs });
        this.authorizations.set(scopeKey(req), header);
    }

    // ---- one exchange ------------------------------------------------------------------------

    private url(pathOrUrl: string): URL {
        return new URL(pathOrUrl, this.baseUrl);
    }

    private headersFor(req: TransportRequest, target: URL): Record<string, string> {
        const auth = target.origin === this.origin ? (this.authorizations.get(scopeKey(req)) ?? this.authorizations.get(req.repository)) : undefined;
        return { "user-agent": "modelship", ...(auth ? { authorization: auth } : {}), ...(req.headers ?? {}) };
    }

    private redirectTarget(req: TransportRequest, status: number, location: string | undefined, from: URL, hop: number): URL | undefined {
        if ((req.method !== "GET" && req.method !== "HEAD") || !REDIRECT_STATUSES.includes(status) || !location) return undefined;
        if (hop >= MAX_REDIRECTS) {
            throw new RegistryError(
                `${req.operation} on ${this.registry}: more than ${MAX_REDIRECTS} redirects (last ${from.origin}${from.pathname}); check the registry's storage redirect settings`,
                {
                    kind: "protocol",
                    registry: this.registry,
                    repository: req.repository,
                    operation: req.operation,
                },
            );
        }
        return new URL(location, from);
    }

    private async sendFollowingRedirects(req: TransportRequest): Promise<TransportResponse> {
        let target = this.url(req.url);
        for (let hop = 0; ; hop++) {
            const res = await this.exchange(req, target);
            const next = this.redirectTarget(req, res.status, res.headers.location, target, hop);
            if (!next) return res;
            target = next;
        }
    }

    private async openFollowingRedirects(req: TransportRequest): Promise<http.IncomingMessage> {
        let target = this.url(req.url);
        for (let hop = 0; ; hop++) {
            const res = await this.open(req, target);
            const next = this.redirectTarget(req, res.statusCode ?? 0, res.headers.location, target, hop);
            if (!next) return res;
            res.resume();
            target = next;
        }
    }

    /** One request, response headers back (body unread). A streamed body is written with back-pressure. */
    private open(req: TransportRequest, target: URL): Promise<http.IncomingMessage> {
        return new Promise((resolve, reject) => {
            let settled = false;
            const fail = (err: Error) => {
                if (settled) return;
                settled = true;
                request.destroy();
                reject(err);
            };
            const sameOrigin = target.origin === this.origin;
            const transport = sameOrigin ? this.http : target.protocol === "http:" ? http : https;
            const request = transport.request(target, {
                method: req.method,
                agent: sameOrigin ? this.agent : undefined,
                headers: this.headersFor(req, target),
                timeout: this.timeoutMs,
            });
            request.on("timeout", () => fail(Object.assign(new Error("socket timeout"), { code: "ETIMEDOUT" })));
            request.on("error", fail);
            request.on("response", (res) => {
                if (settled) {
                    res.resume();
                    return;
                }
                settled = true;
                res.on("error", () => undefined);
                resolve(res);
            });
            const body = req.body;
            if (body === undefined || Buffer.isBuffer(body)) {
                request.end(body);
                return;
            }
            (async () => {
                for await (const chunk of body) {
                    if (settled) return;
                    if (!request.write(chunk)) await drainOrClose(request);
                }
                request.end();
            })().catch((err) => fail(new BodySourceError(err)));
        });
    }

    private async exchange(req: TransportRequest, target: URL): Promise<TransportResponse> {
        const res = await this.open(req, target);
        const body = await readAll(res);
        return { status: res.statusCode ?? 0, headers: res.headers, body: req.method === "HEAD" ? Buffer.alloc(0) : body };
    }
}

/** "0.5 s", "3 s", "120 s". */
function seconds(ms: number): string {
    return ms < 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

/** Waits until the request can take more body, or is gone; leaves no listener behind. */
function drainOrClose(request: http.ClientRequest): Promise<void> {
    return new Promise((resolve) => {
        const done = () => {
            request.off("drain", done);
            request.off("close", done);
            resolve();
        };
        request.on("drain", done);
        request.on("close", done);
    });
}

/** The same error, marked as one the transport already retried (see RegistryError.retried). */
function markRetried(err: RegistryError): RegistryError {
    return new RegistryError(err.message, { ...err, kind: err.kind, registry: err.registry, retried: true });
}

function scopeKey(req: Pick<TransportRequest, "repository" | "mountFrom">): string {
    return req.mountFrom ? `${req.repository}<${req.mountFrom}` : req.repository;
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | string[] | undefined, now = Date.now()): number | undefined {
    const value = Array.isArray(header) ? header[0] : header;
    if (!value) return undefined;
    if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
    const date = Date.parse(value);
    return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
