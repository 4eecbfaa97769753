// End to end against a real registry (Debian's docker-registry) with the real cosign:
//  - ModelRelease is declared under mocks with the REAL composers; the recorded push resources are
//    then published exactly as the OciArtifact provider would in `pulumi up`, and the recorded
//    signature resource is handed to the ImageSignature provider (create/read/diff/update) as the
//    engine hands it in `pulumi up` / `refresh`, which runs the real cosign.
//  - The signed image verifies with `cosign verify --key` and the flags the Kyverno policy implies
//    (cosignVerifyArgs); another digest does not; both signature formats.
//  - The bundle pulled back (skopeo copy to an OCI layout, untar) is byte-for-byte what we rendered.
//  - With recognisable secrets (key password, registry password on an htpasswd registry), none of
//    them appears in the command line, command output, stack outputs, rendered YAML or the bundle.
// Tools: cosign (built by scripts/install-go-tools into ${MODELSHIP_CACHE:-~/.cache/modelship}/bin),
// skopeo, docker-registry, python3 (bcrypt for htpasswd). Missing: skipped with the tool's name;
// under CI=true a missing tool fails.
import { expect } from "chai";
import { spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import * as pulumi from "@pulumi/pulumi";
import { recorder, unwrap } from "../support/pulumi-mocks";
import { freePort, LocalRegistry, requireTool, seedBusyboxBase, startRegistry, REGISTRY_BINARY } from "../support/registry";
import { publishArtifact } from "../../components/release/oci-artifact-run";
import { composeModelImage } from "../../components/oci";
import type { ModelConfig, SigningConfig, StackConfig } from "../../components/config/schema";
import { cosignVerifyArgs, EMPTY_TRUSTED_ROOT } from "../../components/release/signing";
import { imageSignatureProvider } from "../../components/release/image-signature";
import type { ModelImageComposer } from "../../components/release/model-image";
import { RegistryClient } from "../../components/oci/remote";
import { declareRelease, installReleaseMocks, reveal } from "../release/support";
import { untarUnder } from "../support/tar";
import { generateKeyPair } from "../support/cosign-keys";
import { SLSA_PROVENANCE_V1 } from "../../components/supply-chain/provenance";

const cacheBin = path.join(process.env.MODELSHIP_CACHE ?? path.join(os.homedir(), ".cache", "modelship"), "bin");
if (!(process.env.PATH ?? "").split(":").includes(cacheBin)) process.env.PATH = `${cacheBin}:${process.env.PATH}`;

const KEY_PASSWORD = "KEYPW-modelship-secret-7f3a9c";
const REGISTRY_PASSWORD = "REGPW-modelship-secret-51e2d8";
const USERNAME = "modelship-bot";
const SECRETS = [KEY_PASSWORD, REGISTRY_PASSWORD];

interface Run {
    code: number;
    stdout: string;
    stderr: string;
}

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
    return new Promise((resolve, reject) => {
        const child = spawn(cmd, args, { env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? os.tmpdir(), ...env } });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("error", reject);
        child.on("exit", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
}

/** What the engine does with the signature resource in `pulumi up`: the provider's create, with the secret inputs unwrapped. */
async function signLikeEngine(inputs: Record<string, any>, cosign?: string): Promise<Record<string, any>> {
    const before = process.env.MODELSHIP_COSIGN;
    if (cosign) process.env.MODELSHIP_COSIGN = cosign;
    try {
        const created = await imageSignatureProvider.create(reveal(inputs));
        return created.outs;
    } finally {
        if (cosign) {
            if (before === undefined) delete process.env.MODELSHIP_COSIGN;
            else process.env.MODELSHIP_COSIGN = before;
        }
    }
}

/** cosign v3 (built as `cosign3` by scripts/install-go-tools), for MODELSHIP_COSIGN and for verifying. */
function cosign3(): { binary: string } {
    return { binary: spawnSync("sh", ["-c", "command -v cosign3"], { encoding: "utf8" }).stdout.trim() };
}

/** Private DOCKER_CONFIG directories the signing provider left in the temp dir (there must be none). */
/** The in-toto statement cosign verify-attestation printed (first line: a DSSE envelope, or a bundle holding one). */
function inTotoStatement(stdout: string): any {
    const first = JSON.parse(stdout.trim().split("\n")[0]);
    const envelope = first.payload ? first : (first.dsseEnvelope ?? first);
    return JSON.parse(Buffer.from(envelope.payload, "base64").toString("utf8"));
}

function leftoverDockerConfigs(): string[] {
    return fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith("modelship-cosign-"));
}

function stackFor(host: string, prefix: string, signing: Partial<SigningConfig>, username?: string): StackConfig {
    return {
        kubernetes: {},
        platform: { kserve: { deploymentMode: "Knative" }, argocd: { namespace: "argocd" } } as StackConfig["platform"],
        registry: { host, repositoryPrefix: prefix, plainHttp: true, insecure: false, concurrency: 4, ...(username ? { username } : {}) },
        signing: { enabled: true, transparencyLog: false, signatureFormat: "legacy", cosignVersion: 2, attestProvenance: true, requiredProvenance: [], ...signing },
        models: [],
        allowEmptyModels: true,
    };
}

function modelFor(baseImage: string, over: Partial<ModelConfig> = {}): ModelConfig {
    return {
        name: "iris",
        version: "v1",
        modelDir: "models/iris/v1",
        format: "sklearn",
        runtime: "kserve-sklearnserver",
        baseImage,
        namespace: "models",
        project: "default",
        resources: { cpu: "100m", memory: "256Mi" },
        provenance: { sourceRevision: "0123456789abcdef", trainingRunId: "run-7", datasetHash: `sha256:${"e".repeat(64)}` },
        builder: "daemonless",
        allowOutsideProject: false,
        ...over,
    };
}

/** Declares the release under mocks; returns the recorded resources and outputs. */
async function declare(config: StackConfig, model: ModelConfig, composer?: ModelImageComposer) {
    const { r, provenance } = await declareRelease(config, model, {
        secrets: {
            ...(config.registry.username ? { registryPassword: pulumi.secret(REGISTRY_PASSWORD) } : {}),
            signingKeyPassword: pulumi.secret(KEY_PASSWORD),
        },
        // undefined: the real composer (reads the base image from the registry)
        composeModelImage: composer,
    });
    const files = (await unwrap(r.bundle.files)).value;
    const inputsOf = (name: string) => recorder.named(name).inputs;
    return { r, provenance, files, inputsOf, recorded: recorder.resources.slice() };
}

/** Pulls a bundle to an OCI layout with skopeo and returns its files (untarred, gunzipped). */
async function pullBundle(reference: string, authfile?: string): Promise<Record<string, string>> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "modelship-bundle-"));
    const args = ["copy", "--src-tls-verify=false", ...(authfile ? ["--src-authfile", authfile] : []), `docker://${reference}`, `oci:${dir}:bundle`];
    const r = await run("skopeo", args);
    if (r.code !== 0) throw new Error(`skopeo ${args.join(" ")}: ${r.stderr}`);
    const index = JSON.parse(fs.readFileSync(path.join(dir, "index.json"), "utf8"));
    const blob = (d: string) => fs.readFileSync(path.join(dir, "blobs", "sha256", d.slice(7)));
    const manifest = JSON.parse(blob(index.manifests[0].digest).toString());
    expect(manifest.layers).to.have.length(1);
    expect(manifest.layers[0].mediaType).to.equal("application/vnd.oci.image.layer.v1.tar+gzip");
    const files = untarUnder(zlib.gunzipSync(blob(manifest.layers[0].digest)), "manifests");
    fs.rmSync(dir, { recursive: true, force: true });
    return files;
}

describe("integration: release with the real cosign and a real registry", function () {
    this.timeout(180000);
    let registry: LocalRegistry;
    let baseImage: string;
    let keys: { key: string; pub: string };
    let work: string;
    let trustedRoot: string;

    before(async function () {
        for (const tool of ["cosign", "skopeo", REGISTRY_BINARY]) requireTool(this, tool);
        installReleaseMocks();
        registry = await startRegistry();
        baseImage = await seedBusyboxBase(registry.host);
        work = fs.mkdtempSync(path.join(os.tmpdir(), "modelship-release-it-"));
        keys = generateKeyPair(work, KEY_PASSWORD);
        trustedRoot = path.join(work, "trusted_root.json");
        fs.writeFileSync(trustedRoot, EMPTY_TRUSTED_ROOT);
    });
    after(async () => {
        await registry?.stop();
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    async function verify(reference: string, signing: SigningConfig, env: Record<string, string> = {}): Promise<Run> {
        return run("cosign", ["verify", `--key=${keys.pub}`, ...cosignVerifyArgs(signing, { plainHttp: true }, { trustedRoot }), reference], env);
    }

    async function verifyWith(cosign: string, reference: string, signing: SigningConfig): Promise<Run> {
        return run(cosign, ["verify", `--key=${keys.pub}`, ...cosignVerifyArgs(signing, { plainHttp: true }, { trustedRoot }), reference]);
    }

    for (const [cosignVersion, format] of [
        [2, "legacy"],
        [2, "bundle"],
        [3, "legacy"],
        [3, "bundle"],
    ] as const) {
        it(`cosign v${cosignVersion}, ${format} signature: made by the ImageSignature provider, verified with the Kyverno-implied flags; another digest fails`, async function () {
            if (cosignVersion === 3) requireTool(this, "cosign3");
            const binary = cosignVersion === 3 ? cosign3().binary : "cosign";
            const config = stackFor(registry.host, `it-v${cosignVersion}-${format}`, { key: keys.key, signatureFormat: format, cosignVersion });
            const { provenance, inputsOf } = await declare(config, modelFor(baseImage));
            // pulumi up: push the image (OciArtifact provider), then the signature (ImageSignature provider).
            await publishArtifact(reveal(inputsOf("iris-v1-image")));
            const version = await run(binary, ["version"]);
            expect(version.stdout + version.stderr).to.match(new RegExp(`GitVersion:\\s+v${cosignVersion}\\.`));
            const outs = await signLikeEngine(inputsOf("iris-v1-signature"), binary);
            expect(outs.present).to.equal(true);

            const ok = await verifyWith(binary, provenance.stable.image, config.signing);
            expect(ok.code, ok.stderr).to.equal(0);
            expect(JSON.parse(ok.stdout)[0].critical.image["docker-manifest-digest"]).to.equal(provenance.stable.digest);

            // The signature is where the provenance record says, and refresh (read) sees it.
            const sig = await run("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${provenance.stable.signature!.reference}`]);
            expect(sig.code, sig.stderr).to.equal(0);
            const read = await imageSignatureProvider.read!(outs.reference, outs);
            expect(read.props!.present).to.equal(true);

            // v2: pushed, never signed -> must not verify.
            const v2 = await declare(config, modelFor(baseImage, { version: "v2", modelDir: "models/iris/v2" }));
            await publishArtifact(reveal(v2.inputsOf("iris-v2-image")));
            expect(v2.provenance.stable.digest).not.to.equal(provenance.stable.digest);
            const bad = await verifyWith(binary, v2.provenance.stable.image, config.signing);
            expect(bad.code, "an unsigned digest must not verify").not.to.equal(0);
        });
    }

    for (const [cosignVersion, format] of [
        [2, "legacy"],
        [2, "bundle"],
        [3, "legacy"],
        [3, "bundle"],
    ] as const) {
        it(`cosign v${cosignVersion}, ${format}: the provenance attestation verifies with cosign verify-attestation and carries the model files' sha256; the bundle's signature verifies`, async function () {
            if (cosignVersion === 3) requireTool(this, "cosign3");
            const binary = cosignVersion === 3 ? cosign3().binary : "cosign";
            const config = stackFor(registry.host, `it-att-v${cosignVersion}-${format}`, { key: keys.key, signatureFormat: format, cosignVersion });
            const { provenance, inputsOf } = await declare(config, modelFor(baseImage));
            await publishArtifact(reveal(inputsOf("iris-v1-image")));
            await signLikeEngine(inputsOf("iris-v1-signature"), binary);
            const attestation = inputsOf("iris-v1-attestation");
            expect(attestation.args).to.include(`--type=${SLSA_PROVENANCE_V1}`);
            const outs = await signLikeEngine(attestation, binary);
            expect(outs.present).to.equal(true);
            expect((await imageSignatureProvider.read!(outs.reference, outs)).props!.present).to.equal(true);

            const verifyArgs = (ref: string, pub = keys.pub) => [
                "verify-attestation",
                `--key=${pub}`,
                `--type=${SLSA_PROVENANCE_V1}`,
                ...cosignVerifyArgs(config.signing, { plainHttp: true }, { trustedRoot }),
                ref,
            ];
            const ok = await run(binary, verifyArgs(provenance.stable.image));
            expect(ok.code, ok.stderr).to.equal(0);
            const statement = inTotoStatement(ok.stdout);
            expect(statement.predicateType).to.equal(SLSA_PROVENANCE_V1);
            expect(statement.subject[0].digest.sha256).to.equal(provenance.stable.digest.slice("sha256:".length));
            const external = statement.predicate.buildDefinition.externalParameters;
            expect(external).to.deep.include({ trainingRunId: "run-7", datasetHash: `sha256:${"e".repeat(64)}` });
            expect(external.source.revision).to.equal("0123456789abcdef");
            const files = statement.predicate.buildDefinition.resolvedDependencies.filter((d: any) => d.name.startsWith("models/"));
            const modelDir = path.resolve(__dirname, "../../models/iris/v1");
            const onDisk = fs.readdirSync(modelDir).sort();
            expect(files.map((d: any) => d.name)).to.deep.equal(onDisk.map((f) => `models/${f}`));
            for (const d of files) {
                const bytes = fs.readFileSync(path.join(modelDir, d.name.slice("models/".length)));
                expect(d.digest.sha256, d.name).to.equal(crypto.createHash("sha256").update(bytes).digest("hex"));
            }

            // The bundle is signed like the images, and its signature is in the provenance record.
            await publishArtifact(reveal(inputsOf("iris-bundle-push")));
            await signLikeEngine(inputsOf("iris-bundle-signature"), binary);
            expect(provenance.bundle.signature?.reference).to.equal(inputsOf("iris-bundle-signature").signatureReference);
            const bundleOk = await verifyWith(binary, provenance.bundle.reference, config.signing);
            expect(bundleOk.code, bundleOk.stderr).to.equal(0);

            // Another key does not verify it; an image signed but never attested has no attestation.
            const otherKeys = generateKeyPair(fs.mkdtempSync(path.join(work, "other-")), KEY_PASSWORD);
            const wrongKey = await run(binary, verifyArgs(provenance.stable.image, otherKeys.pub));
            expect(wrongKey.code, "another key must not verify").not.to.equal(0);
            const v2 = await declare(config, modelFor(baseImage, { version: "v2", modelDir: "models/iris/v2" }));
            await publishArtifact(reveal(v2.inputsOf("iris-v2-image")));
            await signLikeEngine(v2.inputsOf("iris-v2-signature"), binary);
            const unattested = await run(binary, verifyArgs(v2.provenance.stable.image));
            expect(unattested.code, "no attestation, no verification").not.to.equal(0);
            const absent = reveal(v2.inputsOf("iris-v2-attestation"));
            expect((await imageSignatureProvider.read!(absent.reference, absent)).props!.present, "refresh sees the attestation missing next to the signature").to.equal(false);
        });
    }

    it("a signature deleted from the registry: refresh records it absent, the next up signs again (and only then)", async () => {
        const config = stackFor(registry.host, "it-restore", { key: keys.key });
        const { provenance, inputsOf } = await declare(config, modelFor(baseImage));
        await publishArtifact(reveal(inputsOf("iris-v1-image")));
        const inputs = reveal(inputsOf("iris-v1-signature"));
        const outs = await signLikeEngine(inputs);
        const unchanged = await imageSignatureProvider.diff!(outs.reference, outs, inputs);
        expect(unchanged.changes, "an unchanged digest is not signed again").to.equal(false);

        const client = new RegistryClient(registry.host, { plainHttp: true });
        const tag = provenance.stable.signature!.reference.split(":").pop()!;
        const sigManifest = await client.getManifest("it-restore/iris", tag);
        await client.deleteManifest("it-restore/iris", sigManifest!.digest);
        client.close();
        expect((await verify(provenance.stable.image, config.signing)).code).not.to.equal(0);

        const refreshed = await imageSignatureProvider.read!(outs.reference, outs);
        expect(refreshed.props!.present).to.equal(false);
        const diff = await imageSignatureProvider.diff!(outs.reference, refreshed.props, inputs);
        expect(diff.changes).to.equal(true);
        expect(diff.replaces).to.deep.equal([]);
        const updated = await imageSignatureProvider.update!(outs.reference, refreshed.props, inputs);
        expect(updated.outs!.present).to.equal(true);
        expect((await verify(provenance.stable.image, config.signing)).code).to.equal(0);
    });

    it("a cosign of another major version than signing.cosignVersion is refused with the fix, before signing", async function () {
        requireTool(this, "cosign3");
        const config = stackFor(registry.host, "it-mismatch", { key: keys.key, cosignVersion: 2 });
        const { inputsOf } = await declare(config, modelFor(baseImage));
        await publishArtifact(reveal(inputsOf("iris-v1-image")));
        let error: Error | undefined;
        try {
            await signLikeEngine(inputsOf("iris-v1-signature"), cosign3().binary);
        } catch (err) {
            error = err as Error;
        }
        expect(error?.message).to.match(/^signing.cosignVersion is 2, but ".*cosign3" is cosign v3\.\d+\.\d+: set signing.cosignVersion to 3, or put cosign v2 on PATH/);
    });

    it("verifying with the other format's flags fails (the flags matter)", async () => {
        const legacy = stackFor(registry.host, "it-legacy", { key: keys.key, signatureFormat: "legacy" });
        const { provenance, inputsOf } = await declare(legacy, modelFor(baseImage));
        await publishArtifact(reveal(inputsOf("iris-v1-image")));
        await signLikeEngine(inputsOf("iris-v1-signature"));
        const right = await verify(provenance.stable.image, legacy.signing);
        expect(right.code, right.stderr).to.equal(0);
        const wrong = await verify(provenance.stable.image, { ...legacy.signing, signatureFormat: "bundle" });
        expect(wrong.code).not.to.equal(0);
    });

    it("the bundle pulled back is byte-for-byte the YAML we rendered (and its manifests input)", async () => {
        const config = stackFor(registry.host, "it-bundle-roundtrip", { key: keys.key });
        const { provenance, files, inputsOf } = await declare(config, modelFor(baseImage));
        await publishArtifact(reveal(inputsOf("iris-bundle-push")));
        const pulled = await pullBundle(provenance.bundle.reference);
        expect(Object.keys(pulled)).to.deep.equal(["inferenceservice-iris.yaml"]);
        expect(pulled).to.deep.equal(files);
        expect(pulled["inferenceservice-iris.yaml"]).to.contain(`storageUri: oci://${provenance.stable.image}`);
        const app = inputsOf("iris-application");
        expect(app.spec.source.targetRevision).to.equal(provenance.bundle.digest);
    });

    describe("secrets: registry with htpasswd auth", () => {
        let auth: { host: string; stop: () => void };
        let authfile: string;

        before(async function () {
            const hash = spawnSync("python3", ["-c", "import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH)))", REGISTRY_PASSWORD]);
            if (hash.status !== 0 || !hash.stdout.toString().startsWith("$2")) {
                const message = "python3 with crypt (bcrypt) is needed to write the registry's htpasswd";
                if (process.env.CI === "true") throw new Error(message);
                console.warn(`skipping: ${message}`);
                this.skip();
            }
            auth = await startAuthRegistry(path.join(work, "auth"), `${USERNAME}:${hash.stdout.toString().trim()}\n`);
            authfile = path.join(work, "auth.json");
            const token = Buffer.from(`${USERNAME}:${REGISTRY_PASSWORD}`).toString("base64");
            fs.writeFileSync(authfile, JSON.stringify({ auths: { [auth.host]: { auth: token } } }), { mode: 0o600 });
        });
        after(() => auth?.stop());

        it("none of the secret values appears in cosign's arguments, errors, stack outputs, rendered YAML or the bundle; no credentials left on disk", async () => {
            // Copy the composed v1 image into the authenticated registry (test plumbing, not modelship).
            const open = stackFor(registry.host, "it-secrets-src", { key: keys.key });
            const src = await declare(open, modelFor(baseImage));
            await publishArtifact(reveal(src.inputsOf("iris-v1-image")));
            const target = `${auth.host}/secure/iris`;
            const copy = await run("skopeo", [
                "copy",
                "--all",
                "--preserve-digests",
                "--src-tls-verify=false",
                "--dest-tls-verify=false",
                "--dest-authfile",
                authfile,
                `docker://${src.provenance.stable.image}`,
                `docker://${target}:v1`,
            ]);
            expect(copy.code, copy.stderr).to.equal(0);
            const composer: ModelImageComposer = async (o) => {
                const c = await composeModelImage({ ...o, registry: registry.host, repository: "it-secrets-src/iris", connection: { plainHttp: true } });
                return { digest: c.digest, reference: `${o.registry}/${o.repository}@${c.digest}` };
            };

            const config = stackFor(auth.host, "secure", { key: keys.key }, USERNAME);
            const { provenance, files, inputsOf, recorded } = await declare(config, modelFor(baseImage), composer);
            expect(provenance.stable.image).to.equal(`${target}@${src.provenance.stable.digest}`);

            const signature = inputsOf("iris-v1-signature");
            const leftBefore = leftoverDockerConfigs();
            await signLikeEngine(signature);
            // A failing run (the registry refuses a wrong password, one that contains the real one)
            // reports cosign's error without the password.
            const wrongPassword = { ...signature, password: pulumi.secret(`${REGISTRY_PASSWORD}-wrong`) };
            let failure = "";
            await signLikeEngine(wrongPassword).catch((err: Error) => (failure = err.message));
            expect(failure).to.match(/^cosign sign of .* failed \(exit \d+\)/);
            expect(failure).to.match(/UNAUTHORIZED|401|authentication required/i);
            expect(leftoverDockerConfigs(), "the private DOCKER_CONFIG is removed after each run").to.deep.equal(leftBefore);
            // The bundle is pushed with the password from the push resource's (secret) inputs.
            await publishArtifact(reveal(inputsOf("iris-bundle-push")));
            const pulled = await pullBundle(provenance.bundle.reference, authfile);
            expect(pulled).to.deep.equal(files);

            // Verification through a docker config of the test's own.
            const dockerConfig = path.join(work, "docker");
            fs.mkdirSync(dockerConfig, { recursive: true });
            fs.copyFileSync(authfile, path.join(dockerConfig, "config.json"));
            const ok = await verify(provenance.stable.image, config.signing, { DOCKER_CONFIG: dockerConfig });
            expect(ok.code, ok.stderr).to.equal(0);

            const haystacks: Record<string, string> = {
                "cosign arguments": JSON.stringify(signature.args),
                "cosign failure message": failure,
                "stack output (provenance record)": JSON.stringify(provenance),
                "rendered YAML": JSON.stringify(files),
                "bundle pulled from the registry": JSON.stringify(pulled),
                "bundle manifests input": JSON.stringify(inputsOf("iris-bundle-push").manifests),
                Application: JSON.stringify(inputsOf("iris-application")),
            };
            for (const [where, text] of Object.entries(haystacks)) {
                for (const secret of SECRETS) expect(text, `${where} must not contain a secret`).not.to.contain(secret);
            }
            // Wherever a secret is an input (push password, repository Secret, signature environment), it is a Pulumi secret.
            for (const res of recorded) {
                const plainText = JSON.stringify(stripSecrets(res.inputs));
                for (const secret of SECRETS) expect(plainText, `${res.key} holds a secret outside a Pulumi secret`).not.to.contain(secret);
            }
        });
    });
});

/** Drops Pulumi-secret values (what state encrypts) so only plaintext remains. */
function stripSecrets(v: any): any {
    if (typeof v === "object" && v !== null && v["4dabf18193072939515e22adb298388d"] === "1b47061264138c4ac30d75fd1eb44270") return "[secret]";
    if (Array.isArray(v)) return v.map(stripSecrets);
    if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, stripSecrets(x)]));
    return v;
}

/** docker-registry with htpasswd auth on a free port (the shared harness runs anonymous registries). */
async function startAuthRegistry(dir: string, htpasswd: string): Promise<{ host: string; stop: () => void }> {
    fs.mkdirSync(path.join(dir, "storage"), { recursive: true });
    fs.writeFileSync(path.join(dir, "htpasswd"), htpasswd);
    const port = await freePort();
    const config = path.join(dir, "config.yml");
    fs.writeFileSync(
        config,
        [
            "version: 0.1",
            "log:",
            "  level: error",
            "storage:",
            "  filesystem:",
            `    rootdirectory: ${path.join(dir, "storage")}`,
            "auth:",
            "  htpasswd:",
            "    realm: modelship-test",
            `    path: ${path.join(dir, "htpasswd")}`,
            "http:",
            `  addr: 127.0.0.1:${port}`,
            "",
        ].join("\n"),
    );
    const child = spawn(REGISTRY_BINARY, ["serve", config], { stdio: "ignore" });
    const deadline = Date.now() + 15000;
    while (Date.now() < deadline) {
        const r = spawnSync("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", `http://127.0.0.1:${port}/v2/`]);
        if (r.stdout.toString() === "401") return { host: `127.0.0.1:${port}`, stop: () => child.kill("SIGKILL") };
        await new Promise((res) => setTimeout(res, 100));
    }
    child.kill("SIGKILL");
    throw new Error("the htpasswd registry did not start");
}
