import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "../../components/config/load";
import { unwrap } from "../support/pulumi-mocks";
import { stackFileConfig, testPublicKeyPem, validRaw } from "./fixtures";

/** Sets the process's Pulumi config as the engine would: JSON for objects, plus the secret key list. */
function setConfig(values: Record<string, unknown>, secret: string[] = []): void {
    const c: Record<string, string> = {};
    for (const [k, v] of Object.entries(values)) {
        c[`modelship:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    }
    pulumi.runtime.setAllConfig(
        c,
        secret.map((k) => `modelship:${k}`),
    );
}

function loadError(projectDir?: string): string {
    try {
        loadStackConfig({ projectDir });
    } catch (e) {
        expect(pulumi.RunError.isInstance(e), "a RunError, so Pulumi prints no stack trace").to.equal(true);
        return (e as Error).message;
    }
    throw new Error("expected loadStackConfig to throw");
}

/** A directory holding one model file. */
function modelDir(dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "model.joblib"), "model");
}

describe("loadStackConfig", () => {
    /** Temporary root; the project is `<base>/project`, so `<base>/elsewhere` is outside it. */
    let base: string;
    let dir: string;

    before(() => {
        base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "modelship-load-")));
        dir = path.join(base, "project");
        fs.mkdirSync(dir);
        fs.writeFileSync(path.join(dir, "cosign.pub"), `${testPublicKeyPem}\n`);
        fs.writeFileSync(path.join(dir, "cosign.key"), "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n");
        // The model directories validRaw() and the stack files name.
        for (const m of ["models/iris/v1", "models/iris/v2", "models/wine/v3"]) modelDir(path.join(dir, m));
        // Bad ones: a file, an empty directory, a model outside the project, a link out of it.
        fs.writeFileSync(path.join(dir, "models/iris/model.joblib"), "model");
        fs.mkdirSync(path.join(dir, "models/empty"));
        modelDir(path.join(base, "elsewhere"));
        fs.symlinkSync(path.join(base, "elsewhere"), path.join(dir, "models/linked"));
    });
    after(() => {
        pulumi.runtime.setAllConfig({}, []);
        fs.rmSync(base, { recursive: true, force: true });
    });

    it("loads Pulumi.dev.yaml's keys, resolving signing.publicKey from a file to PEM", () => {
        const cfg = stackFileConfig("dev");
        // Pulumi.yaml's empty defaults for the secret keys mean "not set".
        setConfig({ ...cfg, registryPassword: "", signingKeyPassword: "" });
        const loaded = loadStackConfig({ projectDir: dir });
        expect(loaded.config.signing.publicKey).to.equal(testPublicKeyPem);
        expect(loaded.config.models.map((m) => m.name)).to.deep.equal(["iris"]);
        expect(loaded.secrets).to.deep.equal({});
    });

    it("returns the secret keys as secret Outputs", async () => {
        const raw = validRaw();
        raw.registry = { host: "ghcr.io", repositoryPrefix: "org/models", username: "bot" };
        setConfig({ ...raw, registryPassword: "s3cret", signingKeyPassword: "pw" }, ["registryPassword", "signingKeyPassword"]);
        const loaded = loadStackConfig({ projectDir: dir });
        const password = await unwrap(loaded.secrets.registryPassword!);
        expect(password).to.deep.equal({ value: "s3cret", isSecret: true });
        expect((await unwrap(loaded.secrets.signingKeyPassword!)).isSecret).to.equal(true);
    });

    it("throws one RunError listing every problem, plaintext secrets and missing files included", () => {
        const raw = validRaw();
        raw.registry = { host: "ghcr.io", repositoryPrefix: "org/models", username: "bot" };
        raw.signing = { key: "missing.key", publicKey: "keys/none.pub" };
        raw.models[0].baseImage = "busybox:latest";
        setConfig({ ...raw, registryPassword: "plain" });
        expect(loadError(dir)).to.equal(
            [
                "modelship: the stack configuration has 4 problems; nothing was created:",
                "  - registryPassword is stored in plaintext: re-set it with `pulumi config set --secret modelship:registryPassword` so it stays encrypted",
                `  - signing.publicKey is neither PEM text nor a readable file: ${path.join(dir, "keys/none.pub")} does not exist; give the PEM text or the path to cosign.pub (cosign generate-key-pair writes it)`,
                `  - signing.key file ${path.join(dir, "missing.key")} does not exist: create it with \`cosign generate-key-pair\`, or use "env://VAR" or a KMS URI`,
                "  - models[0].baseImage must be pinned by digest, e.g. docker.io/library/busybox@sha256:<64 hex>",
            ].join("\n"),
        );
    });

    it("reports a structured key given as a plain string", () => {
        setConfig({ registry: "localhost:5000", signing: { enabled: false }, models: validRaw().models });
        expect(loadError(dir)).to.equal(
            ["modelship: the stack configuration has 1 problem; nothing was created:", '  - registry must be an object (a map of settings), got "localhost:5000"'].join("\n"),
        );
    });

    describe("keys of the modelship namespace", () => {
        it("reports a misspelt top-level key with the key meant, instead of shipping a stack without models", () => {
            const { models, ...raw } = validRaw();
            setConfig({ ...raw, model: models });
            expect(loadError(dir)).to.equal(
                [
                    "modelship: the stack configuration has 2 problems; nothing was created:",
                    '  - modelship:model is not a known key: did you mean "models"?',
                    "  - models is empty: this stack would ship no model (and delete every release it shipped); add a model, or set allowEmptyModels: true to empty the stack on purpose",
                ].join("\n"),
            );
        });

        it("suggests the nearest key for each misspelling", () => {
            const { registry, ...raw } = validRaw();
            setConfig({ ...raw, registy: registry, signingKeyPasword: "pw", allowEmptyModel: true });
            expect(loadError(dir)).to.equal(
                [
                    "modelship: the stack configuration has 4 problems; nothing was created:",
                    '  - modelship:allowEmptyModel is not a known key: did you mean "allowEmptyModels"?',
                    '  - modelship:registy is not a known key: did you mean "registry"?',
                    '  - modelship:signingKeyPasword is not a known key: did you mean "signingKeyPassword"?',
                    "  - registry is required: set it to an object (a map of settings)",
                ].join("\n"),
            );
        });

        it("names the command and the known keys when no key is close", () => {
            setConfig({ ...validRaw(), replicas: 3 });
            expect(loadError(dir)).to.equal(
                [
                    "modelship: the stack configuration has 1 problem; nothing was created:",
                    "  - modelship:replicas is not a known key: remove it with `pulumi config rm modelship:replicas` (known keys: kubernetes, platform, registry, signing, models, promotion, mlflow, allowEmptyModels, registryPassword, signingKeyPassword, mlflowToken)",
                ].join("\n"),
            );
        });

        it("ignores other namespaces (providers, other projects)", () => {
            const c: Record<string, string> = { "kubernetes:context": "kind-modelship", "aws:region": "eu-west-1" };
            for (const [k, v] of Object.entries(validRaw())) c[`modelship:${k}`] = JSON.stringify(v);
            pulumi.runtime.setAllConfig(c, []);
            expect(loadStackConfig({ projectDir: dir }).config.models).to.have.length(2);
        });
    });

    describe("allowEmptyModels", () => {
        it("refuses an empty model list by default (Pulumi.yaml's default is false)", () => {
            setConfig({ ...validRaw(), models: [], allowEmptyModels: "false" });
            expect(loadError(dir)).to.equal(
                [
                    "modelship: the stack configuration has 1 problem; nothing was created:",
                    "  - models is empty: this stack would ship no model (and delete every release it shipped); add a model, or set allowEmptyModels: true to empty the stack on purpose",
                ].join("\n"),
            );
        });

        it("loads an empty model list when the stack says allowEmptyModels: true", () => {
            setConfig({ ...validRaw(), models: [], allowEmptyModels: "true" });
            const loaded = loadStackConfig({ projectDir: dir });
            expect(loaded.config.models).to.deep.equal([]);
            expect(loaded.config.allowEmptyModels).to.equal(true);
        });

        it("wants true or false", () => {
            setConfig({ ...validRaw(), allowEmptyModels: "yes" });
            expect(loadError(dir)).to.equal(["modelship: the stack configuration has 1 problem; nothing was created:", "  - allowEmptyModels must be true or false"].join("\n"));
        });
    });

    describe("model directories", () => {
        function withModelDirs(stable: string, canary?: string, extra: Record<string, unknown> = {}): Record<string, any> {
            const raw = validRaw();
            raw.models = [{ ...raw.models[0], modelDir: stable, ...extra, ...(canary ? { canary: { version: "v2", modelDir: canary, trafficPercent: 10 } } : {}) }];
            return raw;
        }

        it("loads directories that exist, are not empty and lie in the project", () => {
            setConfig(withModelDirs("models/iris/v1", path.join(dir, "models/iris/v2")));
            expect(loadStackConfig({ projectDir: dir }).config.models[0].allowOutsideProject).to.equal(false);
        });

        it("reports a missing directory with the path it resolved to", () => {
            setConfig(withModelDirs("models/iris/v1", "models/iris/v3"));
            expect(loadError(dir)).to.equal(
                [
                    "modelship: the stack configuration has 1 problem; nothing was created:",
                    `  - models[0].canary.modelDir "models/iris/v3" does not exist (resolved to ${path.join(dir, "models/iris/v3")}): create it or fix the path`,
                ].join("\n"),
            );
        });

        it("reports a file given as the model directory", () => {
            setConfig(withModelDirs("models/iris/model.joblib"));
            expect(loadError(dir)).to.equal(
                [
                    "modelship: the stack configuration has 1 problem; nothing was created:",
                    `  - models[0].modelDir "models/iris/model.joblib" is a file, not a directory (resolved to ${path.join(dir, "models/iris/model.joblib")}): point it at the directory holding the model files`,
                ].join("\n"),
            );
        });

        it("reports an empty directory", () => {
            setConfig(withModelDirs("models/empty"));
            expect(loadError(dir)).to.equal(
                [
                    "modelship: the stack configuration has 1 problem; nothing was created:",
                    `  - models[0].modelDir "models/empty" is empty (resolved to ${path.join(dir, "models/empty")}): put the model files in it, or fix the path`,
                ].join("\n"),
            );
        });

        it("reports a directory outside the project, through .. or a symlink", () => {
            setConfig(withModelDirs("../elsewhere", "models/linked"));
            expect(loadError(dir)).to.equal(
                [
                    "modelship: the stack configuration has 2 problems; nothing was created:",
                    `  - models[0].modelDir "../elsewhere" is outside the project directory ${dir} (resolved to ${path.join(base, "elsewhere")}): move the model files into the project, or set models[0].allowOutsideProject: true to ship them from there`,
                    `  - models[0].canary.modelDir "models/linked" is outside the project directory ${dir} (resolved to ${path.join(dir, "models/linked")}): move the model files into the project, or set models[0].allowOutsideProject: true to ship them from there`,
                ].join("\n"),
            );
        });

        it("accepts a directory outside the project when the model sets allowOutsideProject: true", () => {
            setConfig(withModelDirs(path.join(base, "elsewhere"), "models/linked", { allowOutsideProject: true }));
            expect(loadStackConfig({ projectDir: dir }).config.models[0]).to.deep.include({ modelDir: path.join(base, "elsewhere"), allowOutsideProject: true });
        });

        it("still checks that an allowed outside directory exists", () => {
            setConfig(withModelDirs("../nowhere", undefined, { allowOutsideProject: true }));
            expect(loadError(dir)).to.equal(
                [
                    "modelship: the stack configuration has 1 problem; nothing was created:",
                    `  - models[0].modelDir "../nowhere" does not exist (resolved to ${path.join(base, "nowhere")}): create it or fix the path`,
                ].join("\n"),
            );
        });
    });

    it("reports every problem of one config together: keys, secrets, files, model directories, schema", () => {
        const raw = validRaw();
        raw.registry = { host: "ghcr.io", repositoryPrefix: "org/models", username: "bot", hots: "x" };
        raw.models[0].modelDir = "models/empty";
        raw.models[0].canary = { version: "v2", modelDir: "../elsewhere", trafficPercent: 10 };
        raw.models[1].modelDir = "models/iris/model.joblib";
        raw.models[1].baseImage = "busybox:latest";
        raw.models.push({ ...raw.models[1], name: "iris", modelDir: "models/nope", baseImage: validRaw().models[0].baseImage });
        setConfig({ ...raw, registy: {}, registryPassword: "plain" });
        expect(loadError(dir)).to.equal(
            [
                "modelship: the stack configuration has 9 problems; nothing was created:",
                '  - modelship:registy is not a known key: did you mean "registry"?',
                "  - registryPassword is stored in plaintext: re-set it with `pulumi config set --secret modelship:registryPassword` so it stays encrypted",
                `  - models[0].modelDir "models/empty" is empty (resolved to ${path.join(dir, "models/empty")}): put the model files in it, or fix the path`,
                `  - models[0].canary.modelDir "../elsewhere" is outside the project directory ${dir} (resolved to ${path.join(base, "elsewhere")}): move the model files into the project, or set models[0].allowOutsideProject: true to ship them from there`,
                `  - models[1].modelDir "models/iris/model.joblib" is a file, not a directory (resolved to ${path.join(dir, "models/iris/model.joblib")}): point it at the directory holding the model files`,
                `  - models[2].modelDir "models/nope" does not exist (resolved to ${path.join(dir, "models/nope")}): create it or fix the path`,
                '  - registry.hots is not a known key: did you mean "host"?',
                "  - models[1].baseImage must be pinned by digest, e.g. docker.io/library/busybox@sha256:<64 hex>",
                '  - models[2].name "iris" is already used by models[0]: model names must be unique (each names an image repository, an InferenceService and an Application); rename one',
            ].join("\n"),
        );
    });
});
