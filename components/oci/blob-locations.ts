// Which repositories of a registry are known to hold a blob: recorded after every push, read
// before an upload so a blob another repository already has is mounted (POST ?mount=&from=), not
// sent. A hint only: a stale entry costs one declined mount.
import { createHash } from "crypto";
import * as path from "path";
import { readJson, writeJsonAtomic } from "./disk-cache";

/** Repositories remembered per blob; the most recent first. */
const MAX_REPOSITORIES_PER_BLOB = 4;

type Locations = Record<string, string[]>;

function file(cacheDir: string, registry: string): string {
    return path.join(cacheDir, "blob-locations", `${createHash("sha256").update(registry).digest("hex").slice(0, 32)}.json`);
}

/** Other repositories of `registry` known to hold a digest (all but `except`). */
export type KnownLocations = (digest: string, except: string) => string[];

/** The remembered locations of `registry`'s blobs, read once (a push reads them once for all its blobs). */
export async function knownLocations(cacheDir: string, registry: string): Promise<KnownLocations> {
    const all = (await readJson<Locations>(file(cacheDir, registry))) ?? {};
    return (digest, except) => (all[digest] ?? []).filter((r) => r !== except);
}

export async function recordLocations(cacheDir: string, registry: string, repository: string, digests: string[]): Promise<void> {
    const f = file(cacheDir, registry);
    const all = (await readJson<Locations>(f)) ?? {};
    for (const d of digests) all[d] = [repository, ...(all[d] ?? []).filter((r) => r !== repository)].slice(0, MAX_REPOSITORIES_PER_BLOB);
    await writeJsonAtomic(f, all);
}
