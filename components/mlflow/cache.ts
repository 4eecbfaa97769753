// Content-addressed cache of MLflow model artifacts: every file of a resolved model version is
// downloaded into `<cache>/mlflow/<key>/`, where key = sha256 of (name, version, run, artifact root,
// file list with sizes). The files land in a temporary directory first, each size is checked against
// the server's listing, and the directory is renamed into place in one step: a key directory that
// exists is complete, and a later resolution of the same version reuses it without a download.
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { pipeline } from "stream/promises";
import { defaultCacheDir } from "../oci/disk-cache";
import { downloadProxiedArtifact, listProxiedArtifacts, MlflowConnection, MlflowError } from "./client";

export interface ArtifactEntry {
    /** Path relative to the model's artifact root, `/`-separated. */
    path: string;
    size: number;
}

export interface CacheKeyInput {
    name: string;
    version: string;
    runId: string;
    /** Artifact path of the model on the server (relative to the artifact proxy's root). */
    artifactRoot: string;
    files: ArtifactEntry[];
}

/** The cache key: sha256 over a fixed JSON of the resolved version and its file list (sorted). */
export function artifactCacheKey(input: CacheKeyInput): string {
    const files = [...input.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)).map((f) => [f.path, f.size]);
    const canonical = JSON.stringify([input.name, input.version, input.runId, input.artifactRoot, files]);
    return crypto.createHash("sha256").update(canonical).digest("hex");
}

export function mlflowCacheRoot(cacheDir = defaultCacheDir()): string {
    return path.join(cacheDir, "mlflow");
}

/** A listed path is used as a local path: refuse anything that could leave the model directory. */
function safeRelative(p: string, where: string): string {
    const parts = p.split("/");
    if (p === "" || p.startsWith("/") || parts.some((s) => s === "" || s === "." || s === "..") || p.includes("\\") || p.includes("\0")) {
        throw new MlflowError(`MLflow artifact listing of ${where} names "${p}", which is not a plain relative path: refusing to write it`);
    }
    return p;
}

/** Every file under `root` on the artifact proxy, recursively, with sizes; paths relative to `root`. */
export async function listArtifactFiles(conn: MlflowConnection, root: string): Promise<ArtifactEntry[]> {
    const out: ArtifactEntry[] = [];
    const walk = async (dir: string): Promise<void> => {
        for (const f of await listProxiedArtifacts(conn, dir ? `${root}/${dir}` : root)) {
            // The proxy answers paths relative to the directory listed.
            const name = f.path.includes("/") ? f.path.slice(f.path.lastIndexOf("/") + 1) : f.path;
            const rel = safeRelative(dir ? `${dir}/${name}` : name, root);
            if (f.is_dir) await walk(rel);
            else out.push({ path: rel, size: Number(f.file_size ?? -1) });
        }
    };
    await walk("");
    if (out.length === 0) {
        throw new MlflowError(
            `MLflow has no artifact files under ${root}: the model version's artifacts are missing or not served by the tracking server (start it with --serve-artifacts)`,
        );
    }
    return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

export interface CachedArtifacts {
    /** Absolute path of the directory holding the model files. */
    dir: string;
    key: string;
    /** True when the directory was already there (nothing downloaded). */
    reused: boolean;
}

/** Downloads `files` of `input.artifactRoot` into the content-addressed cache, or reuses them. */
export async function cacheArtifacts(conn: MlflowConnection, input: CacheKeyInput, opts: { cacheDir?: string } = {}): Promise<CachedArtifacts> {
    const key = artifactCacheKey(input);
    const root = mlflowCacheRoot(opts.cacheDir);
    const dir = path.join(root, key);
    if (fs.existsSync(dir)) {
        // Complete by construction (atomic rename); a size mismatch means someone edited it: re-fetch.
        const intact = input.files.every((f) => {
            try {
                return fs.statSync(path.join(dir, f.path)).size === f.size || f.size < 0;
            } catch {
                return false;
            }
        });
        if (intact) return { dir, key, reused: true };
        fs.rmSync(dir, { recursive: true, force: true });
    }
    fs.mkdirSync(root, { recursive: true });
    const tmp = fs.mkdtempSync(path.join(root, `.${key.slice(0, 16)}-`));
    try {
        for (const f of input.files) {
            const target = path.join(tmp, f.path);
            fs.mkdirSync(path.dirname(target), { recursive: true });
            const res = await downloadProxiedArtifact(conn, `${input.artifactRoot}/${f.path}`);
            await pipeline(res, fs.createWriteStream(target, { mode: 0o644 }));
            const size = fs.statSync(target).size;
            if (f.size >= 0 && size !== f.size) {
                throw new MlflowError(
                    `MLflow artifact ${input.artifactRoot}/${f.path} of ${input.name} version ${input.version} has ${size} bytes, but the server listed ${f.size}: the download was cut short or the artifact changed; run again`,
                );
            }
        }
        try {
            fs.renameSync(tmp, dir);
        } catch (err) {
            // Another process put the same key in place first: same content by construction.
            if (!fs.existsSync(dir)) throw err;
            fs.rmSync(tmp, { recursive: true, force: true });
        }
    } catch (err) {
        fs.rmSync(tmp, { recursive: true, force: true });
        throw err;
    }
    return { dir, key, reused: false };
}
