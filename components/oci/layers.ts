// Tar layers of a directory tree, with a stat cache: an unchanged multi-GB model gets its layer
// digests from (path, size, mtime, ctime, inode, device, mode) of every entry, without reading a
// byte.
//
// A model directory becomes one layer per large file plus one layer for everything else, so a new
// model version that changes one file uploads that file's layer only; the others keep their
// digests and are skipped (or mounted from another repository). Each layer is a plain tar of a
// runnable image: a file's layer carries its parent directories too, so any layer order extracts
// to the same tree.
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { defaultCacheDir, readJson, writeJsonAtomic } from "./disk-cache";
import { mapLimit } from "./concurrency";
import { compareArchivePaths, planTar, streamTar, TarPlan, walkDirectory, WalkedEntry } from "./tar";

/** Bump when the tar layout changes: old cache entries then no longer match. */
const LAYER_FORMAT = "modelship-tar-v1";
/** Files at least this large get a layer of their own; smaller ones share one (configs, tokenizers' small files). */
export const OWN_LAYER_MIN_BYTES = 1024 * 1024;
/**
 * At most this many file layers: overlay filesystems stack every layer, and runtimes cap the depth
 * (128 lower directories is common). Past it, the smallest large files join the shared layer.
 */
export const MAX_FILE_LAYERS = 96;
/** Layers hashed at once when their digests are not cached. */
const HASH_CONCURRENCY = 2;

export interface HashedLayer {
    plan: TarPlan;
    /** sha256 of the uncompressed tar (also its diff_id). */
    digest: string;
    size: number;
    /** With `fileDigests`: sha256 of each regular file's content, by archive path. */
    fileDigests?: Record<string, string>;
    /** True when the digest came from the stat cache. */
    fromCache: boolean;
    /** Stat-cache key; removed if the bytes later hash differently. */
    cacheKey: string;
}

export interface ModelLayer extends HashedLayer {
    /** The one file this layer holds, relative to the model directory; undefined for the shared layer. */
    filePath?: string;
    /** Regular files in the layer. */
    files: number;
}

export interface LayerOptions {
    /** Archive path the directory's contents go under, e.g. `models`. */
    prefix: string;
    label?: string;
    cacheDir?: string;
    /** Skip the stat cache and read every byte. */
    noCache?: boolean;
    /** Also compute each file's own sha256 (provenance), in the same read; cached like the layer digest. */
    fileDigests?: boolean;
}

/** The whole tree as one layer (the busybox base image). */
export async function directoryLayer(root: string, opts: LayerOptions): Promise<HashedLayer> {
    const walked = await walkDirectory(root, { prefix: opts.prefix, label: opts.label });
    return hashedLayer(await fs.promises.realpath(root), walked, opts);
}

/** The model tree as layers: the shared layer first (when it holds anything), then one per large file by path. */
export async function modelLayers(root: string, opts: LayerOptions): Promise<ModelLayer[]> {
    const walked = await walkDirectory(root, { prefix: opts.prefix, label: opts.label });
    const realRoot = await fs.promises.realpath(root);
    const groups = groupModelFiles(walked, opts.prefix);
    return mapLimit(groups, HASH_CONCURRENCY, async (g) => ({ ...(await hashedLayer(realRoot, g.entries, opts)), filePath: g.filePath, files: g.files }));
}

export interface LayerGroup {
    entries: WalkedEntry[];
    filePath?: string;
    files: number;
}

/**
 * Splits walked entries into layers (pure). Large files (≥ OWN_LAYER_MIN_BYTES, the largest
 * MAX_FILE_LAYERS of them) each get a layer with their parent directories; directories, symlinks
 * and the remaining files share the first layer, which is left out when it would only repeat
 * parent directories.
 */
export function groupModelFiles(walked: WalkedEntry[], prefix: string): LayerGroup[] {
    const dirs = new Map(walked.filter((e) => e.type === "directory").map((e) => [e.archivePath, e]));
    const large = walked
        .filter((e) => e.type === "file" && e.size >= OWN_LAYER_MIN_BYTES)
        .sort((a, b) => b.size - a.size || (a.archivePath < b.archivePath ? -1 : 1))
        .slice(0, MAX_FILE_LAYERS);
    const own = new Set(large.map((e) => e.archivePath));
    const parents = (archivePath: string): WalkedEntry[] => {
        const out: WalkedEntry[] = [];
        for (let p = path.posix.dirname(archivePath); p !== "." && p !== ""; p = path.posix.dirname(p)) {
            const d = dirs.get(p);
            if (d) out.push(d);
        }
        return out;
    };
    const implied = new Set(large.flatMap((e) => parents(e.archivePath).map((d) => d.archivePath)));
    const shared = walked.filter((e) => !own.has(e.archivePath));
    const sharedMatters = shared.some((e) => e.type !== "directory" || !implied.has(e.archivePath));
    const strip = prefix.replace(/^\/+|\/+$/g, "");
    const relative = (p: string) => (strip && p.startsWith(strip + "/") ? p.slice(strip.length + 1) : p);
    const fileGroups = large
        .sort((a, b) => compareArchivePaths(a.archivePath, b.archivePath))
        .map((e) => ({ entries: [...parents(e.archivePath), e], filePath: relative(e.archivePath), files: 1 }));
    const groups: LayerGroup[] = [];
    if (sharedMatters) groups.push({ entries: shared, files: shared.filter((e) => e.type === "file").length });
    return [...groups, ...fileGroups];
}

async function hashedLayer(realRoot: string, entries: WalkedEntry[], opts: LayerOptions): Promise<HashedLayer> {
    const plan = planTar(entries);
    const fingerprint = createHash("sha256").update(LAYER_FORMAT).update("\0").update(realRoot).update("\0");
    for (const e of plan.entries) fingerprint.update(`${e.archivePath}\0${e.type}\0${e.mode}\0${(e as WalkedEntry).fingerprint}\n`);
    const cacheKey = fingerprint.digest("hex");
    const cacheFile = path.join(opts.cacheDir ?? defaultCacheDir(), "layers", `${cacheKey}.json`);
    if (!opts.noCache) {
        const cached = await readJson<{ digest: string; size: number; fileDigests?: Record<string, string> }>(cacheFile);
        if (cached && cached.size === plan.size && /^sha256:[a-f0-9]{64}$/.test(cached.digest) && (!opts.fileDigests || cached.fileDigests)) {
            return { plan, digest: cached.digest, size: plan.size, fromCache: true, cacheKey, ...(opts.fileDigests ? { fileDigests: cached.fileDigests } : {}) };
        }
    }
    const hash = createHash("sha256");
    const fileHashes = new Map<string, ReturnType<typeof createHash>>();
    if (opts.fileDigests) for (const e of plan.entries) if (e.type === "file") fileHashes.set(e.archivePath, createHash("sha256"));
    let size = 0;
    const onFileContent = opts.fileDigests ? (entry: { archivePath: string }, piece: Buffer) => fileHashes.get(entry.archivePath)!.update(piece) : undefined;
    for await (const chunk of streamTar(plan, { reuseBuffers: true, onFileContent })) {
        hash.update(chunk);
        size += chunk.length;
    }
    const digest = "sha256:" + hash.digest("hex");
    if (size !== plan.size) throw new Error(`internal: tar of ${realRoot} is ${size} bytes, planned ${plan.size}`);
    const fileDigests = opts.fileDigests ? Object.fromEntries([...fileHashes].map(([p, h]) => [p, "sha256:" + h.digest("hex")])) : undefined;
    if (!opts.noCache) await writeJsonAtomic(cacheFile, { digest, size, ...(fileDigests ? { fileDigests } : {}) });
    return { plan, digest, size, fromCache: false, cacheKey, ...(fileDigests ? { fileDigests } : {}) };
}

/** Forgets a cached digest (used when streamed bytes hash differently than the cache claimed). */
export async function forgetCachedLayer(cacheKey: string, cacheDir = defaultCacheDir()): Promise<void> {
    await fs.promises.rm(path.join(cacheDir, "layers", `${cacheKey}.json`), { force: true });
}
