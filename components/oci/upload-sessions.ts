// What a push remembers on disk between runs, under the cache directory:
// - upload sessions (`uploads/<key>.json`): the first Location of a blob upload that has not
//   finished, so the next run continues it instead of sending the blob again;
// - blob locks (`uploads/<key>.lock`): one process uploads a given blob to a given repository at a
//   time; another push of the same model (a second `pulumi up`, a CI job on the same runner) waits
//   for it and then finds the blob present.
// None of this is needed for correctness: a lost record costs a re-upload, never a wrong digest.
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { readJson, writeJsonAtomic } from "./disk-cache";

/** Distribution purges upload sessions after a week by default; older records are not worth a request. */
const SESSION_MAX_AGE_MS = 6 * 24 * 3600 * 1000;

interface SessionRecord {
    registry: string;
    repository: string;
    digest: string;
    location: string;
    savedAt: number;
}

function key(registry: string, repository: string, digest: string): string {
    return createHash("sha256").update(`${registry}/${repository}@${digest}`).digest("hex").slice(0, 40);
}

export class UploadSessions {
    private readonly dir: string;
    /** In-process holders, so two pushes in one provider process also take turns. */
    private static readonly heldHere = new Map<string, Promise<void>>();

    constructor(cacheDir: string) {
        this.dir = path.join(cacheDir, "uploads");
    }

    async recall(registry: string, repository: string, digest: string): Promise<string | undefined> {
        const rec = await readJson<SessionRecord>(path.join(this.dir, `${key(registry, repository, digest)}.json`));
        if (!rec || rec.registry !== registry || rec.repository !== repository || rec.digest !== digest) return undefined;
        if (Date.now() - rec.savedAt > SESSION_MAX_AGE_MS) return undefined;
        return rec.location;
    }

    async remember(registry: string, repository: string, digest: string, location: string): Promise<void> {
        const rec: SessionRecord = { registry, repository, digest, location, savedAt: Date.now() };
        await writeJsonAtomic(path.join(this.dir, `${key(registry, repository, digest)}.json`), rec);
    }

    async forget(registry: string, repository: string, digest: string): Promise<void> {
        await fs.promises.rm(path.join(this.dir, `${key(registry, repository, digest)}.json`), { force: true });
    }

    /**
     * Runs `work` holding the blob's lock. When another live process (or another push in this one)
     * holds it, waits for it first, polling every `pollMs`, at most `maxWaitMs`; then `work` runs
     * anyway (a stuck holder must not stop the push). A lock left by a dead process is taken over.
     * `work` learns whether it waited (the other push may have sent the blob meanwhile).
     */
    async withBlobLock<T>(
        registry: string,
        repository: string,
        digest: string,
        work: (waited: boolean) => Promise<T>,
        opts: { pollMs?: number; maxWaitMs?: number; onWaiting?: (holderPid: number) => void } = {},
    ): Promise<T> {
        const k = key(registry, repository, digest);
        const file = path.join(this.dir, `${k}.lock`);
        await fs.promises.mkdir(this.dir, { recursive: true });
        let waited = false;
        while (UploadSessions.heldHere.has(k)) {
            waited = true;
            await UploadSessions.heldHere.get(k);
        }
        let release!: () => void;
        UploadSessions.heldHere.set(k, new Promise<void>((resolve) => (release = resolve)));
        const deadline = Date.now() + (opts.maxWaitMs ?? 30 * 60_000);
        let told = false;
        let owned = false;
        try {
            for (;;) {
                try {
                    await fs.promises.writeFile(file, String(process.pid), { flag: "wx" });
                    owned = true;
                    break;
                } catch (err) {
                    if ((err as NodeJS.ErrnoException).code !== "EEXIST") break; // cannot lock: go on unlocked
                }
                const holder = Number(await fs.promises.readFile(file, "utf8").catch(() => "0"));
                if (!holder || !processAlive(holder) || holder === process.pid) {
                    await fs.promises.rm(file, { force: true });
                    continue;
                }
                if (Date.now() > deadline) break;
                waited = true;
                if (!told) {
                    told = true;
                    opts.onWaiting?.(holder);
                }
                await new Promise((resolve) => setTimeout(resolve, opts.pollMs ?? 500));
            }
            return await work(waited);
        } finally {
            if (owned) await fs.promises.rm(file, { force: true });
            UploadSessions.heldHere.delete(k);
            release();
        }
    }
}

function processAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (err) {
        return (err as NodeJS.ErrnoException).code === "EPERM";
    }
}
