// Admission with the real Kyverno CLI (v1.19.0, built by scripts/install-go-tools): the
// ImageValidatingPolicy modelship generates, applied to a Pod shaped like the one KServe creates for
// a modelcar (the model image in the `modelcar` container and the `modelcar-init` init container),
// whose images are in a real registry, signed and attested by the real cosign through modelship's
// own signing resources. Kyverno fetches the signatures and attestations from the registry.
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import type { ModelConfig, SigningConfig, StackConfig } from "../../components/config/schema";
import { imageValidatingPolicy } from "../../components/platform/kyverno";
import { imageSignatureProvider } from "../../components/release/image-signature";
import { publishArtifact } from "../../components/release/oci-artifact-run";
import { recorder } from "../support/pulumi-mocks";
import { LocalRegistry, REGISTRY_BINARY, requireTool, seedBusyboxBase, startRegistry } from "../support/registry";
import { declareRelease, installReleaseMocks, reveal } from "../release/support";
import { generateKeyPair } from "../support/cosign-keys";

const KEY_PASSWORD = "kyverno-it-key-pw";

function figure(text: string): void {
    console.log(`      ${text}`);
}

/** The pod KServe creates for a modelcar predictor (the parts admission looks at). */
function modelcarPod(name: string, modelImage: string): Record<string, unknown> {
    return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, namespace: "models", labels: { "serving.kserve.io/inferenceservice": "iris" } },
        spec: {
            initContainers: [{ name: "modelcar-init", image: modelImage, command: ["sh", "-c", "echo 'Pre-fetching modelcar' && ls /models"] }],
            containers: [
                { name: "kserve-container", image: `docker.io/kserve/sklearnserver@sha256:${"c".repeat(64)}`, args: ["--model_dir=/mnt/models"] },
                { name: "modelcar", image: modelImage, command: ["sh", "-c", "ln -sf /proc/$$$$/root/models /mnt/ && sleep infinity"] },
            ],
        },
    };
}

describe("integration: Kyverno CLI admits only signed and attested model images", function () {
    this.timeout(300_000);
    let registry: LocalRegistry;
    let baseImage: string;
    let work: string;
    let keys: { key: string; pub: string; pem: string };
    let other: { key: string; pub: string; pem: string };
    let config: StackConfig;

    before(async function () {
        for (const tool of ["kyverno", "cosign", REGISTRY_BINARY]) requireTool(this, tool);
        installReleaseMocks();
        registry = await startRegistry();
        baseImage = await seedBusyboxBase(registry.host);
        work = fs.mkdtempSync(path.join(os.tmpdir(), "modelship-kyverno-"));
        keys = generateKeyPair(path.join(work, "keys"), KEY_PASSWORD);
        other = generateKeyPair(path.join(work, "other"), KEY_PASSWORD);
        const signing = {
            enabled: true,
            key: keys.key,
            publicKey: keys.pem,
            transparencyLog: false,
            signatureFormat: "bundle",
            cosignVersion: 2,
            attestProvenance: true,
            requiredProvenance: ["trainingRunId"],
        } as SigningConfig;
        config = {
            kubernetes: {},
            platform: { kserve: { deploymentMode: "Standard" }, argocd: { namespace: "argocd" } } as StackConfig["platform"],
            registry: { host: registry.host, repositoryPrefix: "admit", plainHttp: true, insecure: false, concurrency: 4 },
            signing,
            models: [],
            allowEmptyModels: true,
        };
    });
    after(async () => {
        await registry?.stop();
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    const model = (version: string, over: Partial<ModelConfig> = {}): ModelConfig => ({
        name: "iris",
        version,
        modelDir: "models/iris/v1",
        format: "sklearn",
        runtime: "kserve-sklearnserver",
        baseImage,
        namespace: "models",
        project: "default",
        resources: { cpu: "100m", memory: "256Mi" },
        provenance: { sourceRevision: "0123456789abcdef", trainingRunId: `run-${version}`, datasetHash: `sha256:${"e".repeat(64)}` },
        builder: "daemonless",
        allowOutsideProject: false,
        ...over,
    });

    /** pulumi up of one image: push, then (as asked) the signature and the attestation, with `signingKey`. */
    async function ship(m: ModelConfig, steps: { sign: boolean; attest: boolean; signingKey?: string }): Promise<string> {
        const signing = { ...config.signing, key: steps.signingKey ?? keys.key };
        const { provenance } = await declareRelease({ ...config, signing }, m, {
            secrets: { signingKeyPassword: pulumi.secret(KEY_PASSWORD) },
            composeModelImage: undefined, // the real composer: real digests, real file digests
        });
        const inputs = (name: string) => reveal(recorder.named(name).inputs);
        await publishArtifact(inputs(`iris-${m.version}-image`));
        if (steps.sign) await imageSignatureProvider.create(inputs(`iris-${m.version}-signature`));
        if (steps.attest) await imageSignatureProvider.create(inputs(`iris-${m.version}-attestation`));
        return provenance.stable.image;
    }

    function admit(name: string, image: string, publicKeyPem = keys.pem): { code: number; output: string } {
        const dir = fs.mkdtempSync(path.join(work, `${name}-`));
        const policy = imageValidatingPolicy(config.registry, { ...config.signing, publicKey: publicKeyPem });
        fs.writeFileSync(path.join(dir, "policy.yaml"), stringify(policy));
        fs.writeFileSync(path.join(dir, "pod.yaml"), stringify(modelcarPod(name, image)));
        const r = spawnSync("kyverno", ["apply", path.join(dir, "policy.yaml"), "--resource", path.join(dir, "pod.yaml"), "--detailed-results"], {
            encoding: "utf8",
            timeout: 120_000,
            env: { PATH: process.env.PATH!, HOME: dir },
        });
        const output = `${r.stdout}\n${r.stderr}`;
        figure(`kyverno apply (${name}): exit ${r.status}; ${(output.match(/pass: \d+, fail: \d+, warn: \d+, error: \d+, skip: \d+/) ?? ["?"])[0]}`);
        return { code: r.status ?? -1, output };
    }

    it("signed and attested with the stack's key, with the required provenance: allowed", async () => {
        const image = await ship(model("v1"), { sign: true, attest: true });
        const r = admit("allowed", image);
        expect(r.code, r.output).to.equal(0);
        expect(r.output).to.match(/pass: 1, fail: 0, warn: 0, error: 0/);
    });

    it("unsigned: denied, saying the model image is not signed", async () => {
        const image = await ship(model("v2", { modelDir: "models/iris/v2" }), { sign: false, attest: false });
        const r = admit("unsigned", image);
        expect(r.code).to.not.equal(0);
        expect(r.output).to.match(/fail: 1/);
        expect(r.output).to.contain("is not signed with the modelship signing key");
    });

    it("signed and attested with another key: denied", async () => {
        const image = await ship(model("v3", { modelDir: "models/iris/v2" }), { sign: true, attest: true, signingKey: other.key });
        const r = admit("other-key", image);
        expect(r.code).to.not.equal(0);
        expect(r.output).to.contain("is not signed with the modelship signing key");
    });

    it("signed but never attested: denied, saying the provenance attestation is missing", async () => {
        const image = await ship(model("v4", { modelDir: "models/iris/v2" }), { sign: true, attest: false });
        const r = admit("unattested", image);
        expect(r.code).to.not.equal(0);
        expect(r.output).to.contain("has no https://slsa.dev/provenance/v1 attestation signed with the modelship signing key");
    });

    it("attested without a required provenance field: denied, naming the field", async () => {
        const image = await ship(model("v5", { modelDir: "models/iris/v2", provenance: { sourceRevision: "0123456789abcdef" } }), { sign: true, attest: true });
        const r = admit("missing-field", image);
        expect(r.code).to.not.equal(0);
        expect(r.output).to.contain("lacks a required field (trainingRunId)");
    });
});
