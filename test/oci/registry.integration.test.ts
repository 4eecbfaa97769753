// Integration: a real registry (Debian's docker-registry) and skopeo as the independent reader.
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { composeManifestBundle, composeModelImage, parseImageReference, pushArtifact, publishRecipe, RegistryClient } from "../../components/oci";
import { ArtifactRecipe } from "../../components/oci/recipe";
import { renderManifestFiles } from "../../components/release/manifest-files";
import { explainRegistryError } from "../../components/release/registry-hints";
import { RegistryError } from "../../components/oci/errors";
import { LocalRegistry, requireTool, seedBusyboxBase, startRegistry } from "../support/registry";
import { startFaultProxy } from "./fault-proxy";
import { craneBinary, expectRejection, orasBinary } from "./helpers";

function skopeo(...args: string[]): string {
    return execFileSync("skopeo", args, { encoding: "utf8", timeout: 60_000 });
}

function writeModel(dir: string, files: Record<string, number>, seed = 1): void {
    fs.mkdirSync(dir, { recursive: true });
    for (const [name, size] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        // Deterministic pseudo-random content: same seed, same bytes.
        const out = Buffer.alloc(size);
        let block = crypto.createHash("sha256").update(`${seed}:${name}`).digest();
        for (let i = 0; i < size; i += 32) {
            block.copy(out, i, 0, Math.min(32, size - i));
            block = crypto.createHash("sha256").update(block).digest();
        }
        fs.writeFileSync(path.join(dir, name), out);
    }
}

describe("oci: against a real registry (docker-registry + skopeo)", function () {
    this.timeout(120_000);
    let registry: LocalRegistry;
    let baseImage: string;
    let tmp: string;
    let cacheDir: string;
    const conn = { plainHttp: true, retryBaseMs: 50 };

    before(async function () {
        requireTool(this, "/usr/bin/docker-registry");
        requireTool(this, "skopeo");
        requireTool(this, "/bin/busybox");
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "modelship-it-"));
        cacheDir = path.join(tmp, "cache");
        registry = await startRegistry();
        baseImage = await seedBusyboxBase(registry.host);
    });
    after(async () => {
        await registry?.stop();
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    const compose = (modelDir: string, extra: Partial<Parameters<typeof composeModelImage>[0]> = {}) =>
        composeModelImage({
            modelDir,
            modelName: "iris",
            version: "v1",
            baseImage,
            registry: registry.host,
            repository: "models/iris",
            connection: conn,
            provenance: { sourceRevision: "abc123", sourceRepository: "https://example.com/ml.git", trainingRunId: "run-7" },
            cacheDir,
            ...extra,
        });

    it("pushes a modelcar image that skopeo reads with the digest computed before the push", async () => {
        const dir = path.join(tmp, "model-a");
        writeModel(dir, { "model.joblib": 300_000, "meta/config.json": 500 });
        const image = await compose(dir);
        expect(image.reference).to.equal(`${registry.host}/models/iris@${image.digest}`);
        const result = await pushArtifact(image, { connection: conn, tag: "v1", cacheDir });
        expect(result.digest).to.equal(image.digest);
        expect(result.blobsMounted).to.equal(1); // busybox layer mounted from library/busybox

        const inspected = JSON.parse(skopeo("inspect", "--tls-verify=false", `docker://${image.reference}`));
        expect(inspected.Digest).to.equal(image.digest);
        expect(inspected.Labels["org.opencontainers.image.revision"]).to.equal("abc123");
        expect(inspected.Labels["dev.modelship.provenance.trainingRunId"]).to.equal("run-7");
        const byTag = JSON.parse(skopeo("inspect", "--tls-verify=false", `docker://${registry.host}/models/iris:v1`));
        expect(byTag.Digest).to.equal(image.digest);

        const config = JSON.parse(skopeo("inspect", "--tls-verify=false", "--config", `docker://${image.reference}`));
        expect(config.rootfs.diff_ids).to.have.length(2);
        expect(config.rootfs.diff_ids[1]).to.equal(image.modelLayers[0].digest);
        expect(config.history).to.have.length(2);

        // skopeo copy verifies every blob against its digest; the model is under /models, world-readable.
        const layout = path.join(tmp, "layout");
        skopeo("copy", "--preserve-digests", "--src-tls-verify=false", `docker://${image.reference}`, `oci:${layout}:copy`);
        const index = JSON.parse(fs.readFileSync(path.join(layout, "index.json"), "utf8"));
        expect(index.manifests[0].digest).to.equal(image.digest);
        const modelLayerFile = path.join(layout, "blobs", "sha256", image.modelLayers[0].digest.slice(7));
        const listing = execFileSync("tar", ["-tvf", modelLayerFile], { encoding: "utf8" });
        expect(listing).to.match(/^-rw-r--r-- 0\/0 +300000 .* models\/model\.joblib$/m);
        expect(listing).to.match(/^drwxr-xr-x 0\/0 .* models\/meta\/$/m);
    });

    it("one layer per model file ≥ 1 MiB (ModelPack filepath annotation), a shared layer for the rest; the image unpacks (umoci) into a tree whose busybox runs KServe's modelcar commands; crane reads it", async function () {
        requireTool(this, "umoci");
        const dir = path.join(tmp, "per-file");
        writeModel(dir, {
            "weights/model-00001.safetensors": 3 * 1024 * 1024,
            "weights/model-00002.safetensors": 2 * 1024 * 1024,
            "config.json": 300,
            "tokenizer/vocab.txt": 5000,
        });
        const image = await compose(dir, { repository: "models/per-file" });
        expect(image.modelLayers.map((l) => l.filePath ?? "(shared)")).to.deep.equal(["(shared)", "weights/model-00001.safetensors", "weights/model-00002.safetensors"]);
        expect(image.modelLayers[0].files).to.equal(2);
        const manifestLayers = (image.manifest.layers as Array<{ annotations?: Record<string, string> }>).slice(-2);
        expect(manifestLayers.map((l) => l.annotations?.["org.cncf.model.filepath"])).to.deep.equal(["weights/model-00001.safetensors", "weights/model-00002.safetensors"]);
        await pushArtifact(image, { connection: conn, cacheDir, tag: "v1" });

        // crane reads what was pushed: the tag's digest, the config, and the filesystem of all layers
        // stacked (export). (`crane validate --remote` assumes gzip layers and cannot check uncompressed ones.)
        const crane = (...args: string[]) => execFileSync(craneBinary(), args, { encoding: "utf8", timeout: 60_000 });
        expect(crane("digest", "--insecure", `${registry.host}/models/per-file:v1`).trim()).to.equal(image.digest);
        expect(JSON.parse(crane("config", "--insecure", image.reference)).rootfs.diff_ids).to.have.length(4);
        const exported = path.join(tmp, "per-file-export.tar");
        crane("export", "--insecure", image.reference, exported);
        const listing = execFileSync("tar", ["-tf", exported], { encoding: "utf8" }).split("\n");
        expect(listing).to.include.members([
            "bin/busybox",
            "models/config.json",
            "models/weights/model-00001.safetensors",
            "models/weights/model-00002.safetensors",
            "models/tokenizer/vocab.txt",
        ]);

        // KServe runs `sh -c "ln -sf /proc/$$/root/models /mnt/ && sleep infinity"` in the modelcar:
        // unpack the image as a runtime would, and run the same kind of commands in it.
        const layout = path.join(tmp, "per-file-layout");
        skopeo("copy", "--src-tls-verify=false", `docker://${image.reference}`, `oci:${layout}:v1`);
        const bundle = path.join(tmp, "per-file-bundle");
        execFileSync("umoci", ["unpack", "--rootless", "--image", `${layout}:v1`, bundle], { encoding: "utf8" });
        const rootfs = path.join(bundle, "rootfs");
        for (const f of ["weights/model-00001.safetensors", "weights/model-00002.safetensors", "config.json", "tokenizer/vocab.txt"]) {
            expect(fs.readFileSync(path.join(rootfs, "models", f)).equals(fs.readFileSync(path.join(dir, f))), f).to.equal(true);
            expect(fs.statSync(path.join(rootfs, "models", f)).mode & 0o777, `${f} readable by the modelcar uid`).to.equal(0o644);
        }
        if (process.getuid?.() === 0) {
            const run = execFileSync("chroot", [rootfs, "/bin/sh", "-c", "mkdir -p /mnt && ln -sf /models /mnt/ && ls /mnt/models/weights && sleep 0"], { encoding: "utf8" });
            expect(run.split("\n").filter(Boolean)).to.deep.equal(["model-00001.safetensors", "model-00002.safetensors"]);
        }
    });

    it("a blob another repository of the registry holds is mounted, not sent (remembered from an earlier push)", async () => {
        const dir = path.join(tmp, "mounted");
        writeModel(dir, { "w.bin": 2 * 1024 * 1024, "c.json": 100 });
        const first = await compose(dir, { repository: "team-a/iris" });
        await pushArtifact(first, { connection: conn, cacheDir });
        const second = await compose(dir, { repository: "team-b/iris" });
        const pushed = await pushArtifact(second, { connection: conn, cacheDir });
        // Every blob (config, base layer, the two model layers) is mounted from team-a: nothing is sent.
        expect(pushed.blobsMounted).to.equal(second.blobs.length);
        expect(pushed.blobsUploaded).to.equal(0);
        expect(pushed.bytesUploaded).to.equal(0);
    });

    it("gives the same digest for two builds of the same tree; the second push uploads 0 bytes", async () => {
        const first = path.join(tmp, "same-1");
        const second = path.join(tmp, "same-2");
        writeModel(first, { "w.bin": 200_000, "tok.json": 100 });
        writeModel(second, { "w.bin": 200_000, "tok.json": 100 });
        const a = await compose(first, { repository: "models/same" });
        const b = await compose(second, { repository: "models/same", noStatCache: true });
        expect(b.digest).to.equal(a.digest);
        const pushedA = await pushArtifact(a, { connection: conn, cacheDir });
        expect(pushedA.bytesUploaded).to.be.greaterThan(200_000);
        const pushedB = await pushArtifact(b, { connection: conn, cacheDir });
        expect(pushedB.bytesUploaded).to.equal(0);
        expect(pushedB.blobsUploaded).to.equal(0);
    });

    it("gives a new digest when one byte changes", async () => {
        const dir = path.join(tmp, "one-byte");
        writeModel(dir, { "w.bin": 50_000 });
        const before = await compose(dir);
        const bytes = fs.readFileSync(path.join(dir, "w.bin"));
        bytes[12345] ^= 0xff;
        fs.writeFileSync(path.join(dir, "w.bin"), bytes);
        const after = await compose(dir);
        expect(after.digest).to.not.equal(before.digest);
        expect(after.modelLayers[0].digest).to.not.equal(before.modelLayers[0].digest);
    });

    it("uploads in chunks (Content-Range) when a chunk size is set, honouring OCI-Chunk-Min-Length", async () => {
        const proxy = await startFaultProxy(registry.host, { chunkMinLength: 96 * 1024 });
        try {
            const dir = path.join(tmp, "chunked");
            writeModel(dir, { "w.bin": 1_000_000 });
            const image = await compose(dir, { registry: proxy.host, repository: "models/chunked", baseConnection: conn, connection: { ...conn, chunkSize: 32 * 1024 } });
            const progress: number[] = [];
            await pushArtifact(image, {
                connection: { ...conn, chunkSize: 32 * 1024 },
                baseConnection: conn,
                cacheDir,
                tag: "v1",
                progressIntervalMs: 0,
                onProgress: (p) => progress.push(p.bytesDone),
            });
            const patches = proxy.log.filter((l) => l.startsWith("PATCH"));
            // 1 MB model layer in 96 KiB chunks (the registry's minimum beats our 32 KiB) + busybox layer chunks.
            expect(patches.length).to.be.greaterThan(10);
            expect(patches.length).to.be.lessThan(60);
            expect(progress.length).to.be.greaterThan(0);
            const inspected = JSON.parse(skopeo("inspect", "--tls-verify=false", `docker://${registry.host}/models/chunked@${image.digest}`));
            expect(inspected.Digest).to.equal(image.digest);
        } finally {
            await proxy.close();
        }
    });

    it("retries 503 and 429 answers with backoff", async () => {
        const proxy = await startFaultProxy(registry.host);
        try {
            const bundle = await composeManifestBundle({
                files: renderManifestFiles([{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "retry" }, data: { a: "1" } }]),
                registry: proxy.host,
                repository: "bundles/retry",
            });
            proxy.failNext(2, 503);
            await pushArtifact(bundle, { connection: conn });
            proxy.failNext(2, 429);
            const client = new RegistryClient(proxy.host, conn);
            try {
                expect(await client.manifestExists("bundles/retry", bundle.digest)).to.equal(true);
            } finally {
                client.close();
            }
            expect(proxy.log.length).to.be.greaterThan(6);
        } finally {
            await proxy.close();
        }
    });

    it("survives a registry stopped mid-upload: resumes within the run, or a re-run completes with no dangling manifest", async () => {
        const dir = path.join(tmp, "interrupted");
        writeModel(dir, { "a.bin": 8_000_000, "b.bin": 8_000_000 });
        const recipe = async (): Promise<ArtifactRecipe> => {
            const image = await compose(dir, { repository: "models/interrupted" });
            return {
                kind: "modelcar-image",
                registry: registry.host,
                repository: "models/interrupted",
                reference: image.reference,
                digest: image.digest,
                tag: "v1",
                modelDir: dir,
                modelName: "iris",
                version: "v1",
                baseImage,
                provenance: { sourceRevision: "abc123", sourceRepository: "https://example.com/ml.git", trainingRunId: "run-7" },
                plainHttp: true,
                chunkSize: 2 * 1024 * 1024,
            };
        };
        const r = await recipe();

        // 1. Killed and restarted while the run waits in its backoff: the same run completes.
        let killed = false;
        const run1 = publishRecipe(r, {
            cacheDir,
            progressIntervalMs: 0,
            onProgress: (p) => {
                if (!killed && p.bytesDone > 4_000_000) {
                    killed = true;
                    void registry.kill().then(() => setTimeout(() => void registry.start(), 300));
                }
            },
        });
        const done = await run1;
        expect(killed).to.equal(true);
        expect(done.digest).to.equal(r.digest);
        expect(JSON.parse(skopeo("inspect", "--tls-verify=false", `docker://${r.reference}`)).Digest).to.equal(r.digest);

        // 2. Killed and left down: the run fails; the manifest was not written; a re-run completes.
        fs.appendFileSync(path.join(dir, "b.bin"), "v2");
        const r2 = await recipe();
        expect(r2.digest).to.not.equal(r.digest);
        let killed2 = false;
        const err = await publishRecipe(
            { ...r2, chunkSize: undefined },
            {
                cacheDir,
                connection: { retryBaseMs: 50 },
                progressIntervalMs: 0,
                onProgress: (p) => {
                    if (!killed2 && p.bytesDone > 1_000) {
                        killed2 = true;
                        void registry.kill();
                    }
                },
            },
        ).then(
            () => undefined,
            (e: Error) => e,
        );
        // The stop may land after the last byte on a fast machine; then the push legitimately finished.
        if (err) expect(err.message).to.match(/unreachable|ECONNRESET|ECONNREFUSED|socket hang up/);
        await registry.start();
        const client = new RegistryClient(registry.host, conn);
        try {
            if (err) expect(await client.manifestExists("models/interrupted", r2.digest)).to.equal(false);
            const rerun = await publishRecipe(r2, { cacheDir });
            expect(rerun.digest).to.equal(r2.digest);
            const manifest = (await client.getManifest("models/interrupted", r2.digest))!;
            const parsed = JSON.parse(manifest.bytes.toString());
            for (const d of [parsed.config, ...parsed.layers]) {
                expect(await client.blobSize("models/interrupted", d.digest), d.digest).to.equal(d.size);
            }
        } finally {
            client.close();
        }
        const inspected = JSON.parse(skopeo("inspect", "--tls-verify=false", `docker://${r2.reference}`));
        expect(inspected.Digest).to.equal(r2.digest);
    });

    it("leaves a pinned digest untouched when its tag is moved elsewhere", async () => {
        const dirA = path.join(tmp, "tag-a");
        const dirB = path.join(tmp, "tag-b");
        writeModel(dirA, { "w.bin": 10_000 }, 1);
        writeModel(dirB, { "w.bin": 10_000 }, 2);
        const a = await compose(dirA, { repository: "models/tagged" });
        const b = await compose(dirB, { repository: "models/tagged" });
        await pushArtifact(a, { connection: conn, tag: "stable", cacheDir });
        await pushArtifact(b, { connection: conn, tag: "stable", cacheDir });
        expect(JSON.parse(skopeo("inspect", "--tls-verify=false", `docker://${registry.host}/models/tagged:stable`)).Digest).to.equal(b.digest);
        expect(JSON.parse(skopeo("inspect", "--tls-verify=false", `docker://${a.reference}`)).Digest).to.equal(a.digest);
    });

    it("pushes a manifest bundle whose pulled-back layer holds exactly the rendered YAML; oras pull writes the files", async function () {
        requireTool(this, "oras");
        const manifests = [
            {
                apiVersion: "serving.kserve.io/v1beta1",
                kind: "InferenceService",
                metadata: { name: "iris", namespace: "models" },
                spec: { predictor: { model: { modelFormat: { name: "sklearn" }, storageUri: "oci://x/y@sha256:" + "1".repeat(64) } } },
            },
            { apiVersion: "v1", kind: "Namespace", metadata: { name: "models" } },
        ];
        const annotations = { title: "iris", version: "v1", revision: "abc123", source: "https://example.com/ml.git" };
        const bundle = await composeManifestBundle({ files: renderManifestFiles(manifests), registry: registry.host, repository: "bundles/iris", annotations });
        const again = await composeManifestBundle({ files: renderManifestFiles([manifests[1], manifests[0]]), registry: registry.host, repository: "bundles/iris", annotations });
        expect(again.digest).to.equal(bundle.digest);
        await pushArtifact(bundle, { connection: conn, tag: "v1" });
        const raw = JSON.parse(skopeo("inspect", "--tls-verify=false", "--raw", `docker://${bundle.reference}`));
        expect(raw.layers).to.have.length(1);
        expect(raw.layers[0].mediaType).to.equal("application/vnd.oci.image.layer.v1.tar+gzip");
        expect(raw.annotations["org.opencontainers.image.revision"]).to.equal("abc123");
        const layout = path.join(tmp, "bundle-layout");
        skopeo("copy", "--preserve-digests", "--src-tls-verify=false", `docker://${bundle.reference}`, `oci:${layout}:b`);
        const out = path.join(tmp, "bundle-out");
        fs.mkdirSync(out);
        execFileSync("tar", ["-xzf", path.join(layout, "blobs", "sha256", raw.layers[0].digest.slice(7)), "-C", out]);
        expect(fs.readdirSync(out)).to.deep.equal(["manifests"]);
        expect(fs.readdirSync(path.join(out, "manifests")).sort()).to.deep.equal(Object.keys(bundle.files));
        for (const [name, text] of Object.entries(bundle.files)) expect(fs.readFileSync(path.join(out, "manifests", name), "utf8")).to.equal(text);

        // oras pull writes the YAML files (title, unpack and the uncompressed tar's digest on the layer).
        const orasOut = path.join(tmp, "bundle-oras");
        fs.mkdirSync(orasOut);
        execFileSync(orasBinary(), ["pull", "--plain-http", "-o", orasOut, bundle.reference], { encoding: "utf8" });
        expect(fs.readdirSync(path.join(orasOut, "manifests")).sort()).to.deep.equal(Object.keys(bundle.files));
        for (const [name, text] of Object.entries(bundle.files)) expect(fs.readFileSync(path.join(orasOut, "manifests", name), "utf8")).to.equal(text);
    });

    it("authenticates with Bearer tokens (credentials from Docker's config.json) and with Basic", async () => {
        const bearer = await startFaultProxy(registry.host, { auth: "bearer", username: "alice", password: "s3cret" });
        const basic = await startFaultProxy(registry.host, { auth: "basic", username: "bob", password: "hunter2" });
        try {
            const dockerConfig = path.join(tmp, "docker-config.json");
            fs.writeFileSync(dockerConfig, JSON.stringify({ auths: { [bearer.host]: { auth: Buffer.from("alice:s3cret").toString("base64") } } }));
            const bundle = await composeManifestBundle({
                files: renderManifestFiles([{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "auth" } }]),
                registry: bearer.host,
                repository: "bundles/auth",
            });
            await pushArtifact(bundle, { connection: { ...conn, dockerConfigPath: dockerConfig } });
            expect(bearer.log.some((l) => l.startsWith("GET /token?"))).to.equal(true);

            // The engine says what the registry did; the release layer adds the stack's fix.
            const rejected = await expectRejection(
                pushArtifact(bundle, { connection: { ...conn, username: "alice", password: "wrong" } }),
                /token service .* rejected the credentials of user "alice" \(401\)/,
            );
            expect((rejected as RegistryError).kind).to.equal("credentials-rejected");
            expect(explainRegistryError(rejected, { configPath: "models[0] (iris) bundle" }).message).to.match(
                /^models\[0\] \(iris\) bundle: .*password for user "alice" was rejected: set the right one with pulumi config set --secret registryPassword/,
            );

            const basicBundle = await composeManifestBundle({
                files: renderManifestFiles([{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "auth" } }]),
                registry: basic.host,
                repository: "bundles/auth",
            });
            await pushArtifact(basicBundle, { connection: { ...conn, username: "bob", password: "hunter2" } });
            const wrongBasic = await expectRejection(
                pushArtifact(basicBundle, { connection: { ...conn, username: "bob", password: "nope", dockerConfigPath: "/nonexistent" } }),
                /rejected the credentials of user "bob" \(401\)/,
            );
            expect((wrongBasic as RegistryError).kind).to.equal("credentials-rejected");
            const anonymous = await expectRejection(
                pushArtifact(basicBundle, { connection: { ...conn, dockerConfigPath: "/nonexistent" } }),
                /unauthorized \(401\), and no credentials are configured/,
            );
            expect(explainRegistryError(anonymous).message).to.match(/set modelship:registry\.username and the secret modelship:registryPassword .* or run docker login/);
        } finally {
            await bearer.close();
            await basic.close();
        }
    });

    it("gives clear messages for bad inputs: 403, 404, unpinned base, plain HTTP to a remote host, files changed since preview", async () => {
        const proxy = await startFaultProxy(registry.host, { forbiddenRepository: "locked/repo" });
        try {
            const bundle = await composeManifestBundle({
                files: renderManifestFiles([{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } }]),
                registry: proxy.host,
                repository: "locked/repo",
            });
            const denied = await expectRejection(pushArtifact(bundle, { connection: conn }), /locked\/repo: denied \(403\)/);
            expect(explainRegistryError(denied).message).to.match(/lack pull\/push rights/);
        } finally {
            await proxy.close();
        }
        const dir = path.join(tmp, "bad");
        writeModel(dir, { "w.bin": 4096 });
        const unknownBase = `${registry.host}/library/busybox@sha256:${"0".repeat(64)}`;
        await expectRejection(compose(dir, { baseImage: unknownBase }), new RegExp(`base image .*busybox@sha256:0{64} not found`));
        await expectRejection(compose(dir, { baseImage: `${registry.host}/library/busybox:seed` }), /baseImage ".*busybox:seed" must be pinned by digest/);
        expect(() => new RegistryClient("registry.example.com", { plainHttp: true })).to.throw(
            /plain HTTP is only allowed for a loopback registry \(localhost, 127\.0\.0\.0\/8, \[::1\]\) unless insecure is set/,
        );
        const client = new RegistryClient(registry.host, conn);
        try {
            await expectRejection(client.getBlob("models/iris", `sha256:${"1".repeat(64)}`), /not found \(404\)/);
        } finally {
            client.close();
        }
        expect(() => parseImageReference("UPPER/case")).to.throw(/must be lowercase/);

        // Digest computed (preview), then the model changes before up: refused by the recipe check...
        const image = await compose(dir, { repository: "models/changed" });
        const recipe: ArtifactRecipe = {
            kind: "modelcar-image",
            registry: registry.host,
            repository: "models/changed",
            reference: image.reference,
            digest: image.digest,
            modelDir: dir,
            modelName: "iris",
            version: "v1",
            baseImage,
            provenance: { sourceRevision: "abc123", sourceRepository: "https://example.com/ml.git", trainingRunId: "run-7" },
            plainHttp: true,
        };
        const bytes = fs.readFileSync(path.join(dir, "w.bin"));
        bytes[7] ^= 1;
        fs.writeFileSync(path.join(dir, "w.bin"), bytes);
        await expectRejection(publishRecipe(recipe, { cacheDir }), /model files changed since preview: .* now gives sha256:.*nothing was pushed/);
        // ...and, when they change after composing but during the push, by the streamed hash.
        await expectRejection(pushArtifact(image, { connection: conn, cacheDir }), /model files changed since the digest was computed/);
        const c2 = new RegistryClient(registry.host, conn);
        try {
            expect(await c2.manifestExists("models/changed", image.digest)).to.equal(false);
        } finally {
            c2.close();
        }
    });
});
