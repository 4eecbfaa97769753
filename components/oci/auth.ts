// Registry credentials and auth challenges: explicit username/password first, then Docker's
// config.json, the file `docker login` writes: a credential helper for the host (`credHelpers`),
// inline `auths.<host>` entries (base64 "user:pass"), then the default store (`credsStore`).
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DOCKER_HUB } from "./reference";

export interface Credentials {
    username: string;
    password: string;
}

/** `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
export function dockerConfigPath(): string {
    return path.join(process.env.DOCKER_CONFIG ?? path.join(os.homedir(), ".docker"), "config.json");
}

interface DockerConfigFile {
    auths?: Record<string, { auth?: string; username?: string; password?: string }>;
    credHelpers?: Record<string, string>;
    credsStore?: string;
}

/** Credentials for a registry from Docker's config.json; undefined when none are stored there. */
export function credentialsFromDockerConfig(registry: string, configPath = dockerConfigPath()): Credentials | undefined {
    const unreadable = (why: string) => `cannot read Docker credentials from ${configPath}: ${why}; fix the file or set the registry password explicitly`;
    let text: string;
    try {
        text = fs.readFileSync(configPath, "utf8");
    } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw new Error(unreadable((err as NodeJS.ErrnoException).code ?? "unreadable"), { cause: err });
    }
    let parsed: DockerConfigFile;
    try {
        parsed = JSON.parse(text) as DockerConfigFile;
    } catch {
        // Only the error class, and no cause: a JSON.parse message quotes the text around the
        // error, which here may be a base64 user:password.
        throw new Error(unreadable("it is not valid JSON"));
    }
    // Keys appear as bare hosts or URLs; Docker Hub historically as https://index.docker.io/v1/.
    const wanted = registry === DOCKER_HUB ? [DOCKER_HUB, "index.docker.io", "registry-1.docker.io"] : [registry];
    const matching = <T>(entries: Record<string, T> | undefined): [string, T][] =>
        Object.entries(entries ?? {}).filter(([key]) => wanted.includes(key.replace(/^https?:\/\//, "").replace(/\/.*$/, "")));

    for (const [serverUrl, helper] of matching(parsed.credHelpers)) {
        const found = credentialsFromHelper(helper, serverUrl, configPath);
        if (found) return found;
    }
    for (const [, entry] of matching(parsed.auths)) {
        if (entry.username && entry.password) return { username: entry.username, password: entry.password };
        if (entry.auth) {
            const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
            const colon = decoded.indexOf(":");
            if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
        }
    }
    if (parsed.credsStore) {
        // The store is asked for each spelling docker login may have used for this registry.
        const urls = [...new Set([...matching(parsed.auths).map(([key]) => key), ...wanted, ...wanted.map((h) => `https://${h}`)])];
        for (const serverUrl of urls) {
            const found = credentialsFromHelper(parsed.credsStore, serverUrl, configPath);
            if (found) return found;
        }
    }
    return undefined;
}

/**
 * Asks a Docker credential helper (`docker-credential-<name> get`, server URL on stdin, JSON
 * `{Username, Secret}` on stdout). A helper that has nothing for the URL exits non-zero: undefined.
 * Bounded: the helper gets 30 s. Its output is never echoed (it holds the secret).
 */
export function credentialsFromHelper(name: string, serverUrl: string, configPath: string): Credentials | undefined {
    const program = `docker-credential-${name}`;
    const res = spawnSync(program, ["get"], { input: serverUrl, encoding: "utf8", timeout: 30_000, stdio: ["pipe", "pipe", "ignore"] });
    if (res.error) {
        const why = (res.error as NodeJS.ErrnoException).code === "ENOENT" ? "is not on PATH" : `failed (${res.error.message})`;
        throw new Error(`${configPath} names the credential helper "${name}", but ${program} ${why}; install it, or set the registry username and password explicitly`);
    }
    if (res.status !== 0) return undefined;
    let reply: { Username?: string; Secret?: string };
    try {
        reply = JSON.parse(res.stdout) as { Username?: string; Secret?: string };
    } catch {
        throw new Error(`${program} answered for ${serverUrl} with something that is not JSON; check the helper`);
    }
    if (!reply.Username || !reply.Secret) return undefined;
    if (reply.Username === "<token>") {
        throw new Error(
            `${program} holds an identity token for ${serverUrl} (OAuth refresh tokens are not supported); use docker login with a username and password or token, or set them explicitly`,
        );
    }
    return { username: reply.Username, password: reply.Secret };
}

/** `.dockerconfigjson` / Docker `config.json` for one registry login (what `kubectl create secret docker-registry` writes). */
export function dockerConfigJson(host: string, username: string, password: string): string {
    const auth = Buffer.from(`${username}:${password}`).toString("base64");
    return JSON.stringify({ auths: { [host]: { username, password, auth } } });
}
