// Models from MLflow, against a real MLflow tracking server (SQLite backend store, local artifact
// store, artifacts served through the server's proxy, on 127.0.0.1) and a real registry:
//  - a real scikit-learn model (LogisticRegression on iris) is trained, logged with a dataset input
//    and metrics, registered as `iris` and given the alias `champion` by test/fixtures/mlflow;
//  - `models:/iris@champion` resolves to version 1 with its run as provenance, downloads into the
//    content-addressed cache, and a second resolution downloads nothing;
//  - the modelcar image composed from the cached copy is pushed: its digest; moving the alias to
//    version 2 gives version 2 and another digest (a change in preview, never a silent one);
//  - the stack-level resolution (config paths in errors) and the ModelRelease wiring use it;
//  - an unknown model or alias, a wrong token and an unreachable server fail with clear messages.
// Tools: mlflow + scikit-learn (bash scripts/install-python-tools), docker-registry, busybox-static.
// Missing: skipped with the tool's name; under CI=true a missing tool fails.
import { expect } from "chai";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { composeModelImage, pushArtifact, RegistryClient } from "../../components/oci";
import { MlflowError, resolveModelSource, ResolvedModelSource } from "../../components/mlflow";
import { resolveModelSources } from "../../components/config/model-sources";
import { validateStackConfig } from "../../components/config/validate";
import { freePort, LocalRegistry, requireTool, seedBusyboxBase, startRegistry } from "../support/registry";
import { MlflowServer, requireMlflow, startMlflowServer } from "../support/mlflow";

/** A loopback proxy in front of MLflow that wants `Authorization: Bearer <token>` (the server itself has no auth). */
async function bearerProxy(target: string, token: string): Promise<{ uri: string; close(): Promise<void>; seen: string[] }> {
    const port = await freePort();
    const seen: string[] = [];
    const upstream = new URL(target);
    const server = http.createServer((req, res) => {
        seen.push(req.headers.authorization ?? "");
        if (req.headers.authorization !== `Bearer ${token}`) {
            res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ error_code: "UNAUTHENTICATED", message: "bad credentials" }));
            return;
        }
        const fwd = http.request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (up) => {
            res.writeHead(up.statusCode ?? 502, up.headers);
            up.pipe(res);
        });
        req.pipe(fwd);
    });
    await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
    return { uri: `http://127.0.0.1:${port}`, seen, close: () => new Promise((r) => server.close(() => r())) };
}

describe("models from MLflow (real MLflow server, real registry)", function () {
    this.timeout(240_000);
    let mlflow: MlflowServer;
    let registry: LocalRegistry;
    let baseImage: string;
    let tmp: string;
    let cacheDir: string;
    let v1: { version: string; runId: string; datasetDigest: string; accuracy: number };
    let first: ResolvedModelSource;
    let firstDigest: string;
    const timings: Record<string, number> = {};
    const timed = async <T>(label: string, f: () => Promise<T>): Promise<T> => {
        const t0 = Date.now();
        try {
            return await f();
        } finally {
            timings[label] = (Date.now() - t0) / 1000;
        }
    };

    before(async function () {
        const bins = requireMlflow(this);
        requireTool(this, "/usr/bin/docker-registry");
        requireTool(this, "/bin/busybox");
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "modelship-mlflow-it-"));
        cacheDir = path.join(tmp, "cache");
        [mlflow, registry] = await Promise.all([timed("mlflow server start", () => startMlflowServer(bins)), startRegistry()]);
        baseImage = await seedBusyboxBase(registry.host);
        v1 = await timed("train + register v1", () => mlflow.registerIris({ C: 1.0 }));
    });
    after(async () => {
        await mlflow?.stop();
        await registry?.stop();
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });

        if (Object.keys(timings).length) console.log(`      timings (s): ${JSON.stringify(timings)}`);
    });

    const compose = (r: ResolvedModelSource) =>
        composeModelImage({
            modelDir: r.modelDir,
            modelName: "iris",
            version: "v1",
            baseImage,
            registry: registry.host,
            repository: "mlflow/iris",
            connection: { plainHttp: true },
            provenance: { ...r.provenance, "dev.modelship.mlflow.model": r.name, "dev.modelship.mlflow.version": r.version, "dev.modelship.mlflow.runId": r.runId },
            cacheDir,
        });

    it("resolves models:/iris@champion to version 1 with the run's id, source, dataset digest and metrics", async () => {
        const artifactGets: string[] = [];
        first = await timed("resolve v1 (download)", () =>
            resolveModelSource("models:/iris@champion", {
                trackingUri: mlflow.trackingUri,
                cacheDir,
                onRequest: (_m, p) => p.startsWith("/api/2.0/mlflow-artifacts/artifacts/") && artifactGets.push(p),
            }),
        );
        expect(first).to.deep.include({ uri: "models:/iris@champion", name: "iris", version: v1.version, alias: "champion", runId: v1.runId, cached: false });
        expect(v1.version).to.equal("1");
        expect(first.provenance).to.deep.equal({
            trainingRunId: v1.runId,
            sourceRepository: "https://example.com/acme/iris-training.git",
            sourceRevision: "0123456789abcdef0123456789abcdef01234567",
            datasetHash: `mlflow:${v1.datasetDigest}`,
        });
        expect(first.metrics.accuracy).to.equal(v1.accuracy);
        expect(first.modelDir.startsWith(path.join(cacheDir, "mlflow") + path.sep)).to.equal(true);
        const files = fs.readdirSync(first.modelDir).sort();
        expect(files).to.include.members(["MLmodel", "requirements.txt"]);
        expect(
            files.some((f) => /^model\.(skops|pkl)$/.test(f)),
            files.join(","),
        ).to.equal(true);
        expect(artifactGets).to.have.length(files.length);
        // The MLmodel file says it is the sklearn flavour of the run we registered.
        const mlmodel = fs.readFileSync(path.join(first.modelDir, "MLmodel"), "utf8");
        expect(mlmodel).to.contain("sklearn");
        expect(mlmodel).to.contain(v1.runId);
    });

    it("a second resolution of the same version reuses the cached copy and downloads nothing", async () => {
        const mtimes = fs.readdirSync(first.modelDir).map((f) => fs.statSync(path.join(first.modelDir, f)).mtimeMs);
        const artifactGets: string[] = [];
        const again = await resolveModelSource("models:/iris/1", {
            trackingUri: mlflow.trackingUri,
            cacheDir,
            onRequest: (_m, p) => p.startsWith("/api/2.0/mlflow-artifacts/artifacts/") && artifactGets.push(p),
        });
        expect(again).to.deep.include({ version: "1", runId: v1.runId, modelDir: first.modelDir, cached: true });
        expect(artifactGets).to.deep.equal([]);
        expect(fs.readdirSync(first.modelDir).map((f) => fs.statSync(path.join(first.modelDir, f)).mtimeMs)).to.deep.equal(mtimes);
        expect(fs.readdirSync(path.join(cacheDir, "mlflow")).filter((d) => !d.startsWith("."))).to.have.length(1);
    });

    it("composes the modelcar image from the cached copy and pushes it: the digest, with the MLflow version in its annotations", async () => {
        const image = await compose(first);
        expect(image.annotations).to.include({
            "dev.modelship.mlflow.model": "iris",
            "dev.modelship.mlflow.version": "1",
            "dev.modelship.mlflow.runId": v1.runId,
            "dev.modelship.provenance.trainingRunId": v1.runId,
        });
        const pushed = await pushArtifact(image, { connection: { plainHttp: true }, tag: "v1", cacheDir });
        expect(pushed.digest).to.equal(image.digest);
        const manifest = await new RegistryClient(registry.host, { plainHttp: true }).getManifest("mlflow/iris", image.digest);
        expect(manifest).to.not.equal(undefined);
        firstDigest = image.digest;
        // Same version, same cache, same bytes: the same digest every time (preview and up agree).
        expect((await compose(first)).digest).to.equal(firstDigest);

        console.log(`      models:/iris@champion → iris version ${first.version} (run ${first.runId}) → ${image.reference}`);
    });

    it("moving the alias to version 2 resolves to version 2 and gives another digest", async () => {
        const v2 = await timed("train + register v2", () => mlflow.registerIris({ C: 0.05 }));
        expect(v2.version).to.equal("2");
        const second = await resolveModelSource("models:/iris@champion", { trackingUri: mlflow.trackingUri, cacheDir });
        expect(second).to.deep.include({ version: "2", runId: v2.runId, cached: false });
        expect(second.modelDir).to.not.equal(first.modelDir);
        const image = await compose(second);
        expect(image.digest).to.not.equal(firstDigest);
        expect(image.annotations["dev.modelship.mlflow.version"]).to.equal("2");
        const pushed = await pushArtifact(image, { connection: { plainHttp: true }, tag: "v1", cacheDir });
        expect(pushed.digest).to.equal(image.digest);

        console.log(`      alias moved: models:/iris@champion → iris version ${second.version} (run ${second.runId}) → ${image.reference}`);
    });

    it("resolves a stack's models (stable by alias, canary by version) with config provenance winning, as the program does", async () => {
        const raw = {
            registry: { host: registry.host, repositoryPrefix: "mlflow", plainHttp: true },
            signing: { enabled: false },
            mlflow: { trackingUri: mlflow.trackingUri },
            models: [
                {
                    name: "iris",
                    version: "v2",
                    modelSource: "models:/iris@champion",
                    format: "sklearn",
                    baseImage,
                    provenance: { sourceRepository: "https://git.example.com/ml/iris.git" },
                    canary: { version: "v1", modelSource: "models:/iris/1", trafficPercent: 10 },
                },
            ],
        };
        const validated = validateStackConfig(raw, { registryPassword: false, signingKeyPassword: false });
        if (!validated.ok) throw new Error(validated.problems.map((p) => p.message).join("\n"));
        const sources = await resolveModelSources(validated.config, { cacheDir });
        expect(Object.keys(sources.iris).sort()).to.deep.equal(["v1", "v2"]);
        expect(sources.iris.v2.mlflow).to.deep.include({ name: "iris", version: "2", alias: "champion" });
        expect(sources.iris.v1.mlflow).to.deep.include({ name: "iris", version: "1", runId: v1.runId });
        expect(sources.iris.v1.modelDir).to.equal(first.modelDir);
        expect(sources.iris.v2.provenance.sourceRepository).to.equal("https://git.example.com/ml/iris.git");
        expect(sources.iris.v1.provenance.trainingRunId).to.equal(v1.runId);
        expect(sources.iris.v2.annotations["dev.modelship.mlflow.version"]).to.equal("2");

        const broken = { ...validated.config, models: [{ ...validated.config.models[0], modelSource: "models:/no-such-model@champion", canary: undefined }] };
        const err = await resolveModelSources(broken, { cacheDir }).then(
            () => undefined,
            (e: Error) => e,
        );
        expect(err?.message).to.match(
            /^modelship: the stack configuration has 1 problem; nothing was created:\n {2}- models\[0\]\.modelSource "models:\/no-such-model@champion" could not be resolved: MLflow model no-such-model@champion: GET http:\/\/127\.0\.0\.1:\d+\/api\/2\.0\/mlflow\/registered-models\/alias\?name=no-such-model&alias=champion answered 404 \(RESOURCE_DOES_NOT_EXIST: .*\): check the name, version or alias in models\[\]\.modelSource against the MLflow model registry$/,
        );
    });

    it("an unknown alias or version, a wrong token and an unreachable server fail with the URL, the model and the fix", async () => {
        const errorOf = (uri: string, opts: { trackingUri: string; token?: string }) =>
            resolveModelSource(uri, { ...opts, cacheDir, timeoutMs: 5000 }).then(
                () => undefined,
                (e: Error) => e,
            );
        const unknownAlias = await errorOf("models:/iris@staging", { trackingUri: mlflow.trackingUri });
        expect(unknownAlias).to.be.instanceOf(MlflowError);
        expect(unknownAlias!.message).to.contain(
            `MLflow model iris@staging: GET ${mlflow.trackingUri}/api/2.0/mlflow/registered-models/alias?name=iris&alias=staging answered 400`,
        );
        expect(unknownAlias!.message).to.contain("check the name, version or alias in models[].modelSource");
        const unknownVersion = await errorOf("models:/iris/9", { trackingUri: mlflow.trackingUri });
        expect(unknownVersion!.message).to.match(/MLflow model iris version 9: .* answered 404 \(RESOURCE_DOES_NOT_EXIST: .*\): check the name, version or alias/);

        const token = "MLFLOW-TOKEN-secret-3c9e1a";
        const proxy = await bearerProxy(mlflow.trackingUri, token);
        try {
            const ok = await resolveModelSource("models:/iris/1", { trackingUri: proxy.uri, token, cacheDir });
            expect(ok.version).to.equal("1");
            expect(proxy.seen.every((h) => h === `Bearer ${token}`)).to.equal(true);
            const wrong = await errorOf("models:/iris/1", { trackingUri: proxy.uri, token: "not-the-token" });
            expect(wrong!.message).to.equal(
                `MLflow model iris version 1: GET ${proxy.uri}/api/2.0/mlflow/model-versions/get?name=iris&version=1 answered 401 (UNAUTHENTICATED: bad credentials): check the secret modelship:mlflowToken (pulumi config set --secret modelship:mlflowToken)`,
            );
            expect(wrong!.message).to.not.contain("not-the-token");
        } finally {
            await proxy.close();
        }

        const closed = `http://127.0.0.1:${await freePort()}`;
        const unreachable = await errorOf("models:/iris@champion", { trackingUri: closed, token });
        expect(unreachable!.message).to.equal(
            `MLflow model iris@champion: GET ${closed}/api/2.0/mlflow/registered-models/alias?name=iris&alias=champion failed: connect ECONNREFUSED ${closed.slice(7)}: check that the MLflow tracking server at ${closed} is running and reachable (mlflow.trackingUri)`,
        );
        expect(unreachable!.message).to.not.contain(token);
    });
});
