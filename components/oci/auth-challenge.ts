// Answering a registry's `WWW-Authenticate` challenge. Each scheme is an AuthScheme in
// `AUTH_SCHEMES`: a new method (e.g. a cloud's token exchange) is one more entry there, and the
// transport does not change. Credentials come from auth.ts (explicit, Docker config, helpers).
import * as http from "http";
import * as https from "https";
import { readAll } from "../lib/read-all";
import { Credentials } from "./auth";
import { RegistryError } from "./errors";
import { isLoopbackHost } from "./reference";

export interface AuthChallenge {
    scheme: string;
    params: Record<string, string>;
}

/** Parses `WWW-Authenticate: Bearer realm="…",service="…",scope="…"` (quoted or bare values). */
export function parseAuthChallenge(header: string | undefined): AuthChallenge | undefined {
    if (!header) return undefined;
    const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(header);
    if (!m) return undefined;
    const params: Record<string, string> = {};
    const re = /([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?/g;
    let p: RegExpExecArray | null;
    while ((p = re.exec(m[2])) !== null) {
        params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, "$1") : p[3];
    }
    return { scheme: m[1].toLowerCase(), params };
}

export interface AuthContext {
    registry: string;
    /** Scopes needed, e.g. `repository:models/iris:pull,push`. */
    scopes: string[];
    credentials?: Credentials;
    /** The stack accepted plain HTTP to a non-loopback host. */
    insecure: boolean;
    /** Socket timeout for any request the scheme makes (token services). */
    timeoutMs: number;
}

export interface AuthScheme {
    /** The `Authorization` header value answering `challenge`. */
    authorize(challenge: AuthChallenge, ctx: AuthContext): Promise<string>;
}

function basicHeader(c: Credentials): string {
    return "Basic " + Buffer.from(`${c.username}:${c.password}`).toString("base64");
}

const basicScheme: AuthScheme = {
    authorize(_challenge, ctx) {
        if (!ctx.credentials) {
            return Promise.reject(
                new RegistryError(`registry ${ctx.registry} asks for Basic credentials and none are configured`, { kind: "unauthorized", registry: ctx.registry, status: 401 }),
            );
        }
        return Promise.resolve(basicHeader(ctx.credentials));
    },
};

const bearerScheme: AuthScheme = {
    async authorize(challenge, ctx) {
        return `Bearer ${await fetchToken(challenge, ctx)}`;
    },
};

export const AUTH_SCHEMES: Readonly<Record<string, AuthScheme>> = { basic: basicScheme, bearer: bearerScheme };

/**
 * Why credentials must not go to this token realm, or undefined when they may. A registry decides
 * where the client sends its Basic credentials for a token: a TLS registry advertising an `http://`
 * realm (misconfigured, or an attacker in the path) would get the password in clear text. Plain
 * HTTP is accepted only to a loopback host, or when the stack explicitly accepted it (`insecure`).
 */
export function plainTextRealmProblem(registry: string, realm: URL, opts: { hasCredentials: boolean; insecure: boolean }): string | undefined {
    if (realm.protocol === "https:" || !opts.hasCredentials || opts.insecure || isLoopbackHost(realm.host)) return undefined;
    if (realm.protocol !== "http:") return `registry ${registry}: token realm ${realm.origin} uses an unsupported scheme "${realm.protocol}"`;
    return (
        `registry ${registry}: refusing to send credentials in clear text to the token service ${realm.origin}${realm.pathname} (an http:// realm); ` +
        `the registry's token realm must be https, unless plain HTTP to this registry is explicitly accepted (insecure)`
    );
}

async function fetchToken(challenge: AuthChallenge, ctx: AuthContext): Promise<string> {
    const { registry } = ctx;
    const realm = challenge.params.realm;
    if (!realm) throw new RegistryError(`registry ${registry} sent a Bearer challenge without a realm`, { kind: "protocol", registry, status: 401 });
    const url = new URL(realm);
    const unsafe = plainTextRealmProblem(registry, url, { hasCredentials: ctx.credentials !== undefined, insecure: ctx.insecure });
    if (unsafe) throw new RegistryError(unsafe, { kind: "unsafe", registry });
    if (challenge.params.service) url.searchParams.set("service", challenge.params.service);
    const scopes = new Set<string>(ctx.scopes);
    if (challenge.params.scope) scopes.add(challenge.params.scope);
    for (const s of scopes) url.searchParams.append("scope", s);
    const service = `${url.origin}${url.pathname}`;
    const headers: Record<string, string> = { "user-agent": "modelship" };
    if (ctx.credentials) headers.authorization = basicHeader(ctx.credentials);
    const res = await new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
        const transport = url.protocol === "http:" ? http : https;
        const req = transport.request(url, { method: "GET", headers, timeout: ctx.timeoutMs });
        // `timeout` only emits an event; without this a silent token service would hang the push.
        req.on("timeout", () =>
            req.destroy(new RegistryError(`registry ${registry}: token service ${service} did not answer within ${ctx.timeoutMs} ms`, { kind: "timed-out", registry })),
        );
        req.on("error", (err) =>
            reject(
                err instanceof RegistryError
                    ? err
                    : new RegistryError(`registry ${registry}: token service ${service} unreachable: ${(err as NodeJS.ErrnoException).code ?? err.message}`, {
                          kind: "unreachable",
                          registry,
                      }),
            ),
        );
        req.on("response", (r) => {
            readAll(r).then((body) => resolve({ status: r.statusCode ?? 0, body }), reject);
        });
        req.end();
    });
    if (res.status !== 200) {
        const rejected = ctx.credentials !== undefined && (res.status === 401 || res.status === 403);
        throw new RegistryError(
            rejected
                ? `registry ${registry}: token service ${service} rejected the credentials of user "${ctx.credentials!.username}" (${res.status})`
                : `registry ${registry}: token service ${service} refused (${res.status}) without credentials`,
            {
                kind: rejected ? "credentials-rejected" : res.status === 401 || res.status === 403 ? "unauthorized" : "server-error",
                registry,
                status: res.status,
                username: ctx.credentials?.username,
            },
        );
    }
    let parsed: { token?: string; access_token?: string };
    try {
        parsed = JSON.parse(res.body.toString("utf8")) as { token?: string; access_token?: string };
    } catch {
        throw new RegistryError(`registry ${registry}: token service ${service} answered with something that is not JSON; check the realm the registry advertises`, {
            kind: "protocol",
            registry,
        });
    }
    const token = parsed.token ?? parsed.access_token;
    if (!token) throw new RegistryError(`registry ${registry}: token service ${service} answered without a token`, { kind: "protocol", registry });
    return token;
}
