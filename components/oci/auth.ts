// Registry credentials and auth challenges: explicit username/password first, then Docker's
// config.json (`auths.<host>.auth`, base64 "user:pass"), the file `docker login` writes.
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

/** Credentials for a registry from Docker's config.json; undefined when none are stored there. */
export function credentialsFromDockerConfig(registry: string, configPath = dockerConfigPath()): Credentials | undefined {
    let parsed: { auths?: Record<string, { auth?: string; username?: string; password?: string }> };
    try {
        parsed = JSON.parse(fs.readFileSync(configPath, "utf8"));
    } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw new Error(`cannot read Docker credentials from ${configPath}: ${(err as Error).message}; fix the file or set the registry password explicitly`);
    }
    const auths = parsed.auths ?? {};
    // Keys appear as bare hosts or URLs; Docker Hub historically as https://index.docker.io/v1/.
    const wanted = registry === DOCKER_HUB ? [DOCKER_HUB, "index.docker.io", "registry-1.docker.io"] : [registry];
    for (const [key, entry] of Object.entries(auths)) {
        const host = key.replace(/^https?:\/\//, "").replace(/\/.*$/, "");
        if (!wanted.includes(host)) continue;
        if (entry.username && entry.password) return { username: entry.username, password: entry.password };
        if (entry.auth) {
            const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
            const colon = decoded.indexOf(":");
            if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
        }
    }
    return undefined;
}

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
