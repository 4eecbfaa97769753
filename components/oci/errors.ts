// Typed registry errors. The engine says what failed at the registry (operation, registry,
// repository, HTTP status, how many attempts); it never names stack config keys: the release layer
// reads `kind` and adds the fix in the stack's terms (see release/registry-hints.ts).

export type RegistryErrorKind =
    /** No credentials were available and the registry wants some. */
    | "unauthorized"
    /** Credentials were sent and the registry (or its token service) refused them. */
    | "credentials-rejected"
    /** Authenticated, but not allowed on this repository (403). */
    | "denied"
    | "not-found"
    /** The registry's storage is full or a quota is exhausted. */
    | "storage-full"
    /** Connection refused, reset or dropped, after the retries. */
    | "unreachable"
    /** No answer within the socket timeout, or the operation's time budget ran out. */
    | "timed-out"
    /** 5xx or 429 after the retries. */
    | "server-error"
    | "digest-mismatch"
    | "tls"
    /** The registry answered something the protocol does not allow (no Location, bad JSON). */
    | "protocol"
    /** Refused before any request: plain HTTP to a remote host, credentials to an http:// realm. */
    | "unsafe";

export interface RegistryErrorDetails {
    kind: RegistryErrorKind;
    registry: string;
    repository?: string;
    /** What was being done, e.g. "upload of blob sha256:ab…" or "manifest PUT sha256:…". */
    operation?: string;
    status?: number;
    /** The distribution error code (`errors[0].code`), e.g. MANIFEST_INVALID. */
    code?: string;
    /** Requests made for this operation, the failed one included. */
    attempts?: number;
    /** The username whose credentials were sent, when they were. */
    username?: string;
    /** The transport already retried this failure (backoff, time budget): a caller retrying it again would square the attempts. */
    retried?: boolean;
}

export class RegistryError extends Error {
    readonly kind: RegistryErrorKind;
    readonly registry: string;
    readonly repository?: string;
    readonly operation?: string;
    readonly status?: number;
    readonly code?: string;
    readonly attempts?: number;
    readonly username?: string;
    readonly retried: boolean;

    constructor(message: string, details: RegistryErrorDetails) {
        super(message);
        this.name = "RegistryError";
        this.kind = details.kind;
        this.registry = details.registry;
        this.repository = details.repository;
        this.operation = details.operation;
        this.status = details.status;
        this.code = details.code;
        this.attempts = details.attempts;
        this.username = details.username;
        this.retried = details.retried ?? false;
    }
}

export function isRegistryError(err: unknown): err is RegistryError {
    return err instanceof RegistryError || (err as { name?: string })?.name === "RegistryError";
}

/** Distribution's JSON error body, if there is one: `{"errors":[{"code","message","detail"}]}`. */
export function parseErrorBody(body: Buffer): { code?: string; text: string } {
    try {
        const parsed = JSON.parse(body.toString("utf8")) as { errors?: Array<{ code?: string; message?: string; detail?: unknown }> };
        if (Array.isArray(parsed.errors) && parsed.errors.length > 0) {
            const text = parsed.errors.map((e) => [e.code, e.message, detailText(e.detail)].filter(Boolean).join(" ")).join("; ");
            return { code: parsed.errors[0].code, text };
        }
    } catch {
        /* not JSON */
    }
    const text = body.toString("utf8").replace(/\s+/g, " ").trim().slice(0, 200);
    return { text };
}

function detailText(detail: unknown): string {
    if (detail === undefined || detail === null) return "";
    if (typeof detail === "string") return detail;
    const json = JSON.stringify(detail);
    return json === "{}" ? "" : json;
}

/** ENOSPC as Go reports it in a PathError (`"Err":28`), or the words of any registry about it. */
const STORAGE_FULL = /no space left|ENOSPC|"Err":28\b|insufficient storage|quota (?:exceeded|reached)|storage quota|disk (?:is )?full/i;

/** Is this answer the registry saying its storage (or our quota) is exhausted? */
export function isStorageFull(status: number, bodyText: string): boolean {
    return status === 507 || ((status >= 500 || status === 403 || status === 400) && STORAGE_FULL.test(bodyText));
}

/**
 * Throws when the registry's Docker-Content-Digest names another digest than the one sent. With an
 * operation (an upload's commit) the message names it; without (a manifest PUT) it names the digest expected.
 */
export function checkReturnedDigest(
    headers: Record<string, string | string[] | undefined>,
    expected: string,
    where: { registry: string; repository: string; operation?: string },
): void {
    const returned = headers["docker-content-digest"];
    if (!returned || returned === expected) return;
    const { registry, repository, operation } = where;
    if (operation) {
        throw new RegistryError(`${operation} on ${registry}/${repository}: the registry stored ${String(returned)}`, { kind: "digest-mismatch", registry, repository, operation });
    }
    throw new RegistryError(`registry ${registry}/${repository} stored ${String(returned)}, expected ${expected}`, { kind: "digest-mismatch", registry, repository });
}
