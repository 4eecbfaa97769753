// Layers of a directory tree, with a stat cache: an unchanged multi-GB model gets its layer digest
// from (path, size, mtime, ctime, inode, device, mode) of every entry, without reading a byte.
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { planTar, streamTar, TarPlan, walkDirectory } from "./tar";

/** Bump when the tar layout changes: old cache entries then no longer match. */
const LAYER_FORMAT = "modelship-tar-v1";

export function defaultCacheDir(): string {
    return process.env.MODELSHIP_CACHE ?? path.join(os.homedir(), ".cache", "modelship");
}

export interface DirectoryLayer {
    plan: TarPlan;
    /** sha256 of the uncompressed tar (also its diff_id). */
    digest: string;
    size: number;
    /** True when the digest came from the stat cache. */
    fromCache: boolean;
    /** Stat-cache key; removed if the bytes later hash differently. */
    cacheKey: string;
}

export interface DirectoryLayerOptions {
    prefix: string;
    label?: string;
    cacheDir?: string;
    /** Skip the stat cache and read every byte. */
    noCache?: boolean;
}

export async function directoryLayer(root: string, opts: DirectoryLayerOptions): Promise<DirectoryLayer> {
    const walked = await walkDirectory(root, { prefix: opts.prefix, label: opts.label });
    const plan = planTar(walked);
    const fingerprint = createHash("sha256").update(LAYER_FORMAT).update("\0").update(await fs.promises.realpath(root)).update("\0");
    for (const e of plan.entries) {
        const w = e as (typeof walked)[number];
        fingerprint.update(`${e.archivePath}\0${e.type}\0${e.mode}\0${w.fingerprint}\n`);
    }
    const cacheKey = fingerprint.digest("hex");
    const cacheDir = opts.cacheDir ?? defaultCacheDir();
    const cacheFile = path.join(cacheDir, "layers", `${cacheKey}.json`);
    if (!opts.noCache) {
        const cached = await readJson<{ digest: string; size: number }>(cacheFile);
        if (cached && cached.size === plan.size && /^sha256:[a-f0-9]{64}$/.test(cached.digest)) {
            return { plan, digest: cached.digest, size: plan.size, fromCache: true, cacheKey };
        }
    }
    const hash = createHash("sha256");
    let size = 0;
    for await (const chunk of streamTar(plan)) {
        hash.update(chunk);
        size += chunk.length;
    }
    const digest = "sha256:" + hash.digest("hex");
    if (size !== plan.size) throw new Error(`internal: tar of ${root} is ${size} bytes, planned ${plan.size}`);
    if (!opts.noCache) await writeJsonAtomic(cacheFile, { digest, size });
    return { plan, digest, size, fromCache: false, cacheKey };
}

/** Forgets a cached digest (used when streamed bytes hash differently than the cache claimed). */
export async function forgetCachedLayer(cacheKey: string, cacheDir = defaultCacheDir()): Promise<void> {
    await fs.promises.rm(path.join(cacheDir, "layers", `${cacheKey}.json`), { force: true });
}

export async function readJson<T>(file: string): Promise<T | undefined> {
    try {
        return JSON.parse(await fs.promises.readFile(file, "utf8")) as T;
    } catch {
        return undefined;
    }
}

/** Write-then-rename so a concurrent reader never sees half a file. */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
    await writeFileAtomic(file, JSON.stringify(value));
}

export async function writeFileAtomic(file: string, data: string | Buffer): Promise<void> {
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await fs.promises.writeFile(tmp, data);
    await fs.promises.rename(tmp, file);
}
