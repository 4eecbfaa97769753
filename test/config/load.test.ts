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
    pulumi.runtime.setAllConfig(c, secret.map((k) => `modelship:${k}`));
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

describe("loadStackConfig", () => {
    let dir: string;

    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "modelship-load-"));
        fs.writeFileSync(path.join(dir, "cosign.pub"), `${testPublicKeyPem}\n`);
        fs.writeFileSync(path.join(dir, "cosign.key"), "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n");
    });
    after(() => {
        pulumi.runtime.setAllConfig({}, []);
        fs.rmSync(dir, { recursive: true, force: true });
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
        setConfig({ registry: "localhost:5000", signing: { enabled: false } });
        expect(loadError(dir)).to.equal(
            [
                "modelship: the stack configuration has 1 problem; nothing was created:",
                '  - registry must be an object (a map of settings), got "localhost:5000"',
            ].join("\n"),
        );
    });
});
