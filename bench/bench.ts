// `npm run bench`: modelship against the usual tools on the same generated models and the same
// local registry (distribution 2.8 on 127.0.0.1), each tool in its own process under a wrapper that
// reports its wall time and peak RSS:
//   modelship  bench/modelship-run.ts (compiled to JS first, so ts-node is not in its RSS)
//   skopeo     `skopeo copy` of an OCI layout holding the very image modelship builds
//   crane      `crane push` of that same layout
//   oras       `oras push` of the model files (one layer per file)
//   curl       the floor: the same bytes as one blob, one POST + one streamed PUT
// Cases per size: first push (each tool to a fresh repository), "version 2" (one 10 MiB file
// changed, pushed to the same repository) and, for modelship, an unchanged tree (warm stat cache).
// The registry's storage is emptied (and the base image seeded again) before each tool, so disk
// use stays near four times the model size (model, layer tars, floor blob, registry).
// Rounds: every tool runs once per round, in an order rotated each round (no tool always goes
// first, right after the untimed preparation); the table gives each tool's median round and the
// range. Besides wall time, each run's CPU seconds (the tool's, and the registry's over the same
// run) give a CPU floor: (tool CPU + registry CPU) / cores, the wall time no tool can beat when
// the registry shares the machine's cores. Everything lives in a temporary directory deleted at
// the end; the registry is stopped even on failure.
//
// Knobs: BENCH_SIZES_GIB (default "1,4"), BENCH_FILES (shard files per model, default 8),
// BENCH_CONCURRENCY (parallel blob uploads of modelship and oras, default 4), BENCH_ROUNDS
// (default 3), BENCH_DIR (parent of the temporary directory, default the OS temp dir).
import { spawnSync } from "child_process";
import { createHash, randomFillSync } from "crypto";
import { once } from "events";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { composeModelImage, ComposedModelImage, mediaTypes } from "../components/oci";
import { publishBusyboxBase } from "../components/oci/busybox-base";
import { streamTar } from "../components/oci/tar";
import type { RunOptions, RunResult } from "./modelship-run";
import { BenchRegistry, GNU_TIME, MeasuredRun, requireToolOrExit, runMeasured, startRegistry } from "./support";

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
/** The file "version 2" changes: exactly this large, so the delta is one 10 MiB layer. */
const CHANGED_FILE_BYTES = 10 * MiB;
/** Smallest shard: every shard must get a layer of its own (components/oci/layers.ts: ≥ 1 MiB). */
const MIN_SHARD_BYTES = 2 * MiB;
const BASE_REPOSITORY = "library/busybox";
const REPO_ROOT = path.join(__dirname, "..");

type Version = "v1" | "v2";

interface Knobs {
    sizesGiB: number[];
    files: number;
    concurrency: number;
    rounds: number;
}

/** Reads the environment knobs; every problem reported at once. */
function readKnobs(): Knobs {
    const problems: string[] = [];
    const sizesGiB = (process.env.BENCH_SIZES_GIB ?? "1,4").split(",").map((s) => Number(s.trim()));
    const files = Number(process.env.BENCH_FILES ?? "8");
    const concurrency = Number(process.env.BENCH_CONCURRENCY ?? "4");
    const rounds = Number(process.env.BENCH_ROUNDS ?? "3");
    if (!Number.isInteger(files) || files < 2)
        problems.push(`BENCH_FILES must be an integer ≥ 2 (one 10 MiB shard that version 2 changes, and the others), got "${process.env.BENCH_FILES}"`);
    if (!Number.isInteger(concurrency) || concurrency < 1) problems.push(`BENCH_CONCURRENCY must be an integer ≥ 1, got "${process.env.BENCH_CONCURRENCY}"`);
    if (!Number.isInteger(rounds) || rounds < 1) problems.push(`BENCH_ROUNDS must be an integer ≥ 1, got "${process.env.BENCH_ROUNDS}"`);
    for (const gib of sizesGiB) {
        if (!Number.isFinite(gib) || gib <= 0)
            problems.push(`BENCH_SIZES_GIB must be a comma-separated list of positive numbers, e.g. "1,4"; got "${process.env.BENCH_SIZES_GIB}"`);
        else if (Number.isInteger(files) && files >= 2 && gib * GiB - CHANGED_FILE_BYTES < (files - 1) * MIN_SHARD_BYTES) {
            problems.push(
                `BENCH_SIZES_GIB: ${gib} GiB is too small for ${files} files (10 MiB + ${files - 1} × ≥ 2 MiB); use at least ${((CHANGED_FILE_BYTES + (files - 1) * MIN_SHARD_BYTES) / GiB).toFixed(3)}`,
            );
        }
    }
    if (problems.length > 0) {
        console.error(`bench: invalid settings:\n  ${problems.join("\n  ")}`);
        process.exit(2);
    }
    return { sizesGiB, files, concurrency, rounds };
}

// ---- the model -------------------------------------------------------------------------------

interface Model {
    dir: string;
    /** Bytes of all its files. */
    bytes: number;
    /** File names, relative to dir. */
    files: string[];
    /** The 10 MiB shard version 2 changes, and its two contents. */
    changedFile: string;
    contents: Record<Version, Buffer>;
}

function randomBytes(n: number): Buffer {
    const buf = Buffer.allocUnsafe(n);
    randomFillSync(buf);
    return buf;
}

/** `files` shards of random bytes (the first exactly 10 MiB) totalling `shardBytes`, and a small config.json. */
function generateModel(dir: string, shardBytes: number, files: number): Model {
    fs.mkdirSync(dir, { recursive: true });
    const names = Array.from({ length: files }, (_, i) => `model-${String(i + 1).padStart(5, "0")}-of-${String(files).padStart(5, "0")}.safetensors`);
    const rest = shardBytes - CHANGED_FILE_BYTES;
    const perShard = Math.floor(rest / (files - 1));
    const chunk = Buffer.allocUnsafe(16 * MiB);
    for (let i = 1; i < files; i++) {
        const fd = fs.openSync(path.join(dir, names[i]), "w");
        try {
            let left = i === files - 1 ? rest - perShard * (files - 2) : perShard;
            while (left > 0) {
                const n = Math.min(left, chunk.length);
                randomFillSync(chunk, 0, n);
                fs.writeSync(fd, chunk, 0, n);
                left -= n;
            }
        } finally {
            fs.closeSync(fd);
        }
    }
    const model: Model = {
        dir,
        bytes: 0,
        files: [...names, "config.json"],
        changedFile: names[0],
        contents: { v1: randomBytes(CHANGED_FILE_BYTES), v2: randomBytes(CHANGED_FILE_BYTES) },
    };
    setModelVersion(model, "v1");
    fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify({ model_type: "bench", shards: files, bytes: shardBytes }, null, 2) + "\n");
    model.bytes = model.files.reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
    return model;
}

/** Rewrites the changed file in place (same inode, new mtime), as a user updating a model would. */
function setModelVersion(model: Model, version: Version): void {
    fs.writeFileSync(path.join(model.dir, model.changedFile), model.contents[version]);
}

// ---- the same image as files: layer tars, OCI layouts, the floor's one blob ------------------

interface PreparedImages {
    images: Record<Version, ComposedModelImage>;
    layouts: Record<Version, string>;
    /** Directory of every blob file (model layer tars and the base layer), named by hex digest. */
    blobsDir: string;
    /** The one model layer version 2 adds. */
    changedLayer: { digest: string; size: number; file: string };
    /** The floor's one blob: version 1's model layers concatenated. */
    floorBlob: { digest: string; size: number; file: string };
}

/**
 * Composes both versions in this process (own stat cache, untimed), writes every layer's exact tar
 * bytes once, and an OCI layout per version whose blobs are hard links to those files.
 */
async function prepareImages(model: Model, work: string, registry: string, baseImage: string): Promise<PreparedImages> {
    const blobsDir = path.join(work, "blobs");
    fs.mkdirSync(blobsDir, { recursive: true });
    const cacheDir = path.join(work, "prepare-cache");
    const images = {} as Record<Version, ComposedModelImage>;
    for (const version of ["v1", "v2"] as const) {
        setModelVersion(model, version);
        const image = await composeModelImage({
            modelDir: model.dir,
            modelName: "bench",
            version,
            baseImage,
            registry,
            repository: "bench/prepare",
            connection: { plainHttp: true },
            cacheDir,
        });
        for (const blob of image.blobs) {
            const file = path.join(blobsDir, blob.descriptor.digest.slice("sha256:".length));
            if (fs.existsSync(file) || blob.origin.kind === "bytes") continue;
            if (blob.origin.kind === "directory") await writeStream(file, streamTar(blob.origin.layer.plan));
            else fs.writeFileSync(file, await fetchBlob(blob.origin.registry, blob.origin.repository, blob.descriptor.digest));
            if (fs.statSync(file).size !== blob.descriptor.size) throw new Error(`internal: ${file} is not ${blob.descriptor.size} bytes`);
        }
        images[version] = image;
    }
    setModelVersion(model, "v1");
    const v1Layers = new Set(images.v1.modelLayers.map((l) => l.digest));
    const added = images.v2.modelLayers.filter((l) => !v1Layers.has(l.digest));
    if (added.length !== 1) throw new Error(`internal: version 2 should differ by one layer, differs by ${added.length}`);
    const changedLayer = { ...added[0], file: path.join(blobsDir, added[0].digest.slice("sha256:".length)) };
    const layouts = {
        v1: writeOciLayout(path.join(work, "layout-v1"), images.v1, "v1", blobsDir),
        v2: writeOciLayout(path.join(work, "layout-v2"), images.v2, "v2", blobsDir),
    };
    const floorFile = path.join(work, "floor.blob");
    const floorBlob = { ...(await writeFloorBlob(floorFile, images.v1, blobsDir)), file: floorFile };
    return { images, layouts, blobsDir, changedLayer, floorBlob };
}

async function writeStream(file: string, chunks: AsyncIterable<Buffer>): Promise<void> {
    const out = fs.createWriteStream(file);
    try {
        for await (const chunk of chunks) if (!out.write(chunk)) await once(out, "drain");
    } finally {
        await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    }
}

async function fetchBlob(registry: string, repository: string, digest: string): Promise<Buffer> {
    const res = await fetch(`http://${registry}/v2/${repository}/blobs/${digest}`);
    if (res.status !== 200) throw new Error(`GET of blob ${digest} from ${registry}/${repository} answered ${res.status}`);
    const body = Buffer.from(await res.arrayBuffer());
    if ("sha256:" + createHash("sha256").update(body).digest("hex") !== digest) throw new Error(`blob ${digest} from ${registry}/${repository} hashes otherwise`);
    return body;
}

/** An OCI layout holding `image` under the ref name `tag`; layer blobs hard-linked from blobsDir, so nothing is copied. */
function writeOciLayout(dir: string, image: ComposedModelImage, tag: string, blobsDir: string): string {
    const blobs = path.join(dir, "blobs", "sha256");
    fs.mkdirSync(blobs, { recursive: true });
    for (const blob of image.blobs) {
        const hex = blob.descriptor.digest.slice("sha256:".length);
        if (blob.origin.kind === "bytes") fs.writeFileSync(path.join(blobs, hex), blob.origin.bytes);
        else fs.linkSync(path.join(blobsDir, hex), path.join(blobs, hex));
    }
    fs.writeFileSync(path.join(blobs, image.digest.slice("sha256:".length)), image.manifestBytes);
    fs.writeFileSync(path.join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    const entry = { mediaType: image.mediaType, digest: image.digest, size: image.manifestBytes.length, annotations: { "org.opencontainers.image.ref.name": tag } };
    fs.writeFileSync(path.join(dir, "index.json"), JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.OCI_INDEX, manifests: [entry] }));
    return dir;
}

/** The model layers of version 1 concatenated into one file (the floor's single blob); returns its digest. */
async function writeFloorBlob(file: string, image: ComposedModelImage, blobsDir: string): Promise<{ digest: string; size: number }> {
    const hash = createHash("sha256");
    let size = 0;
    async function* concatenated(): AsyncGenerator<Buffer> {
        for (const layer of image.modelLayers) {
            for await (const chunk of fs.createReadStream(path.join(blobsDir, layer.digest.slice("sha256:".length)), { highWaterMark: 4 * MiB })) {
                hash.update(chunk as Buffer);
                size += (chunk as Buffer).length;
                yield chunk as Buffer;
            }
        }
    }
    await writeStream(file, concatenated());
    return { digest: "sha256:" + hash.digest("hex"), size };
}

// ---- checks against the registry -------------------------------------------------------------

async function manifestDigest(registry: string, repository: string, tag: string): Promise<string | undefined> {
    const res = await fetch(`http://${registry}/v2/${repository}/manifests/${tag}`, {
        method: "HEAD",
        headers: { Accept: [mediaTypes.OCI_MANIFEST, mediaTypes.DOCKER_MANIFEST].join(", ") },
    });
    return res.status === 200 ? (res.headers.get("docker-content-digest") ?? undefined) : undefined;
}

async function expectManifest(tool: string, registry: string, repository: string, tag: string, digest?: string): Promise<void> {
    const stored = await manifestDigest(registry, repository, tag);
    if (!stored) throw new Error(`${tool}: ${registry}/${repository}:${tag} is not in the registry after the push`);
    if (digest && stored !== digest) throw new Error(`${tool}: ${registry}/${repository}:${tag} is ${stored}, expected modelship's image ${digest}`);
}

async function expectBlob(tool: string, registry: string, repository: string, digest: string): Promise<void> {
    const res = await fetch(`http://${registry}/v2/${repository}/blobs/${digest}`, { method: "HEAD" });
    if (res.status !== 200) throw new Error(`${tool}: blob ${digest} is not in ${registry}/${repository} after the upload (HEAD ${res.status})`);
}

// ---- measurements ----------------------------------------------------------------------------

type CaseName = "first push" | "version 2" | "unchanged";

interface Row {
    size: string;
    case: CaseName;
    tool: string;
    /** modelship's whole run, its push phase only, or its digest phase only; peers are always "run". */
    part: "run" | "push" | "digest";
    seconds: number;
    /** Bytes the throughput is computed from (the model for a first push); undefined: no throughput. */
    payloadBytes?: number;
    /** Bytes the registry read from its sockets during the run. */
    received: number;
    maxRssMiB: number;
    /** CPU seconds of the tool's process (undefined for modelship's push or digest part alone). */
    cpuSeconds?: number;
    /** CPU seconds the registry used during the run. */
    registryCpuSeconds: number;
    round: number;
    note?: string;
}

interface Context {
    registry: BenchRegistry;
    work: string;
    timeoutSeconds: number;
    rows: Row[];
    size: string;
    round: number;
}

async function measure(ctx: Context, label: string, command: string[], cwd?: string): Promise<MeasuredRun & { received: number; registryCpuSeconds: number }> {
    const before = ctx.registry.bytesRead();
    const cpuBefore = ctx.registry.cpuSeconds();
    const run = await runMeasured(label, command, { cwd, timeoutSeconds: ctx.timeoutSeconds, scratchDir: ctx.work });
    const received = ctx.registry.bytesRead() - before;
    const registryCpuSeconds = ctx.registry.cpuSeconds() - cpuBefore;
    console.log(
        `  ${label}: ${run.seconds.toFixed(2)} s, registry received ${formatBytes(received)}, CPU ${run.cpuSeconds.toFixed(2)} s + registry ${registryCpuSeconds.toFixed(2)} s, peak RSS ${run.maxRssMiB.toFixed(0)} MiB`,
    );
    return { ...run, received, registryCpuSeconds };
}

function formatBytes(n: number): string {
    if (n >= GiB) return `${(n / GiB).toFixed(2)} GiB`;
    if (n >= MiB) return `${(n / MiB).toFixed(1)} MiB`;
    if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
    return `${n} B`;
}

/** Empties the registry and seeds the base image again (reproducible: the same digest every time). */
async function freshRegistry(registry: BenchRegistry, baseImage: string): Promise<void> {
    await registry.reset();
    const seeded = await publishBusyboxBase({ registry: registry.host, repository: BASE_REPOSITORY, connection: { plainHttp: true } });
    if (seeded !== baseImage) throw new Error(`internal: the busybox base image came out as ${seeded}, not ${baseImage}`);
}

interface SizeSetup {
    gib: number;
    model: Model;
    prepared: PreparedImages;
    baseImage: string;
    modelshipJs: string;
    concurrency: number;
}

async function benchModelship(ctx: Context, s: SizeSetup): Promise<void> {
    const repository = `bench/modelship-${s.gib}g`;
    // A fresh stat cache each round: every round's first push reads every byte.
    const cacheDir = path.join(ctx.work, `modelship-cache-${s.gib}g-${ctx.round}`);
    const run = async (label: string, caseName: CaseName, version: Version, payloadBytes?: number): Promise<RunResult> => {
        const opts: RunOptions = {
            modelDir: s.model.dir,
            baseImage: s.baseImage,
            registry: ctx.registry.host,
            repository,
            version,
            tag: version,
            cacheDir,
            concurrency: s.concurrency,
        };
        const m = await measure(ctx, label, [process.execPath, s.modelshipJs, JSON.stringify(opts)]);
        const r = JSON.parse(m.stdout.trim().split("\n").pop()!) as RunResult;
        await expectManifest("modelship", ctx.registry.host, repository, version, s.prepared.images[version].digest);
        if (r.digest !== s.prepared.images[version].digest)
            throw new Error(`modelship pushed ${r.digest}, the same tree composed in the bench gives ${s.prepared.images[version].digest}`);
        console.log(
            `    digest ${r.composeSeconds.toFixed(2)} s (${r.layersFromStatCache}/${r.layers} layers from the stat cache), push ${r.pushSeconds.toFixed(2)} s, ${formatBytes(r.bytesUploaded)} in ${r.blobsUploaded} blob(s), ${r.blobsMounted} mounted`,
        );
        const common = {
            size: ctx.size,
            case: caseName,
            tool: "modelship",
            received: m.received,
            maxRssMiB: m.maxRssMiB,
            registryCpuSeconds: m.registryCpuSeconds,
            round: ctx.round,
        };
        if (caseName === "unchanged") {
            const note = r.bytesUploaded === 0 ? "0 blob bytes sent" : `UNEXPECTED: ${r.bytesUploaded} blob bytes sent`;
            ctx.rows.push({ ...common, part: "digest", seconds: r.composeSeconds, note: `${note}; ${r.layersFromStatCache}/${r.layers} layers from the stat cache` });
            ctx.rows.push({ ...common, part: "run", seconds: m.seconds, cpuSeconds: m.cpuSeconds, note: "whole run: digest, HEADs, manifest PUT" });
        } else {
            ctx.rows.push({
                ...common,
                part: "run",
                seconds: m.seconds,
                cpuSeconds: m.cpuSeconds,
                payloadBytes,
                note: `digest ${r.composeSeconds.toFixed(2)} s${caseName === "version 2" ? ` (${r.layersFromStatCache}/${r.layers} layers from the stat cache)` : " (cold, every byte read)"}`,
            });
            ctx.rows.push({ ...common, part: "push", seconds: r.pushSeconds, payloadBytes, note: `${formatBytes(r.bytesUploaded)} of blobs sent` });
        }
        return r;
    };
    await freshRegistry(ctx.registry, s.baseImage);
    setModelVersion(s.model, "v1");
    await run("modelship first push", "first push", "v1", s.model.bytes);
    setModelVersion(s.model, "v2");
    await run("modelship version 2", "version 2", "v2");
    await run("modelship unchanged tree", "unchanged", "v2");
    fs.rmSync(cacheDir, { recursive: true, force: true });
}

async function benchPeer(
    ctx: Context,
    s: SizeSetup,
    tool: string,
    commandFor: (version: Version, repository: string) => { command: string[]; cwd?: string },
    expectSameImage: boolean,
): Promise<void> {
    const repository = `bench/${tool}-${s.gib}g`;
    await freshRegistry(ctx.registry, s.baseImage);
    for (const version of ["v1", "v2"] as const) {
        setModelVersion(s.model, version);
        const { command, cwd } = commandFor(version, repository);
        const m = await measure(ctx, `${tool} ${version === "v1" ? "first push" : "version 2"}`, command, cwd);
        await expectManifest(tool, ctx.registry.host, repository, version, expectSameImage ? s.prepared.images[version].digest : undefined);
        ctx.rows.push({
            size: ctx.size,
            case: version === "v1" ? "first push" : "version 2",
            tool,
            part: "run",
            seconds: m.seconds,
            cpuSeconds: m.cpuSeconds,
            payloadBytes: version === "v1" ? s.model.bytes : undefined,
            received: m.received,
            maxRssMiB: m.maxRssMiB,
            registryCpuSeconds: m.registryCpuSeconds,
            round: ctx.round,
        });
    }
}

// The floor: POST opens an upload session, one PUT ?digest= streams the file and commits it.
const CURL_UPLOAD_SH = `set -e
loc=$(curl -sSf -D - -o /dev/null -X POST "http://$1/v2/$2/blobs/uploads/" | tr -d '\\r' | sed -n 's/^[Ll]ocation: *//p')
case "$loc" in http*) ;; *) loc="http://$1$loc" ;; esac
case "$loc" in *\\?*) url="$loc&digest=$3" ;; *) url="$loc?digest=$3" ;; esac
curl -sSf -o /dev/null -T "$4" -H "Content-Type: application/octet-stream" -H "Expect:" "$url"`;

async function benchFloor(ctx: Context, s: SizeSetup): Promise<void> {
    const repository = `bench/curl-${s.gib}g`;
    const floor = s.prepared.floorBlob;
    await ctx.registry.reset();
    const cases = [
        {
            case: "first push" as const,
            file: floor.file,
            digest: floor.digest,
            payloadBytes: s.model.bytes,
            note: `one ${formatBytes(floor.size)} blob: the model layers concatenated`,
        },
        {
            case: "version 2" as const,
            file: s.prepared.changedLayer.file,
            digest: s.prepared.changedLayer.digest,
            payloadBytes: undefined,
            note: `one ${formatBytes(s.prepared.changedLayer.size)} blob: the changed layer`,
        },
    ];
    for (const c of cases) {
        const m = await measure(ctx, `curl floor ${c.case}`, ["sh", "-c", CURL_UPLOAD_SH, "sh", ctx.registry.host, repository, c.digest, c.file]);
        await expectBlob("curl", ctx.registry.host, repository, c.digest);
        ctx.rows.push({
            size: ctx.size,
            case: c.case,
            tool: "curl (floor)",
            part: "run",
            seconds: m.seconds,
            cpuSeconds: m.cpuSeconds,
            payloadBytes: c.payloadBytes,
            received: m.received,
            maxRssMiB: m.maxRssMiB,
            registryCpuSeconds: m.registryCpuSeconds,
            round: ctx.round,
            note: c.note,
        });
    }
}

/** bench/modelship-run.ts compiled to plain JS, so the measured process holds the engine and not the TypeScript compiler. */
function compileModelshipRun(outDir: string): string {
    const tsc = require.resolve("typescript/bin/tsc");
    const args = [
        "--outDir",
        outDir,
        "--rootDir",
        REPO_ROOT,
        "--module",
        "commonjs",
        "--target",
        "es2022",
        "--moduleResolution",
        "node",
        "--esModuleInterop",
        "--skipLibCheck",
        "--strict",
        "--types",
        "node",
    ];
    const res = spawnSync(process.execPath, [tsc, ...args, path.join(__dirname, "modelship-run.ts")], { encoding: "utf8", cwd: REPO_ROOT });
    if (res.status !== 0) throw new Error(`compiling bench/modelship-run.ts failed: ${res.stdout}${res.stderr}`);
    return path.join(outDir, "bench", "modelship-run.js");
}

function toolVersion(command: string[]): string {
    const res = spawnSync(command[0], command.slice(1), { encoding: "utf8" });
    return `${res.stdout}${res.stderr}`.trim().split("\n")[0];
}

// ---- report ----------------------------------------------------------------------------------

/** One row per size, case, tool and part: the run of the median round, with the range over all rounds. */
interface Summary extends Row {
    min: number;
    max: number;
    rounds: number;
}

function summarize(rows: Row[]): Summary[] {
    const groups = new Map<string, Row[]>();
    for (const r of rows) {
        const key = [r.size, r.case, r.tool, r.part].join("|");
        groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    return [...groups.values()].map((group) => {
        const sorted = [...group].sort((a, b) => a.seconds - b.seconds);
        return { ...sorted[Math.floor((sorted.length - 1) / 2)], min: sorted[0].seconds, max: sorted[sorted.length - 1].seconds, rounds: group.length };
    });
}

function markdownTable(rows: Row[], cores: number): string {
    const summaries = summarize(rows);
    const rounds = Math.max(...summaries.map((r) => r.rounds));
    const lines = [
        `| size | case | tool | s (median of ${rounds}) | range s | MiB/s | registry received | CPU s (tool + registry) | CPU floor s | peak RSS (MiB) | modelship ÷ tool | modelship push ÷ tool | tool ÷ floor | note |`,
        "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ];
    const sizes = [...new Set(summaries.map((r) => r.size))];
    const cases: CaseName[] = ["first push", "version 2", "unchanged"];
    const ordered = summaries
        .map((r, i) => ({ r, i }))
        .sort((a, b) => sizes.indexOf(a.r.size) - sizes.indexOf(b.r.size) || cases.indexOf(a.r.case) - cases.indexOf(b.r.case) || a.i - b.i)
        .map(({ r }) => r);
    const secs = (n: number) => n.toFixed(n < 10 ? 3 : 2);
    for (const r of ordered) {
        const group = summaries.filter((o) => o.size === r.size && o.case === r.case);
        const ms = group.find((o) => o.tool === "modelship" && o.part === "run");
        const msPush = group.find((o) => o.tool === "modelship" && o.part === "push");
        const floor = group.find((o) => o.tool === "curl (floor)");
        const ratio = (a?: Row, b?: Row) => (a && b && r.case !== "unchanged" && r.part === "run" ? (a.seconds / b.seconds).toFixed(2) : "—");
        const label = r.tool === "modelship" && r.part !== "run" ? `modelship (${r.part} only)` : r.tool;
        const cpu = r.cpuSeconds === undefined ? "—" : `${r.cpuSeconds.toFixed(2)} + ${r.registryCpuSeconds.toFixed(2)}`;
        const cpuFloor = r.cpuSeconds === undefined ? "—" : secs((r.cpuSeconds + r.registryCpuSeconds) / cores);
        const cells = [
            r.size,
            r.case,
            label,
            secs(r.seconds),
            r.rounds > 1 ? `${secs(r.min)}–${secs(r.max)}` : "—",
            r.payloadBytes ? (r.payloadBytes / MiB / r.seconds).toFixed(0) : "—",
            formatBytes(r.received),
            cpu,
            cpuFloor,
            r.maxRssMiB.toFixed(0),
            r.tool === "modelship" ? "—" : ratio(ms, r),
            r.tool === "modelship" ? "—" : ratio(msPush, r),
            r.part === "push" && floor ? (r.seconds / floor.seconds).toFixed(2) : ratio(r, floor),
            r.note ?? "",
        ];
        lines.push(`| ${cells.join(" | ")} |`);
    }
    return lines.join("\n");
}

// ---- main ------------------------------------------------------------------------------------

async function main(): Promise<void> {
    const knobs = readKnobs();
    const tools = Object.fromEntries(["/usr/bin/docker-registry", "/bin/busybox", "skopeo", "oras", "crane", "curl", "python3"].map((t) => [t, requireToolOrExit(t)]));
    const work = fs.mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), "modelship-bench-"));
    const cleanUp = () => fs.rmSync(work, { recursive: true, force: true });
    const onSignal = (signal: NodeJS.Signals) => {
        cleanUp();
        console.error(`bench: ${signal}, temporary files removed`);
        process.exit(130); // support.ts kills the registry and the running tool on exit
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    let registry: BenchRegistry | undefined;
    const rows: Row[] = [];
    try {
        console.log(`bench: work directory ${work}`);
        const modelshipJs = compileModelshipRun(path.join(work, "js"));
        registry = await startRegistry(path.join(work, "registry"));
        const baseImage = await publishBusyboxBase({ registry: registry.host, repository: BASE_REPOSITORY, connection: { plainHttp: true } });
        const noop = await runMeasured("no-op", ["/bin/true"], { timeoutSeconds: 60, scratchDir: work });
        const nodeBaseline = await runMeasured("node baseline", [process.execPath, "-e", "0"], { timeoutSeconds: 60, scratchDir: work });
        for (const gib of knobs.sizesGiB) {
            const shardBytes = Math.round(gib * GiB);
            const size = `${gib} GiB`;
            const ctx: Context = { registry, work, rows, size, round: 0, timeoutSeconds: Math.ceil(300 + 600 * gib) };
            console.log(`\n== ${size}: ${knobs.files} shards of random bytes (one of 10 MiB) + config.json`);
            const model = generateModel(path.join(work, "model"), shardBytes, knobs.files);
            console.log(`== ${size}: layer tars and OCI layouts of versions 1 and 2 (untimed)`);
            await freshRegistry(registry, baseImage); // the previous size's last tool left it emptied of the base
            const prepared = await prepareImages(model, work, registry.host, baseImage);
            const setup: SizeSetup = { gib, model, prepared, baseImage, modelshipJs, concurrency: knobs.concurrency };
            const host = registry.host;
            const contenders: Array<{ name: string; run: (ctx: Context) => Promise<void> }> = [
                { name: "modelship", run: (c) => benchModelship(c, setup) },
                {
                    name: "skopeo",
                    run: (c) =>
                        benchPeer(
                            c,
                            setup,
                            "skopeo",
                            (version, repository) => ({
                                command: [
                                    tools.skopeo,
                                    "copy",
                                    "--quiet",
                                    "--preserve-digests",
                                    "--dest-tls-verify=false",
                                    `oci:${prepared.layouts[version]}:${version}`,
                                    `docker://${host}/${repository}:${version}`,
                                ],
                            }),
                            true,
                        ),
                },
                {
                    name: "crane",
                    run: (c) =>
                        benchPeer(
                            c,
                            setup,
                            "crane",
                            (version, repository) => ({ command: [tools.crane, "push", "--insecure", prepared.layouts[version], `${host}/${repository}:${version}`] }),
                            true,
                        ),
                },
                {
                    name: "oras",
                    run: (c) =>
                        benchPeer(
                            c,
                            setup,
                            "oras",
                            (version, repository) => ({
                                command: [tools.oras, "push", "--plain-http", "--concurrency", String(knobs.concurrency), `${host}/${repository}:${version}`, ...model.files],
                                cwd: model.dir,
                            }),
                            false,
                        ),
                },
                { name: "curl (floor)", run: (c) => benchFloor(c, setup) },
            ];
            for (let round = 1; round <= knobs.rounds; round++) {
                const order = contenders.map((_, i) => contenders[(i + round - 1) % contenders.length]);
                console.log(`-- ${size}, round ${round}/${knobs.rounds}: ${order.map((c) => c.name).join(", ")}`);
                for (const contender of order) await contender.run({ ...ctx, round });
            }
            for (const p of [model.dir, prepared.blobsDir, prepared.floorBlob.file, ...Object.values(prepared.layouts), path.join(work, "prepare-cache")])
                fs.rmSync(p, { recursive: true, force: true });
        }
        const cores = os.cpus().length;
        console.log(`\n## Push benchmark (${knobs.files} shards + config.json per model, concurrency ${knobs.concurrency}, ${knobs.rounds} round(s), ${cores} cores)\n`);
        console.log(markdownTable(rows, cores));
        console.log(
            [
                "",
                "- modelship ÷ tool: modelship's whole run (process start to exit, digests included) over the tool's; below 1 means modelship was faster. modelship push ÷ tool: its push phase only (digests already known, as they are in the OCI layout skopeo and crane read, and as they are at `pulumi up` after the preview computed them).",
                `- s: the median round's wall time; range: the fastest and slowest round. Each round runs every tool once, the order rotated by one each round.`,
                `- CPU s: user + system seconds of the tool's process, and of the registry during the same run. CPU floor: their sum over the ${cores} cores, the least wall time the run could take with the registry on the same machine.`,
                "- tool ÷ floor: over one curl upload of the same bytes as a single blob (first push: the model layers concatenated; version 2: the changed layer).",
                "- registry received: bytes the registry read from its sockets during the run (/proc/<pid>/io rchar), headers included.",
                noop.rssSource === "gnu-time"
                    ? `- peak RSS: each command's own, read by ${GNU_TIME} (%M) inside the python3 wrapper (getrusage in python alone reads no less than python's ~14 MiB); /bin/true reads ${noop.maxRssMiB.toFixed(1)} MiB, node -e 0 ${nodeBaseline.maxRssMiB.toFixed(0)} MiB.`
                    : `- peak RSS: getrusage(RUSAGE_CHILDREN) in the python3 wrapper (${GNU_TIME} is not installed): it reads no less than the wrapper's own ${noop.maxRssMiB.toFixed(0)} MiB (what /bin/true reads); node -e 0 reads ${nodeBaseline.maxRssMiB.toFixed(0)} MiB.`,
                "- The registry's storage is emptied and the busybox base re-seeded before each tool; skopeo and crane also upload the base layer (modelship mounts it).",
                `- oras ${toolVersion([tools.oras, "version"]).replace(/^Version:\s*/, "")}; crane ${toolVersion([tools.crane, "version"])}; ${toolVersion([tools.skopeo, "--version"])}; ${toolVersion([tools.curl, "--version"]).split(" ").slice(0, 2).join(" ")}; ${toolVersion([tools["/usr/bin/docker-registry"], "--version"])}.`,
            ].join("\n"),
        );
    } finally {
        if (registry) await registry.stop();
        cleanUp();
        process.removeListener("SIGINT", onSignal);
        process.removeListener("SIGTERM", onSignal);
    }
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
