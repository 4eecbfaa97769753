// `npm run bench`: package and push generated models (1 GiB and 4 GiB by default; BENCH_SIZES_GIB
// to change) to a local registry with modelship, with `skopeo copy` of the same layer, and with a
// plain `curl` upload of the same bytes as one blob (the floor for that registry). Everything lives
// in a temporary directory that is deleted at the end.
import { execFileSync, spawnSync } from "child_process";
import { once } from "events";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { canonicalJson, describeBytes } from "../components/oci/digest";
import { OCI_CONFIG, OCI_LAYER_TAR } from "../components/oci/compose";
import { OCI_MANIFEST } from "../components/oci/registry";
import { directoryLayer } from "../components/oci/layer";
import { planTar, streamTar } from "../components/oci/tar";
import { requireToolOrExit, seedBusyboxBase, startRegistry } from "./support";

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

function generateModel(dir: string, totalBytes: number, files: number): void {
    fs.mkdirSync(dir, { recursive: true });
    const chunk = Buffer.allocUnsafe(16 * MiB);
    const perFile = Math.floor(totalBytes / files);
    for (let i = 0; i < files; i++) {
        const fd = fs.openSync(path.join(dir, `shard-${String(i).padStart(3, "0")}.safetensors`), "w");
        let left = i === files - 1 ? totalBytes - perFile * (files - 1) : perFile;
        while (left > 0) {
            const n = Math.min(left, chunk.length);
            crypto.randomFillSync(chunk, 0, n);
            fs.writeSync(fd, chunk, 0, n);
            left -= n;
        }
        fs.closeSync(fd);
    }
    fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify({ model_type: "bench", size: totalBytes }));
}

function runModelship(mode: "push" | "digest", modelDir: string, baseImage: string, registry: string, repository: string, env: NodeJS.ProcessEnv) {
    const res = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, "modelship-run.ts"), mode, modelDir, baseImage, registry, repository], {
        encoding: "utf8",
        env,
        cwd: path.join(__dirname, ".."),
        maxBuffer: 1 << 20,
    });
    if (res.status !== 0) throw new Error(`modelship ${mode} failed: ${res.stderr}`);
    return JSON.parse(res.stdout.trim().split("\n").pop()!) as { digest: string; layerSize: number; composeSeconds: number; pushSeconds: number; bytesUploaded: number; maxRssMiB: number; fromCache: boolean };
}

function timed<T>(fn: () => T): { seconds: number; value: T } {
    const t0 = process.hrtime.bigint();
    const value = fn();
    return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, value };
}

async function writeTar(modelDir: string, file: string, cacheDir: string): Promise<{ digest: string; size: number }> {
    const layer = await directoryLayer(modelDir, { prefix: "models", cacheDir });
    const plan = planTar(layer.plan.entries);
    const out = fs.createWriteStream(file);
    for await (const chunk of streamTar(plan)) if (!out.write(chunk)) await once(out, "drain");
    await new Promise<void>((resolve) => out.end(() => resolve()));
    return { digest: layer.digest, size: layer.size };
}

/** An OCI layout holding one image whose only layer is the model tar (hard-linked, not copied). */
function writeOciLayout(dir: string, tarFile: string, layer: { digest: string; size: number }): void {
    const blobs = path.join(dir, "blobs", "sha256");
    fs.mkdirSync(blobs, { recursive: true });
    fs.linkSync(tarFile, path.join(blobs, layer.digest.slice(7)));
    const config = Buffer.from(canonicalJson({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [layer.digest] } }));
    const configD = describeBytes(OCI_CONFIG, config);
    fs.writeFileSync(path.join(blobs, configD.digest.slice(7)), config);
    const manifest = Buffer.from(canonicalJson({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: configD, layers: [{ mediaType: OCI_LAYER_TAR, ...layer }] }));
    const manifestD = describeBytes(OCI_MANIFEST, manifest);
    fs.writeFileSync(path.join(blobs, manifestD.digest.slice(7)), manifest);
    fs.writeFileSync(path.join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    fs.writeFileSync(path.join(dir, "index.json"), JSON.stringify({ schemaVersion: 2, manifests: [{ ...manifestD, annotations: { "org.opencontainers.image.ref.name": "bench" } }] }));
}

function curlUpload(registry: string, repository: string, tarFile: string, digest: string): void {
    const headers = execFileSync("curl", ["-sS", "-D", "-", "-o", "/dev/null", "-X", "POST", `http://${registry}/v2/${repository}/blobs/uploads/`], { encoding: "utf8" });
    const location = /^location:\s*(\S+)/im.exec(headers)?.[1];
    if (!location) throw new Error(`no upload location from registry: ${headers}`);
    const url = new URL(location, `http://${registry}`);
    url.searchParams.set("digest", digest);
    const code = execFileSync("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-T", tarFile, "-H", "Content-Type: application/octet-stream", url.toString()], { encoding: "utf8" });
    if (code !== "201") throw new Error(`curl upload answered ${code}`);
}

async function main(): Promise<void> {
    for (const tool of ["/usr/bin/docker-registry", "skopeo", "curl", "/bin/busybox"]) requireToolOrExit(tool);
    const sizes = (process.env.BENCH_SIZES_GIB ?? "1,4").split(",").map(Number);
    const work = fs.mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), "modelship-bench-"));
    const registry = await startRegistry({ storageDir: path.join(work, "registry") });
    const rows: string[] = [];
    try {
        const baseImage = await seedBusyboxBase(registry.host);
        const env = { ...process.env, MODELSHIP_CACHE: path.join(work, "cache") };
        for (const gib of sizes) {
            const bytes = Math.round(gib * GiB);
            const modelDir = path.join(work, `model-${gib}g`);
            console.log(`\n== ${gib} GiB: generating ${Math.max(4, Math.ceil(gib * 2))} files of random bytes`);
            generateModel(modelDir, bytes, Math.max(4, Math.ceil(gib * 2)));

            const ms = runModelship("push", modelDir, baseImage, registry.host, `bench/ms-${gib}g`, env);
            console.log(`modelship: digest ${ms.composeSeconds.toFixed(2)} s (cold, every byte read), push ${ms.pushSeconds.toFixed(2)} s, peak RSS ${ms.maxRssMiB.toFixed(0)} MiB`);
            const again = runModelship("push", modelDir, baseImage, registry.host, `bench/ms-${gib}g`, env);
            const unchanged = runModelship("digest", modelDir, baseImage, registry.host, `bench/ms-${gib}g`, env);
            if (unchanged.digest !== ms.digest || again.digest !== ms.digest) throw new Error(`digest changed between runs of the same tree`);
            console.log(`modelship: re-push uploaded ${again.bytesUploaded} bytes; unchanged-tree digest ${unchanged.composeSeconds.toFixed(3)} s (stat cache: ${unchanged.fromCache})`);

            const tarFile = path.join(work, `layer-${gib}g.tar`);
            const layer = await writeTar(modelDir, tarFile, path.join(work, "cache"));
            const layout = path.join(work, `layout-${gib}g`);
            writeOciLayout(layout, tarFile, layer);
            const skopeo = timed(() => execFileSync("skopeo", ["copy", "--dest-tls-verify=false", `oci:${layout}:bench`, `docker://${registry.host}/bench/skopeo-${gib}g:bench`], { stdio: "ignore" }));
            const curl = timed(() => curlUpload(registry.host, `bench/curl-${gib}g`, tarFile, layer.digest));
            const skopeoManifest = JSON.parse(execFileSync("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${registry.host}/bench/skopeo-${gib}g:bench`], { encoding: "utf8" }));
            const skopeoLayerType = skopeoManifest.layers[0].mediaType;

            const rate = (s: number) => (ms.layerSize / MiB / s).toFixed(0);
            const total = ms.composeSeconds + ms.pushSeconds;
            const row = [
                `${gib} GiB`,
                `modelship push ${ms.pushSeconds.toFixed(2)} s (${rate(ms.pushSeconds)} MiB/s)`,
                `modelship digest+push ${total.toFixed(2)} s (${rate(total)} MiB/s)`,
                `skopeo copy ${skopeo.seconds.toFixed(2)} s (${rate(skopeo.seconds)} MiB/s, layer ${skopeoLayerType})`,
                `curl floor ${curl.seconds.toFixed(2)} s (${rate(curl.seconds)} MiB/s)`,
                `modelship/skopeo time ${(ms.pushSeconds / skopeo.seconds).toFixed(2)}x (with digest ${(total / skopeo.seconds).toFixed(2)}x)`,
                `modelship/floor time ${(ms.pushSeconds / curl.seconds).toFixed(2)}x (with digest ${(total / curl.seconds).toFixed(2)}x)`,
                `peak RSS ${ms.maxRssMiB.toFixed(0)} MiB`,
                `unchanged-tree digest ${unchanged.composeSeconds.toFixed(3)} s`,
            ];
            rows.push(row.join("\n  "));
            console.log(row.join("\n  "));
            for (const p of [modelDir, tarFile, layout]) fs.rmSync(p, { recursive: true, force: true });
        }
    } finally {
        await registry.stop();
        fs.rmSync(work, { recursive: true, force: true });
    }
    console.log(`\n== summary\n${rows.join("\n")}`);
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
