// The engine says what failed at the registry; this says what to change in the stack. Every
// registry error that reaches the user from a push goes through `explainRegistryError`, which
// prefixes the config path of the model it belongs to and appends the fix in config keys.
import { isRegistryError, RegistryError } from "../oci/errors";

export interface RegistryErrorContext {
    /** Config path of what was being pushed, e.g. `models[0] (iris) image 1.2.0`. */
    configPath?: string;
}

/** The fix, in the stack's config keys, for a kind of registry failure. */
export function registryFix(err: RegistryError): string | undefined {
    const host = err.registry;
    switch (err.kind) {
        case "unauthorized":
            return `set modelship:registry.username and the secret modelship:registryPassword (pulumi config set --secret registryPassword …), or run docker login ${host}`;
        case "credentials-rejected":
            return `the password for user "${err.username ?? "?"}" was rejected: set the right one with pulumi config set --secret registryPassword … (or docker login ${host} again), and check modelship:registry.username`;
        case "denied":
            return `the credentials lack pull/push rights on ${host}/${err.repository ?? ""}; grant them, or change modelship:registry.repositoryPrefix`;
        case "storage-full":
            return `free space or raise the quota of the registry ${host}; partial uploads of this push were cancelled, so nothing of it is left behind`;
        case "unreachable":
            return `check that ${host} (modelship:registry.host) is running and reachable; an interrupted upload continues where it stopped on the next pulumi up`;
        case "timed-out":
            return `${host} (modelship:registry.host) stopped answering; check its health and the network, then run pulumi up again (uploads resume)`;
        case "server-error":
            return `${host} kept failing; check its logs, then run pulumi up again (uploads resume)`;
        case "tls":
            return `if ${host} serves plain HTTP, set modelship:registry.plainHttp: true (loopback hosts only, or with registry.insecure: true)`;
        case "unsafe":
            return `see modelship:registry.plainHttp and registry.insecure`;
        default:
            return undefined;
    }
}

/** An Error whose message is the engine's, with the config path first and the fix last. */
export function explainRegistryError(err: unknown, ctx: RegistryErrorContext = {}): Error {
    if (!isRegistryError(err)) {
        if (err instanceof Error && ctx.configPath && !err.message.startsWith(ctx.configPath)) err.message = `${ctx.configPath}: ${err.message}`;
        return err instanceof Error ? err : new Error(String(err));
    }
    const fix = registryFix(err);
    const message = `${ctx.configPath ? `${ctx.configPath}: ` : ""}${err.message}${fix ? `; ${fix}` : ""}`;
    const explained = new Error(message);
    explained.name = "RegistryError";
    return explained;
}
