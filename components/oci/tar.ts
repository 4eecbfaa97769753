// Reproducible tar layers. A layer is planned first (walk, validate, sort) and then streamed from
// the plan, so the digest depends only on paths, contents, file types and the executable bit:
// never on mtimes, owners, umask, readdir order or the host. Format: POSIX ustar, with PAX extended
// headers for names, link targets or sizes that ustar cannot hold.
import * as fs from "fs";
import * as path from "path";

const BLOCK = 512;
/** Fixed for every entry: timestamps and owners are host noise, not content. */
export const FIXED_MTIME = 0;
export const FIXED_UID = 0;
export const FIXED_GID = 0;
/** World-readable so the modelcar's non-root uid (KServe's uidModelcar, 1010) can read every file. */
export const FILE_MODE = 0o644;
export const EXECUTABLE_MODE = 0o755;
export const DIRECTORY_MODE = 0o755;
export const SYMLINK_MODE = 0o777;

export type TarEntryType = "file" | "directory" | "symlink";

export interface TarEntry {
    /** Path inside the archive, `/`-separated, no leading `/`; directories without a trailing `/`. */
    archivePath: string;
    type: TarEntryType;
    mode: number;
    /** Bytes of content (files only). */
    size: number;
    /** Absolute path of the file on disk (files from a directory). */
    sourcePath?: string;
    /** In-memory content (files built by the program, e.g. rendered YAML). */
    content?: Buffer;
    /** Symlink target, stored as written. */
    linkTarget?: string;
}

export interface TarPlan {
    entries: TarEntry[];
    /** Exact byte length of the archive the plan streams. */
    size: number;
    /** Per-entry header bytes (including any PAX header), computed once. */
    headers: Buffer[];
}

/** Builds the plan of an archive from entries: sorted by path, headers precomputed, size known. */
export function planTar(entries: TarEntry[]): TarPlan {
    const sorted = [...entries].sort((a, b) => compareArchivePaths(a.archivePath, b.archivePath));
    for (let i = 1; i < sorted.length; i++) {
        if (sorted[i].archivePath === sorted[i - 1].archivePath) throw new Error(`two archive entries share the path "${sorted[i].archivePath}"`);
    }
    const headers = sorted.map(entryHeader);
    let size = 2 * BLOCK; // end-of-archive marker
    sorted.forEach((entry, i) => {
        size += headers[i].length + (entry.type === "file" ? padded(entry.size) : 0);
    });
    return { entries: sorted, size, headers };
}

/** Byte-wise UTF-8 order, the same on every machine and locale. */
export function compareArchivePaths(a: string, b: string): number {
    return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

function padded(size: number): number {
    return Math.ceil(size / BLOCK) * BLOCK;
}

const USTAR_NAME_MAX = 100;
const USTAR_SIZE_MAX = 0o77777777777; // 11 octal digits

function entryHeader(entry: TarEntry): Buffer {
    const name = entry.type === "directory" ? entry.archivePath + "/" : entry.archivePath;
    const pax: Array<[string, string]> = [];
    const nameFits = Buffer.byteLength(name) <= USTAR_NAME_MAX && isAscii(name);
    if (!nameFits) pax.push(["path", name]);
    const link = entry.linkTarget ?? "";
    const linkFits = Buffer.byteLength(link) <= USTAR_NAME_MAX && isAscii(link);
    if (!linkFits) pax.push(["linkpath", link]);
    const size = entry.type === "file" ? entry.size : 0;
    if (size > USTAR_SIZE_MAX) pax.push(["size", String(size)]);

    const typeflag = entry.type === "file" ? "0" : entry.type === "directory" ? "5" : "2";
    const main = ustarHeader({
        name: nameFits ? name : truncateAscii(name, USTAR_NAME_MAX),
        mode: entry.mode,
        size: size > USTAR_SIZE_MAX ? 0 : size,
        typeflag,
        linkname: linkFits ? link : truncateAscii(link, USTAR_NAME_MAX),
    });
    if (pax.length === 0) return main;

    const body = Buffer.from(pax.map(([k, v]) => paxRecord(k, v)).join(""), "utf8");
    const paxHeader = ustarHeader({
        // Deterministic name for the extended header; readers ignore it.
        name: truncateAscii(`PaxHeaders/${path.posix.basename(name)}`, USTAR_NAME_MAX),
        mode: FILE_MODE,
        size: body.length,
        typeflag: "x",
        linkname: "",
    });
    const bodyPadded = Buffer.alloc(padded(body.length));
    body.copy(bodyPadded);
    return Buffer.concat([paxHeader, bodyPadded, main]);
}

/** A PAX record is "<length> <key>=<value>\n" where length counts the whole record, itself included. */
function paxRecord(key: string, value: string): string {
    const rest = ` ${key}=${value}\n`;
    const restLen = Buffer.byteLength(rest);
    let len = restLen + String(restLen).length;
    if (String(len).length !== String(len - restLen).length) len = restLen + String(len).length;
    return `${len}${rest}`;
}

function isAscii(s: string): boolean {
    return /^[\x20-\x7e]*$/.test(s);
}

function truncateAscii(s: string, max: number): string {
    return s.replace(/[^\x20-\x7e]/g, "_").slice(0, max);
}

function ustarHeader(h: { name: string; mode: number; size: number; typeflag: string; linkname: string }): Buffer {
    const buf = Buffer.alloc(BLOCK);
    buf.write(h.name, 0, USTAR_NAME_MAX, "utf8");
    writeOctal(buf, h.mode, 100, 8);
    writeOctal(buf, FIXED_UID, 108, 8);
    writeOctal(buf, FIXED_GID, 116, 8);
    writeOctal(buf, h.size, 124, 12);
    writeOctal(buf, FIXED_MTIME, 136, 12);
    buf.fill(0x20, 148, 156); // checksum is computed with its own field as spaces
    buf.write(h.typeflag, 156, 1, "ascii");
    buf.write(h.linkname, 157, USTAR_NAME_MAX, "utf8");
    buf.write("ustar\u000000", 257, 8, "ascii");
    // uname/gname left empty: names of the build host's users are not content.
    writeOctal(buf, 0, 329, 8); // devmajor
    writeOctal(buf, 0, 337, 8); // devminor
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += buf[i];
    buf.write(sum.toString(8).padStart(6, "0") + "\u0000 ", 148, 8, "ascii");
    return buf;
}

function writeOctal(buf: Buffer, value: number, offset: number, length: number): void {
    buf.write(value.toString(8).padStart(length - 1, "0") + "\u0000", offset, length, "ascii");
}

export interface StreamTarOptions {
    /** Read size for file contents; large reads keep syscalls few on multi-GB models. */
    readChunkBytes?: number;
    /**
     * The consumer is done with each piece before asking for the next (hashing): file reads reuse
     * two buffers instead of allocating one per read, so reading a large tree keeps memory flat.
     */
    reuseBuffers?: boolean;
    /** Sees every piece of every file's content as it streams (per-file digests in the same read). */
    onFileContent?: (entry: TarEntry, piece: Buffer) => void;
}

/**
 * Streams the archive described by a plan. A file whose size differs from the plan fails the
 * stream with a message naming it: the plan's digest would no longer describe what is sent.
 */
export async function* streamTar(plan: TarPlan, opts: StreamTarOptions = {}): AsyncGenerator<Buffer> {
    const chunkBytes = opts.readChunkBytes ?? 1024 * 1024;
    for (let i = 0; i < plan.entries.length; i++) {
        const entry = plan.entries[i];
        yield plan.headers[i];
        if (entry.type !== "file") continue;
        if (entry.content) {
            if (entry.content.length !== entry.size) throw new Error(`tar entry ${entry.archivePath}: content length differs from planned size`);
            opts.onFileContent?.(entry, entry.content);
            yield entry.content;
        } else {
            for await (const piece of readFileExactly(entry.sourcePath!, entry.size, chunkBytes, opts.reuseBuffers ?? false)) {
                opts.onFileContent?.(entry, piece);
                yield piece;
            }
        }
        const pad = padded(entry.size) - entry.size;
        if (pad > 0) yield Buffer.alloc(pad);
    }
    yield Buffer.alloc(2 * BLOCK);
}

async function* readFileExactly(file: string, size: number, chunkBytes: number, reuse: boolean): AsyncGenerator<Buffer> {
    const handle = await fs.promises.open(file, "r").catch((err: NodeJS.ErrnoException) => {
        throw new Error(`cannot read model file ${file}: ${err.code ?? err.message}; make it readable or remove it`);
    });
    // One read ahead: the disk works on the next chunk while the consumer hashes and sends this one.
    // A fresh buffer per read, since consumers (sockets) may still hold the previous one.
    const spare = reuse ? [Buffer.allocUnsafe(Math.min(chunkBytes, size)), Buffer.allocUnsafe(Math.min(chunkBytes, size))] : [];
    let turn = 0;
    const readAt = async (position: number): Promise<Buffer> => {
        const length = Math.min(chunkBytes, size - position);
        const buf = reuse ? spare[turn++ % 2].subarray(0, length) : Buffer.allocUnsafe(length);
        const { bytesRead } = await handle.read(buf, 0, buf.length, position);
        return bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
    };
    let pending: Promise<Buffer> | undefined;
    try {
        let position = 0;
        pending = size > 0 ? readAt(0) : undefined;
        while (pending) {
            const buf = await pending;
            pending = undefined;
            if (buf.length === 0) break;
            position += buf.length;
            if (position < size) pending = readAt(position);
            yield buf;
        }
        const { size: sizeNow } = await handle.stat();
        if (position !== size || sizeNow !== size) {
            throw new Error(`model file ${file} changed while being read (planned ${size} bytes, now ${sizeNow}); re-run so the digest is computed again`);
        }
    } finally {
        // An abandoned stream may leave a read in flight: let it land before closing the handle.
        if (pending) await pending.catch(() => undefined);
        await handle.close();
    }
}

export interface DirectoryPlanOptions {
    /** Archive path the directory's contents go under, e.g. `models`; "" for the archive root. */
    prefix: string;
    /** What the tree is called in error messages ("model directory"). */
    label?: string;
}

export interface WalkedEntry extends TarEntry {
    /** Stat fields that identify an unchanged file without reading it (the stat cache in layer.ts). */
    fingerprint: string;
}

/**
 * Walks a directory into tar entries. Refuses what a model image must not carry or cannot carry
 * reproducibly: symlinks leaving the directory, devices, sockets, FIFOs, unreadable files, and a
 * tree with no regular file. Each refusal names the path and the fix.
 */
export async function walkDirectory(root: string, opts: DirectoryPlanOptions): Promise<WalkedEntry[]> {
    const label = opts.label ?? "directory";
    if (!path.isAbsolute(root)) throw new Error(`${label} must be an absolute path, got "${root}"`);
    const rootStat = await fs.promises.stat(root).catch((err: NodeJS.ErrnoException) => {
        throw new Error(`${label} ${root} cannot be read: ${err.code ?? err.message}`);
    });
    if (!rootStat.isDirectory()) throw new Error(`${label} ${root} is not a directory`);
    const realRoot = await fs.promises.realpath(root);
    const prefix = opts.prefix.replace(/^\/+|\/+$/g, "");
    const entries: WalkedEntry[] = [];
    if (prefix !== "") {
        // Parent directories of the prefix are included so extraction never invents their modes.
        const parts = prefix.split("/");
        for (let i = 1; i <= parts.length; i++) {
            entries.push({ archivePath: parts.slice(0, i).join("/"), type: "directory", mode: DIRECTORY_MODE, size: 0, fingerprint: "prefix" });
        }
    }
    let fileCount = 0;

    const visit = async (dir: string, archiveDir: string): Promise<void> => {
        let raw: Buffer[];
        try {
            raw = await fs.promises.readdir(dir, { encoding: "buffer" });
        } catch (err) {
            throw new Error(`${label}: cannot list ${dir}: ${(err as NodeJS.ErrnoException).code}; make it readable (chmod a+rx)`, { cause: err });
        }
        for (const bytes of raw) {
            const name = bytes.toString("utf8");
            // Linux names are bytes; one that is not UTF-8 cannot be named in a tar path reproducibly.
            if (!Buffer.from(name, "utf8").equals(bytes)) {
                throw new Error(`${label}: ${dir} holds an entry whose name is not valid UTF-8 (bytes ${bytes.toString("hex")}); rename it`);
            }
            const abs = path.join(dir, name);
            const archivePath = archiveDir === "" ? name : `${archiveDir}/${name}`;
            const st = await fs.promises.lstat(abs, { bigint: true });
            const fingerprint = [st.size, st.mtimeNs, st.ctimeNs, st.ino, st.dev, Number(st.mode)].join(":");
            if (st.isSymbolicLink()) {
                const target = await fs.promises.readlink(abs);
                await assertLinkStaysInside(abs, target, root, realRoot, label);
                entries.push({ archivePath, type: "symlink", mode: SYMLINK_MODE, size: 0, linkTarget: target, fingerprint: `${fingerprint}:${target}` });
            } else if (st.isDirectory()) {
                entries.push({ archivePath, type: "directory", mode: DIRECTORY_MODE, size: 0, fingerprint: "dir" });
                await visit(abs, archivePath);
            } else if (st.isFile()) {
                try {
                    await fs.promises.access(abs, fs.constants.R_OK);
                } catch {
                    throw new Error(`${label}: file ${abs} is not readable; fix its permissions (chmod a+r) or remove it`);
                }
                const executable = (Number(st.mode) & 0o111) !== 0;
                entries.push({
                    archivePath,
                    type: "file",
                    mode: executable ? EXECUTABLE_MODE : FILE_MODE,
                    size: Number(st.size),
                    sourcePath: abs,
                    fingerprint,
                });
                fileCount++;
            } else {
                const kind = st.isSocket() ? "a socket" : st.isFIFO() ? "a FIFO" : st.isBlockDevice() || st.isCharacterDevice() ? "a device" : "not a regular file";
                throw new Error(`${label}: ${abs} is ${kind}; only regular files, directories and symlinks inside the directory can go into a layer: remove it`);
            }
        }
    };
    await visit(root, prefix);
    if (fileCount === 0) throw new Error(`${label} ${root} holds no files; a model image needs a non-empty /models (KServe's modelcar-init checks it)`);
    return entries;
}

async function assertLinkStaysInside(link: string, target: string, root: string, realRoot: string, label: string): Promise<void> {
    const leaves = (): never => {
        throw new Error(`${label}: symlink ${link} -> ${target} points outside ${root}; copy the target into the directory or make the link relative and inside it`);
    };
    if (path.isAbsolute(target)) leaves();
    const lexical = path.resolve(path.dirname(link), target);
    if (!isInside(lexical, root)) leaves();
    // Through other links it may still escape, even when it dangles (`up -> ..`, then
    // `leak -> up/../etc/passwd`): follow it component by component, links inside the tree included,
    // and refuse as soon as the walk leaves the tree. Where it lands may not exist: that is harmless.
    let current = path.dirname(link);
    const pending = target.split("/");
    for (let hops = 0; pending.length > 0;) {
        const part = pending.shift()!;
        if (part === "" || part === ".") continue;
        if (part === "..") {
            current = path.dirname(current);
            if (!isInside(current, root)) leaves();
            continue;
        }
        const next = path.join(current, part);
        const st = await fs.promises.lstat(next).catch(() => undefined);
        if (st?.isSymbolicLink()) {
            if (++hops > 40) return; // a loop of links inside the tree resolves nowhere: harmless
            const inner = await fs.promises.readlink(next);
            if (path.isAbsolute(inner)) leaves();
            pending.unshift(...inner.split("/"));
            continue;
        }
        current = next;
    }
    if (!isInside(current, root)) leaves();
    const real = await fs.promises.realpath(link).catch(() => undefined);
    if (real !== undefined && !isInside(real, realRoot)) leaves();
}

function isInside(candidate: string, root: string): boolean {
    const rel = path.relative(root, candidate);
    return rel === "" || (rel !== ".." && !rel.startsWith(".." + path.sep) && !path.isAbsolute(rel));
}
