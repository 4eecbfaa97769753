// The engine's disk cache (`$MODELSHIP_CACHE`, default ~/.cache/modelship): small JSON records and
// content-addressed blobs, written atomically (write, then rename) so a concurrent reader never sees
// half a file. Everything here is a cache: deleting the directory costs time, never correctness.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { sha256Digest, verifyDigest } from "./digest";

export function defaultCacheDir(): string {
    return process.env.MODELSHIP_CACHE ?? path.join(os.homedir(), ".cache", "modelship");
}

export async function readJson<T>(file: string): Promise<T | undefined> {
    try {
        return JSON.parse(await fs.promises.readFile(file, "utf8")) as T;
    } catch {
        return undefined;
    }
}

export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
    await writeFileAtomic(file, JSON.stringify(value));
}

export async function writeFileAtomic(file: string, data: string | Buffer): Promise<void> {
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await fs.promises.writeFile(tmp, data);
    await fs.promises.rename(tmp, file);
}

/** A blob by digest from `<cacheDir>/blobs`, re-verified on read (a corrupt file is fetched again). */
export async function cachedBlob(cacheDir: string, digest: string, fetch: () => Promise<Buffer>): Promise<Buffer> {
    const file = path.join(cacheDir, "blobs", digest.replace(":", "/"));
    try {
        const bytes = await fs.promises.readFile(file);
        if (sha256Digest(bytes) === digest) return bytes;
    } catch {
        /* not cached */
    }
    const bytes = await fetch();
    verifyDigest(bytes, digest, `blob ${digest}`);
    await writeFileAtomic(file, bytes);
    return bytes;
}
