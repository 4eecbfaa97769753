// Models from MLflow without a server: URI parsing, cache keying, artifact paths, provenance from a
// run, the config messages for modelSource / mlflow, the stack-level resolution with a fake resolver,
// and the ModelRelease wiring (cached model directory, merged provenance, annotations) under mocks.
import { expect } from "chai";
import * as path from "path";
import { artifactCacheKey, modelSourceProblem, parseModelSource, provenanceFromRun, proxiedArtifactPath, mlflowAnnotations, MlflowRun } from "../../components/mlflow";
import { validateStackConfig } from "../../components/config/validate";
import { resolveModelSources, ResolvedSource } from "../../components/config/model-sources";
import type { ModelConfig } from "../../components/config/schema";
import { declareRelease, IMAGE_ATTESTATION, installReleaseMocks, OCI_ARTIFACT, ofType, projectDir, reveal, stackConfig } from "../release/support";

const BASE = `localhost:5000/library/busybox@sha256:${"a".repeat(64)}`;
const base = (model: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    registry: { host: "localhost:5000", repositoryPrefix: "modelship", plainHttp: true },
    signing: { enabled: false },
    models: [{ name: "iris", version: "v1", format: "sklearn", baseImage: BASE, ...model }],
    ...extra,
});
const problemsOf = (raw: unknown) => {
    const r = validateStackConfig(raw, { registryPassword: false, signingKeyPassword: false });
    return r.ok ? [] : r.problems.map((p) => p.message);
};

describe("mlflow: model source URIs", () => {
    it("parses models:/<name>@<alias> and models:/<name>/<version>", () => {
        expect(parseModelSource("models:/iris@champion")).to.deep.equal({ name: "iris", alias: "champion" });
        expect(parseModelSource("models:/iris/3")).to.deep.equal({ name: "iris", version: "3" });
        expect(parseModelSource("models:/fraud.detector-v2@prod_1")).to.deep.equal({ name: "fraud.detector-v2", alias: "prod_1" });
    });
    it("refuses everything else, saying why", () => {
        for (const bad of [
            "models:/iris",
            "models:/iris/0",
            "models:/iris/Production",
            "models:/m-0123abcd",
            "runs:/abc/model",
            "iris@champion",
            "models:/iris@",
            "models:/@champion",
            "models:/iris/3/extra",
            " models:/iris/3",
        ]) {
            expect(parseModelSource(bad), bad).to.equal(undefined);
            expect(modelSourceProblem(bad), bad).to.be.a("string");
        }
        expect(modelSourceProblem("models:/iris")).to.equal('names no version or alias: add one, "models:/iris@champion" or "models:/iris/3"');
        expect(modelSourceProblem("models:/iris/Production")).to.equal(
            'uses a stage ("models:/name/Production"); stages are deprecated in MLflow: use an alias, "models:/iris@champion" or "models:/iris/3"',
        );
        expect(modelSourceProblem("models:/m-0123abcd")).to.equal(
            'names a logged model, not a registered model version: register it and use "models:/iris@champion" or "models:/iris/3"',
        );
    });
    it("maps proxied artifact URIs to proxy paths, and nothing else", () => {
        expect(proxiedArtifactPath("mlflow-artifacts:/1/models/m-abc/artifacts")).to.equal("1/models/m-abc/artifacts");
        expect(proxiedArtifactPath("mlflow-artifacts://mlflow.example.com/1/abc/artifacts/model/")).to.equal("1/abc/artifacts/model");
        expect(proxiedArtifactPath("s3://bucket/1/abc/artifacts")).to.equal(undefined);
        expect(proxiedArtifactPath("file:///tmp/mlruns/1")).to.equal(undefined);
    });
});

describe("mlflow: cache key", () => {
    const input = {
        name: "iris",
        version: "1",
        runId: "r1",
        artifactRoot: "1/models/m-a/artifacts",
        files: [
            { path: "MLmodel", size: 10 },
            { path: "model.skops", size: 11081 },
        ],
    };
    it("is a sha256 of the version, run, artifact root and file list, independent of listing order", () => {
        const key = artifactCacheKey(input);
        expect(key).to.match(/^[a-f0-9]{64}$/);
        expect(artifactCacheKey({ ...input, files: [...input.files].reverse() })).to.equal(key);
    });
    it("changes with the version, the run, a file's size or a file's name", () => {
        const key = artifactCacheKey(input);
        const others = [
            { ...input, version: "2" },
            { ...input, runId: "r2" },
            { ...input, artifactRoot: "1/models/m-b/artifacts" },
            {
                ...input,
                files: [
                    { path: "MLmodel", size: 10 },
                    { path: "model.skops", size: 11082 },
                ],
            },
            {
                ...input,
                files: [
                    { path: "MLmodel", size: 10 },
                    { path: "model.pkl", size: 11081 },
                ],
            },
        ].map(artifactCacheKey);
        expect(new Set([key, ...others]).size).to.equal(6);
    });
});

describe("mlflow: provenance from a run", () => {
    const run = (tags: Record<string, string>, digest?: string): MlflowRun => ({
        info: { run_id: "r1", experiment_id: "1", artifact_uri: "mlflow-artifacts:/1/r1/artifacts" },
        data: { tags: Object.entries(tags).map(([key, value]) => ({ key, value })) },
        inputs: digest
            ? {
                  dataset_inputs: [
                      { dataset: { name: "eval", digest: "ffff0000" } },
                      { dataset: { name: "iris", digest }, tags: [{ key: "mlflow.data.context", value: "training" }] },
                  ],
              }
            : undefined,
    });
    it("takes the run id, the source URL and commit, and the training dataset's digest", () => {
        expect(provenanceFromRun(run({ "mlflow.source.name": "https://github.com/acme/iris.git", "mlflow.source.git.commit": "abc123" }, "8F9EB48C"))).to.deep.equal({
            trainingRunId: "r1",
            sourceRepository: "https://github.com/acme/iris.git",
            sourceRevision: "abc123",
            datasetHash: "mlflow:8f9eb48c",
        });
    });
    it("leaves out a local script path (not a repository) and what the run does not have", () => {
        expect(provenanceFromRun(run({ "mlflow.source.name": "/home/me/train.py" }))).to.deep.equal({ trainingRunId: "r1" });
    });
    it("names the MLflow version in image annotations", () => {
        expect(mlflowAnnotations({ uri: "models:/iris@champion", name: "iris", version: "2", runId: "r2" })).to.deep.equal({
            "dev.modelship.mlflow.source": "models:/iris@champion",
            "dev.modelship.mlflow.model": "iris",
            "dev.modelship.mlflow.version": "2",
            "dev.modelship.mlflow.runId": "r2",
        });
    });
});

describe("config: modelSource and mlflow", () => {
    it("accepts a model and a canary from MLflow with mlflow.trackingUri", () => {
        expect(
            problemsOf(
                base(
                    { modelSource: "models:/iris@champion", canary: { version: "v2", modelSource: "models:/iris/2", trafficPercent: 10 } },
                    { mlflow: { trackingUri: "http://127.0.0.1:5000" } },
                ),
            ),
        ).to.deep.equal([]);
    });
    it("wants exactly one of modelDir and modelSource, for the model and its canary", () => {
        expect(
            problemsOf(
                base(
                    { modelDir: "models/iris/v1", modelSource: "models:/iris@champion", canary: { version: "v2", trafficPercent: 10 } },
                    { mlflow: { trackingUri: "https://mlflow.example.com" } },
                ),
            ),
        ).to.deep.equal([
            "models[0].modelSource and modelDir are both set: a model comes from one place; keep modelDir (files in the project) or modelSource (an MLflow registered model), not both",
            'models[0].canary.modelDir is required (or modelSource): set modelDir to the directory of the model files, e.g. "models/iris/v1", or modelSource to an MLflow registered model, "models:/iris@champion" or "models:/iris/3"',
        ]);
        expect(problemsOf(base({}))).to.deep.equal([
            'models[0].modelDir is required (or modelSource): set modelDir to the directory of the model files, e.g. "models/iris/v1", or modelSource to an MLflow registered model, "models:/iris@champion" or "models:/iris/3"',
        ]);
    });
    it("names a malformed modelSource and a missing mlflow section", () => {
        expect(problemsOf(base({ modelSource: "models:/iris" }))).to.deep.equal([
            'models[0].modelSource "models:/iris" names no version or alias: add one, "models:/iris@champion" or "models:/iris/3"',
            'mlflow is required because models[0] names an MLflow model (modelSource): set mlflow.trackingUri to the tracking server, e.g. "https://mlflow.example.com" (a token goes in the secret modelship:mlflowToken)',
        ]);
    });
    it("refuses plain http off loopback unless insecure, credentials in the URL, and non-http schemes", () => {
        const withUri = (trackingUri: string, insecure?: boolean) =>
            problemsOf(base({ modelSource: "models:/iris/1" }, { mlflow: { trackingUri, ...(insecure === undefined ? {} : { insecure }) } }));
        expect(withUri("http://mlflow.example.com")).to.deep.equal([
            'mlflow.trackingUri is plain http to "mlflow.example.com", which is not a loopback address: use https, or set mlflow.insecure: true to accept plain http (the token, if any, travels in clear)',
        ]);
        expect(withUri("http://mlflow.example.com", true)).to.deep.equal([]);
        expect(withUri("http://localhost:5000")).to.deep.equal([]);
        expect(withUri("https://user:pw@mlflow.example.com")).to.deep.equal([
            "mlflow.trackingUri must not carry credentials: put the token in the secret modelship:mlflowToken (pulumi config set --secret modelship:mlflowToken)",
        ]);
        expect(withUri("databricks")).to.deep.equal([
            'mlflow.trackingUri must be an http(s) URL of the MLflow tracking server, e.g. "https://mlflow.example.com" or "http://127.0.0.1:5000"',
        ]);
    });
    it("leaves requiredProvenance of a model from MLflow to the resolution (its run gives the fields)", () => {
        const raw = base(
            { modelSource: "models:/iris/1" },
            {
                mlflow: { trackingUri: "http://127.0.0.1:5000" },
                signing: { key: "cosign.key", publicKey: "-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----", requiredProvenance: ["trainingRunId"] },
            },
        );
        expect(problemsOf(raw)).to.deep.equal([]);
    });
});

describe("config/model-sources: resolving a stack's models", () => {
    const fake =
        (over: Partial<Record<string, unknown>> = {}) =>
        async (uri: string) => ({
            uri,
            name: "iris",
            version: uri.endsWith("/1") ? "1" : "2",
            runId: uri.endsWith("/1") ? "run-1" : "run-2",
            modelDir: `/cache/mlflow/${uri.endsWith("/1") ? "k1" : "k2"}`,
            cached: false,
            artifactRoot: "1/models/m/artifacts",
            provenance: { trainingRunId: uri.endsWith("/1") ? "run-1" : "run-2", sourceRevision: "abc" },
            metrics: { accuracy: 0.97 },
            ...(uri.includes("@") ? { alias: "champion" } : {}),
            ...over,
        });
    const config = (signing: Record<string, unknown> = { enabled: false }) => {
        const r = validateStackConfig(
            base(
                {
                    modelSource: "models:/iris@champion",
                    provenance: { sourceRevision: "from-config" },
                    canary: { version: "v2", modelSource: "models:/iris/1", trafficPercent: 10 },
                },
                { mlflow: { trackingUri: "http://127.0.0.1:5000" }, signing },
            ),
            { registryPassword: false, signingKeyPassword: false },
        );
        if (!r.ok) throw new Error(JSON.stringify(r.problems));
        return r.config;
    };
    it("resolves stable and canary by version label, config provenance winning", async () => {
        const sources = await resolveModelSources(config(), { resolve: fake() });
        expect(sources).to.deep.equal({
            iris: {
                v1: {
                    modelDir: "/cache/mlflow/k2",
                    provenance: { trainingRunId: "run-2", sourceRevision: "from-config" },
                    annotations: {
                        "dev.modelship.mlflow.source": "models:/iris@champion",
                        "dev.modelship.mlflow.model": "iris",
                        "dev.modelship.mlflow.version": "2",
                        "dev.modelship.mlflow.runId": "run-2",
                    },
                    mlflow: { uri: "models:/iris@champion", name: "iris", version: "2", runId: "run-2", metrics: { accuracy: 0.97 }, alias: "champion" },
                },
                v2: {
                    modelDir: "/cache/mlflow/k1",
                    provenance: { trainingRunId: "run-1", sourceRevision: "from-config" },
                    annotations: {
                        "dev.modelship.mlflow.source": "models:/iris/1",
                        "dev.modelship.mlflow.model": "iris",
                        "dev.modelship.mlflow.version": "1",
                        "dev.modelship.mlflow.runId": "run-1",
                    },
                    mlflow: { uri: "models:/iris/1", name: "iris", version: "1", runId: "run-1", metrics: { accuracy: 0.97 } },
                },
            },
        });
    });
    it("asks nothing of MLflow when no model uses modelSource", async () => {
        const r = validateStackConfig(base({ modelDir: "models/iris/v1" }), { registryPassword: false, signingKeyPassword: false });
        if (!r.ok) throw new Error("invalid");
        expect(await resolveModelSources(r.config, { resolve: () => Promise.reject(new Error("called")) })).to.deep.equal({});
    });
    it("reports every failure at once with its config path, and a required provenance field the run lacks", async () => {
        const signing = { key: "cosign.key", publicKey: "-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----", requiredProvenance: ["datasetHash"] };
        const resolve = async (uri: string) => {
            if (uri.endsWith("/1")) throw new Error("MLflow model iris version 1: GET http://127.0.0.1:5000/… answered 404");
            return fake()(uri);
        };
        const err = await resolveModelSources(config(signing), { resolve }).then(
            () => undefined,
            (e: Error) => e,
        );
        expect(err?.message).to.equal(
            [
                "modelship: the stack configuration has 2 problems; nothing was created:",
                '  - models[0].modelSource "models:/iris@champion" resolved to iris version 2 (run run-2), whose run does not give datasetHash, and signing.requiredProvenance requires it: set models[].provenance.datasetHash, record it on the MLflow run, or remove "datasetHash" from signing.requiredProvenance',
                '  - models[0].canary.modelSource "models:/iris/1" could not be resolved: MLflow model iris version 1: GET http://127.0.0.1:5000/… answered 404',
            ].join("\n"),
        );
    });
});

describe("release/ModelRelease: a model from MLflow under mocks", function () {
    this.timeout(30000);
    before(() => installReleaseMocks());

    it("builds the image from the cached copy, with the run's provenance under the configured one and the MLflow annotations", async () => {
        const config = stackConfig("dev");
        const { modelDir, canary, ...rest } = config.models[0];
        void modelDir;
        void canary;
        const model: ModelConfig = { ...rest, modelSource: "models:/iris@champion", provenance: { sourceRepository: "https://git.example.com/iris.git" } };
        const cached = path.join(projectDir, "models", "iris", "v1"); // stands in for ~/.cache/modelship/mlflow/<key>
        const resolved: ResolvedSource = {
            modelDir: cached,
            provenance: { trainingRunId: "run-2", sourceRevision: "abc", datasetHash: "mlflow:8f9eb48c", sourceRepository: "https://git.example.com/iris.git" },
            annotations: { "dev.modelship.mlflow.model": "iris", "dev.modelship.mlflow.version": "2", "dev.modelship.mlflow.runId": "run-2" },
            mlflow: { uri: "models:/iris@champion", name: "iris", version: "2", runId: "run-2", alias: "champion", metrics: { accuracy: 0.97 } },
        };
        const composed: { modelDir: string; provenance?: Record<string, string | undefined> }[] = [];
        const { provenance } = await declareRelease(config, model, {
            resolvedSources: { [model.version]: resolved },
            composeModelImage: async (o) => {
                composed.push({ modelDir: o.modelDir, provenance: o.provenance });
                return { digest: `sha256:${"b".repeat(64)}`, reference: `${o.registry}/${o.repository}@sha256:${"b".repeat(64)}`, files: { MLmodel: `sha256:${"c".repeat(64)}` } };
            },
        });
        const expectedProvenance = {
            trainingRunId: "run-2",
            sourceRevision: "abc",
            datasetHash: "mlflow:8f9eb48c",
            sourceRepository: "https://git.example.com/iris.git",
            "dev.modelship.mlflow.model": "iris",
            "dev.modelship.mlflow.version": "2",
            "dev.modelship.mlflow.runId": "run-2",
        };
        expect(composed).to.deep.equal([{ modelDir: cached, provenance: expectedProvenance }]);
        const push = ofType(OCI_ARTIFACT).find((r) => r.inputs.kind === "modelcar-image")!;
        expect(reveal(push.inputs)).to.deep.include({ modelDir: cached, provenance: expectedProvenance });
        const attestation = ofType(IMAGE_ATTESTATION)[0];
        const predicate = JSON.parse(JSON.stringify(reveal(attestation.inputs.predicate)));
        expect(predicate.buildDefinition.externalParameters).to.deep.include({ trainingRunId: "run-2", datasetHash: "mlflow:8f9eb48c" });
        expect(provenance.source).to.deep.equal({
            sourceRevision: "abc",
            sourceRepository: "https://git.example.com/iris.git",
            trainingRunId: "run-2",
            datasetHash: "mlflow:8f9eb48c",
        });
        expect(provenance.mlflow).to.deep.equal({ v1: resolved.mlflow });
        // The InferenceService in the bundle carries the run's provenance too (require-provenance-annotations reads it).
        const bundle = reveal(ofType(OCI_ARTIFACT).find((r) => r.inputs.kind === "manifest-bundle")!.inputs);
        expect(bundle.manifests[0].metadata.annotations).to.include({
            "modelship.io/source-revision": "abc",
            "modelship.io/training-run-id": "run-2",
            "modelship.io/dataset-hash": "mlflow:8f9eb48c",
        });
    });
});

describe("config: mlflow: {} (the Pulumi.yaml default) is no MLflow", () => {
    it("is accepted without models from MLflow, and still asked for when a model uses modelSource", () => {
        expect(problemsOf(base({ modelDir: "models/iris/v1" }, { mlflow: {} }))).to.deep.equal([]);
        expect(problemsOf(base({ modelSource: "models:/iris/1" }, { mlflow: {} }))).to.deep.equal([
            'mlflow is required because models[0] names an MLflow model (modelSource): set mlflow.trackingUri to the tracking server, e.g. "https://mlflow.example.com" (a token goes in the secret modelship:mlflowToken)',
        ]);
        expect(problemsOf(base({ modelDir: "models/iris/v1" }, { mlflow: { trackingUri: "https://mlflow.example.com", tracking: 1 } }))).to.deep.equal([
            'mlflow.tracking is not a known key: did you mean "trackingUri"?',
        ]);
    });
});
