// End to end: the real program (index.ts) under the real Pulumi engine, against real parts only:
// Debian's docker-registry, the real cosign, and a real Kubernetes control plane (etcd,
// kube-apiserver, kube-controller-manager built from k8s.io/kubernetes) holding the upstream CRDs.
//
// The stack is the dev stack's config (Pulumi.dev.yaml) pointed at this run's registry and cluster
// instead of rendering YAML: platform charts stay off (they cannot be fetched offline), the Kyverno
// signature policy, the Argo CD repository Secrets and Applications are applied for real. Steps:
//   preview with the policy pack (exact digests, policies pass on the model resources) → up →
//   digests in outputs = preview = what the registry serves → cosign verify of what ImageSignature
//   made → every Kubernetes object read back from the API server equals what was declared → a second
//   up changes nothing and writes nothing to the registry → a deleted signature is restored by
//   `up --refresh` → a mirror serving an unpinned image fails the preview (exit 1) and the audit
//   lists it → destroy leaves nothing in the API server.
// Nothing leaves 127.0.0.1. Run with `npm run e2e` (bash .ci/run runs it on every CI run).
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { RegistryClient } from "../../components/oci/remote";
import { SLSA_PROVENANCE_V1 } from "../../components/supply-chain/provenance";
import { cosignVerifyArgs, EMPTY_TRUSTED_ROOT } from "../../components/release/signing";
import * as zlib from "zlib";
import { ControlPlane, startControlPlane } from "../support/control-plane";
import { builtInKubernetesTypes, caseConfig, cases, collectObjects, declareWholeProgram } from "../support/declared-objects";
import { IMAGE_SIGNATURE, installReleaseMocks, OCI_ARTIFACT } from "../release/support";
import { untar } from "../support/tar";
import { expectSuccess, parseEvents, plannedResources, policyResults, pulumi, PulumiProject, toolchainEnvironment, urnName } from "../support/pulumi-cli";
import { LocalRegistry, requireTool, seedBusyboxBase, startRegistry } from "../support/registry";

const repo = path.resolve(__dirname, "..", "..");
const upstreamCrds = process.env.MODELSHIP_UPSTREAM_DIR ? path.join(process.env.MODELSHIP_UPSTREAM_DIR, "crds") : path.resolve(repo, "..", "shared", "upstream", "crds");
const KEY_PASSWORD = `key-${process.pid}-${Date.now()}`;
const POLICY = ["--policy-pack", path.join(repo, "policy"), "--policy-pack-config", path.join(repo, "policy", "config", "dev.json")];

interface StateResource {
    urn: string;
    type: string;
    custom?: boolean;
    inputs?: Record<string, any>;
    outputs?: Record<string, any>;
}

describe("e2e: the real program under the real engine, against a real registry, cosign and Kubernetes API server", function () {
    this.timeout(15 * 60_000);
    let run: string;
    let registry: LocalRegistry;
    let cluster: ControlPlane;
    let project: PulumiProject;
    let writes = () => 0;
    const previewDigests = new Map<string, string>();
    let outputs: Record<string, any>;
    let liveObjects: { urn: string; path: string }[] = [];

    before(async function () {
        const env = toolchainEnvironment();
        for (const tool of [
            "pulumi",
            "pulumi-resource-kubernetes",
            "pulumi-language-nodejs",
            "cosign",
            "skopeo",
            "/usr/bin/docker-registry",
            "etcd",
            "kube-apiserver",
            "kube-controller-manager",
        ]) {
            const found = tool.startsWith("/") ? fs.existsSync(tool) : spawnSync("sh", ["-c", `command -v ${tool}`], { env }).status === 0;
            if (!found) requireTool(this, tool); // fails under CI=true, skips (naming the tool) elsewhere
        }
        process.env.PATH = env.PATH;
        run = fs.mkdtempSync(path.join(os.tmpdir(), "modelship-e2e-"));
        fs.mkdirSync(path.join(run, "logs"));

        registry = await startRegistry({ accessLog: true });
        writes = () => registry.writeRequests();
        const baseImage = await seedBusyboxBase(registry.host);

        cluster = await startControlPlane({ runDir: path.join(run, "cluster") });
        await cluster.applyCrds(upstreamCrds);
        // What the platform would create (its charts are off here): Argo CD's namespace. The model
        // namespace is Argo CD's to create (CreateNamespace=true) and is not needed by the program.
        await cluster.createNamespace("argocd");
        await cluster.createNamespace("models"); // only for the dry-run creates of bundled InferenceServices

        // A project directory of the run: the repository's Pulumi.yaml and index.ts (linked, so the
        // program is the repository's), a copy of the models, and a stack config derived from Pulumi.dev.yaml.
        const dir = path.join(run, "project");
        fs.mkdirSync(dir);
        for (const f of ["Pulumi.yaml", "tsconfig.json", "package.json"]) fs.copyFileSync(path.join(repo, f), path.join(dir, f));
        for (const f of ["index.ts", "node_modules"]) fs.symlinkSync(path.join(repo, f), path.join(dir, f));
        // Copied, not linked: model directories must lie inside the project (models[].allowOutsideProject).
        fs.cpSync(path.join(repo, "models"), path.join(dir, "models"), { recursive: true });
        const keygen = spawnSync("cosign", ["generate-key-pair"], { cwd: dir, env: { ...env, COSIGN_PASSWORD: KEY_PASSWORD }, encoding: "utf8" });
        if (keygen.status !== 0) throw new Error(`cosign generate-key-pair: ${keygen.stderr}`);

        project = {
            dir,
            stack: "e2e",
            logs: path.join(run, "logs"),
            env: {
                ...env,
                PULUMI_BACKEND_URL: `file://${path.join(run, "state")}`,
                PULUMI_CONFIG_PASSPHRASE: `e2e-${process.pid}`,
                KUBECONFIG: cluster.kubeconfigPath,
                MODELSHIP_CACHE: path.join(run, "modelship-cache"),
            },
        };
        fs.mkdirSync(path.join(run, "state"));
        expectSuccess(await pulumi(project, ["stack", "init", project.stack]), "pulumi stack init");
        const stackFile = path.join(dir, `Pulumi.${project.stack}.yaml`);
        const settings = YAML.parse(fs.readFileSync(stackFile, "utf8")) ?? {};
        settings.config = e2eConfig(registry.host, baseImage, cluster.context);
        fs.writeFileSync(stackFile, YAML.stringify(settings));
        expectSuccess(await pulumi(project, ["config", "set", "--secret", "modelship:signingKeyPassword", KEY_PASSWORD, "--stack", project.stack]), "pulumi config set --secret");
    });

    after(async () => {
        await cluster?.stop();
        await registry?.stop();
        if (run && process.env.MODELSHIP_E2E_KEEP !== "1") fs.rmSync(run, { recursive: true, force: true });
        else if (run) console.log(`      run directory kept: ${run}`);
    });

    it("preview with the policy pack shows the exact digests, and the policies pass on the model resources", async () => {
        const preview = await pulumi(project, ["preview", "--json", "--stack", project.stack, ...POLICY], {
            env: { PULUMI_ENABLE_STREAMING_JSON_PREVIEW: "true" },
        });
        expectSuccess(preview, "pulumi preview");
        const events = parseEvents(preview.stdout);
        const planned = plannedResources(events);
        for (const r of planned.filter((p) => p.type === OCI_ARTIFACT)) {
            expect(r.inputs.digest, `${r.urn} digest at preview`).to.match(/^sha256:[a-f0-9]{64}$/);
            previewDigests.set(urnName(r.urn), r.inputs.digest);
        }
        expect([...previewDigests.keys()].sort()).to.deep.equal(["iris-bundle-push", "iris-v1-image", "iris-v2-image"]);
        const signatures = planned.filter((p) => p.type === IMAGE_SIGNATURE);
        expect(signatures.map((s) => s.inputs.reference).sort()).to.deep.equal(
            [
                ...["iris-v1-image", "iris-v2-image"].map((n) => `${registry.host}/modelship/iris@${previewDigests.get(n)}`),
                `${registry.host}/modelship/iris-manifests@${previewDigests.get("iris-bundle-push")}`,
            ].sort(),
        );
        const app = planned.find((p) => p.type === "kubernetes:argoproj.io/v1alpha1:Application");
        expect(app?.inputs.spec.source.targetRevision).to.equal(previewDigests.get("iris-bundle-push"));

        const { violations, passed } = policyResults(events);
        const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory");
        expect(mandatory, JSON.stringify(mandatory, null, 2)).to.deep.equal([]);
        // The policies ran on the model resources, not only on the stack.
        const passedOn = (policy: string) => passed.filter((p) => p.policy === policy).map((p) => urnName(p.urn ?? ""));
        expect(passedOn("require-digest-pinned-storage-uri")).to.include("iris-bundle-push");
        expect(passedOn("require-digest-pinned-argocd-source")).to.include("iris-application");
        expect(passedOn("restrict-image-registries")).to.include.members(["iris-v1-image", "iris-v2-image", "iris-bundle-push"]);
        expect(events.some((e) => e.policyAnalyzeStackSummaryEvent?.passed?.includes("require-model-signature"))).to.equal(true);
        expect(events.some((e) => e.policyAnalyzeStackSummaryEvent?.passed?.includes("require-kyverno-signature-policy"))).to.equal(true);
        for (const policy of ["require-provenance-attestation", "require-bundle-signature"]) {
            expect(
                events.some((e) => e.policyAnalyzeStackSummaryEvent?.passed?.includes(policy)),
                `${policy} passed at preview`,
            ).to.equal(true);
        }
        const attestations = planned.filter((p) => p.type === IMAGE_SIGNATURE.replace("ImageSignature", "ImageAttestation"));
        expect(attestations.map((a) => a.inputs.predicate.buildDefinition.externalParameters.model.version).sort()).to.deep.equal(["v1", "v2"]);
        fs.writeFileSync(path.join(run, "preview-events.jsonl"), preview.stdout);

        // The audit report of this preview: per model, image → signature → attestation, bundle → signature → Application.
        const out = path.join(run, "preview-report");
        const audit = spawnSync(
            process.execPath,
            ["-r", "ts-node/register/transpile-only", path.join(repo, "scripts", "audit.ts"), "--stack", "dev", "--events", path.join(run, "preview-events.jsonl"), "--out", out],
            {
                cwd: repo,
                encoding: "utf8",
                timeout: 120_000,
            },
        );
        expect(audit.status, audit.stderr).to.equal(0);
        const md = fs.readFileSync(path.join(out, "policy-report.md"), "utf8");
        expect(md).to.contain("### iris ✅ complete");
        expect(md).to.match(/```mermaid\nflowchart LR/);
        fs.copyFileSync(path.join(out, "policy-report.md"), path.join(run, "supply-chain-report.md"));
    });

    it("up pushes the previewed digests, signs them and applies the Kubernetes objects", async () => {
        expectSuccess(await pulumi(project, ["up", "--yes", "--skip-preview", "--stack", project.stack, ...POLICY]), "pulumi up");
        outputs = JSON.parse(expectSuccess(await pulumi(project, ["stack", "output", "--json", "--stack", project.stack]), "stack output").stdout);
        const iris = outputs.models.iris;
        expect(iris.stable.digest).to.equal(previewDigests.get("iris-v1-image"));
        expect(iris.canary.digest).to.equal(previewDigests.get("iris-v2-image"));
        expect(iris.bundle.digest).to.equal(previewDigests.get("iris-bundle-push"));
        expect(iris.application.targetRevision).to.equal(iris.bundle.digest);
        const client = new RegistryClient(registry.host, { plainHttp: true });
        try {
            for (const ref of [iris.stable.image, iris.canary.image, iris.bundle.reference]) {
                const [repository, digest] = ref.slice(registry.host.length + 1).split("@");
                const served = await client.getManifest(repository, digest);
                expect(served?.digest, `registry serves ${ref}`).to.equal(digest);
            }
        } finally {
            client.close();
        }
    });

    it("the signatures and provenance attestations made by the engine verify with cosign and the flags the Kyverno policy implies; the bundle is signed too", () => {
        const trustedRoot = path.join(run, "trusted_root.json");
        fs.writeFileSync(trustedRoot, EMPTY_TRUSTED_ROOT);
        const iris = outputs.models.iris;
        const signing = { transparencyLog: false, signatureFormat: iris.stable.signature.format };
        expect(signing.signatureFormat).to.equal("bundle");
        const cosign = (args: string[]) => spawnSync("cosign", args, { encoding: "utf8", timeout: 60_000 });
        const key = `--key=${path.join(project.dir, "cosign.pub")}`;
        const flags = cosignVerifyArgs(signing, { plainHttp: true }, { trustedRoot });
        for (const image of [iris.stable.image, iris.canary.image]) {
            const verify = cosign(["verify", key, ...flags, image]);
            expect(verify.status, verify.stderr).to.equal(0);
            expect(JSON.parse(verify.stdout)[0].critical.image["docker-manifest-digest"]).to.equal(image.split("@")[1]);
            const attested = cosign(["verify-attestation", key, `--type=${SLSA_PROVENANCE_V1}`, ...flags, image]);
            expect(attested.status, attested.stderr).to.equal(0);
        }
        expect(iris.stable.attestation.predicateType).to.equal(SLSA_PROVENANCE_V1);
        const bundle = cosign(["verify", key, ...flags, iris.bundle.reference]);
        expect(bundle.status, bundle.stderr).to.equal(0);
        expect(iris.bundle.signature.format).to.equal("bundle");
    });

    it("every Kubernetes object of the stack, read back from the API server, holds what was declared", async () => {
        const state = await exportState(project);
        const declared = state.filter((r) => r.custom !== false && r.type.startsWith("kubernetes:") && !r.type.startsWith("pulumi:providers:"));
        expect(declared.map((r) => `${r.type}::${urnName(r.urn)}`).sort()).to.deep.equal(
            [
                "kubernetes:argoproj.io/v1alpha1:Application::iris-application",
                "kubernetes:core/v1:Secret::iris-repository",
                "kubernetes:core/v1:Secret::platform-argocd-registry-creds",
                "kubernetes:policies.kyverno.io/v1:ImageValidatingPolicy::platform-signature-policy",
            ].sort(),
        );
        liveObjects = [];
        for (const r of declared) {
            const inputs = r.inputs ?? {};
            const apiPath = await cluster.objectPath(inputs.apiVersion, inputs.kind, r.outputs?.metadata?.name ?? inputs.metadata?.name, inputs.metadata?.namespace);
            const live = await cluster.request("GET", apiPath);
            liveObjects.push({ urn: r.urn, path: apiPath });
            const { stringData, ...rest } = withoutPulumiFields(inputs);
            expectSubset(live, rest, urnName(r.urn));
            if (stringData) {
                // The API server turns stringData into data (base64).
                for (const [k, v] of Object.entries(stringData)) expect(Buffer.from(live.data[k], "base64").toString(), `${urnName(r.urn)} data.${k}`).to.equal(v);
            }
        }
        // One release's objects as the API server returned them (for the log; managedFields dropped).
        for (const o of liveObjects.filter((x) => /::iris-(application|repository)$/.test(x.urn))) {
            const live = await cluster.request("GET", o.path);
            delete live.metadata.managedFields;
            if (live.data) live.data = Object.fromEntries(Object.keys(live.data).map((k) => [k, "<base64>"]));
            console.log(YAML.stringify(live).replace(/^/gm, "        "));
        }
    });

    it("the bundle Argo CD would sync, pulled from the registry, is accepted by the API server (dry run, strict field validation)", async () => {
        const [repository, digest] = outputs.models.iris.bundle.reference.slice(registry.host.length + 1).split("@");
        const client = new RegistryClient(registry.host, { plainHttp: true });
        let files: Record<string, string>;
        try {
            const manifest = JSON.parse((await client.getManifest(repository, digest))!.bytes.toString("utf8"));
            files = untar(zlib.gunzipSync(await client.getBlob(repository, manifest.layers[0].digest)));
        } finally {
            client.close();
        }
        const objects = Object.values(files).flatMap((text) => YAML.parseAllDocuments(text).map((d) => d.toJSON()));
        expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).to.deep.equal(["InferenceService/iris"]);
        for (const o of objects) await dryRunCreate(cluster, o);
        // The check can fail: the same object with a misspelt field is refused, not pruned.
        const misspelt = structuredClone(objects[0]);
        misspelt.spec.predictor.model.storageURI = misspelt.spec.predictor.model.storageUri;
        let refused = "";
        await dryRunCreate(cluster, misspelt).catch((err: Error) => (refused = err.message));
        expect(refused).to.match(/unknown field "spec\.predictor\.model\.storageURI"/);
        console.log(`      bundle ${digest.slice(0, 19)}…: ${objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`).join(", ")} accepted`);
    });

    it("every object modelship declares or bundles, for dev and prod, both KServe modes, canary on and off, is accepted by the API server (dry run, strict)", async () => {
        installReleaseMocks();
        const builtIn = builtInKubernetesTypes();
        const accepted: string[] = [];
        for (const { stack, mode, canary } of cases) {
            await declareWholeProgram(caseConfig(stack, mode, canary));
            for (const [kind, objects] of collectObjects(builtIn).custom) {
                for (const { object } of objects) {
                    await dryRunCreate(cluster, object);
                    accepted.push(`${stack}/${mode}/canary-${canary ? "on" : "off"} ${kind}`);
                }
            }
        }
        expect(accepted, "3 custom objects per case: InferenceService, Application, ImageValidatingPolicy").to.have.length(cases.length * 3);
        console.log(`      ${accepted.length} objects in ${cases.length} cases accepted`);
    });

    it("a second up changes nothing and writes nothing to the registry", async () => {
        const before = writes();
        const again = expectSuccess(await pulumi(project, ["up", "--yes", "--skip-preview", "--expect-no-changes", "--stack", project.stack, ...POLICY]), "second pulumi up");
        expect(again.stdout).to.match(/\b\d+ unchanged\b/);
        expect(writes() - before, "registry write requests during the second up").to.equal(0);
    });

    it("a signature deleted from the registry is made again by up --refresh", async () => {
        const image: string = outputs.models.iris.stable.image;
        const sigTag: string = outputs.models.iris.stable.signature.reference.split(":").pop();
        const repository = image.slice(registry.host.length + 1).split("@")[0];
        const client = new RegistryClient(registry.host, { plainHttp: true });
        try {
            const sig = await client.getManifest(repository, sigTag);
            expect(sig, "signature present before").not.to.equal(undefined);
            await client.deleteManifest(repository, sig!.digest);
            expect(await client.manifestExists(repository, sigTag)).to.equal(false);
            const up = expectSuccess(await pulumi(project, ["up", "--yes", "--skip-preview", "--refresh", "--stack", project.stack, ...POLICY]), "pulumi up --refresh");
            expect(up.stdout).to.match(/iris-v1-signature/);
            expect(await client.manifestExists(repository, sigTag), "signature restored").to.equal(true);
        } finally {
            client.close();
        }
    });

    it("a mirror serving an unpinned image fails the preview (exit 1), and the audit lists the violation", async () => {
        const mirror = await serveKnativeMirror();
        try {
            const stackFile = path.join(project.dir, `Pulumi.${project.stack}.yaml`);
            const original = fs.readFileSync(stackFile, "utf8");
            const settings = YAML.parse(original);
            settings.config["modelship:platform"].knative = { enabled: true, version: "1.21.1", manifestBaseUrl: mirror.url };
            await cluster.createNamespace("knative-serving");
            fs.writeFileSync(stackFile, YAML.stringify(settings));
            try {
                const preview = await pulumi(project, ["preview", "--json", "--stack", project.stack, ...POLICY], { env: { PULUMI_ENABLE_STREAMING_JSON_PREVIEW: "true" } });
                expect(preview.code, `preview must fail on the unpinned image (log: ${preview.log})`).to.equal(1);
                const events = path.join(run, "unpinned-events.jsonl");
                fs.writeFileSync(events, preview.stdout);
                const out = path.join(run, "unpinned-report");
                const audit = spawnSync(
                    process.execPath,
                    ["-r", "ts-node/register/transpile-only", path.join(repo, "scripts", "audit.ts"), "--stack", "dev", "--events", events, "--out", out],
                    {
                        cwd: repo,
                        encoding: "utf8",
                        timeout: 120_000,
                    },
                );
                expect(audit.status, audit.stderr).to.equal(1);
                const report = JSON.parse(fs.readFileSync(path.join(out, "policy-report.json"), "utf8"));
                const failures = report.results
                    .filter((r: any) => r.outcome === "fail" && r.enforcementLevel === "mandatory")
                    .map((r: any) => `${r.policy} ${r.resourceName} ${r.messages.join(" ")}`)
                    .join("\n");
                expect(failures).to.match(/require-digest-pinned-images .*mirror\.invalid\/kourier:v1\.21\.0/);
                expect(fs.readFileSync(path.join(out, "policy-report.md"), "utf8")).to.contain("mirror.invalid/kourier:v1.21.0");
            } finally {
                fs.writeFileSync(stackFile, original);
            }
        } finally {
            mirror.close();
        }
    });

    it("destroy leaves nothing modelship declared in the API server", async () => {
        // No Argo CD runs here: do what its controller does for a deleted Application with the
        // resources finalizer (prune, then drop the finalizer), or the delete would wait forever.
        const stopArgo = cluster.releaseFinalizers("argoproj.io", "v1alpha1", "applications", "resources-finalizer.argocd.argoproj.io");
        try {
            expectSuccess(await pulumi(project, ["destroy", "--yes", "--skip-preview", "--stack", project.stack], { timeoutMs: 600_000 }), "pulumi destroy");
        } finally {
            stopArgo();
        }
        expect(liveObjects.length).to.be.greaterThan(0);
        for (const o of liveObjects) {
            const status = await cluster.status("GET", o.path);
            expect(status, `${urnName(o.urn)} after destroy`).to.equal(404);
        }
        expectSuccess(await pulumi(project, ["stack", "rm", "--yes", "--stack", project.stack]), "pulumi stack rm");
    });
});

let dryRuns = 0;

/**
 * POST with `dryRun=All&fieldValidation=Strict`: the API server validates and rejects unknown fields,
 * stores nothing. Under a fresh name, so an object the stack applied does not answer 409.
 */
async function dryRunCreate(cluster: ControlPlane, declared: Record<string, any>): Promise<void> {
    const object: Record<string, any> = { ...declared, metadata: { ...declared.metadata, name: `dry-run-${++dryRuns}-${declared.metadata.name}` } };
    const itemPath = await cluster.objectPath(object.apiVersion, object.kind, object.metadata.name, object.metadata.namespace);
    const collection = itemPath.slice(0, itemPath.lastIndexOf("/"));
    try {
        await cluster.request("POST", `${collection}?dryRun=All&fieldValidation=Strict`, object);
    } catch (err) {
        throw new Error(`${object.kind}/${object.metadata.name} rejected by the API server: ${(err as Error).message}`, { cause: err });
    }
}

/** The dev stack's config (Pulumi.dev.yaml), pointed at this run's registry, base image and cluster. */
function e2eConfig(registryHost: string, baseImage: string, context: string): Record<string, any> {
    const dev = YAML.parse(fs.readFileSync(path.join(repo, "Pulumi.dev.yaml"), "utf8")).config;
    const config = structuredClone(dev);
    config["modelship:kubernetes"] = { context };
    config["modelship:registry"] = { ...dev["modelship:registry"], host: registryHost };
    config["modelship:models"] = dev["modelship:models"].map((m: any) => ({ ...m, baseImage }));
    return config;
}

async function exportState(project: PulumiProject): Promise<StateResource[]> {
    const exported = expectSuccess(await pulumi(project, ["stack", "export", "--show-secrets", "--stack", project.stack]), "pulumi stack export");
    return revealState(JSON.parse(exported.stdout).deployment.resources ?? []);
}

/** State with secrets shown (`--show-secrets`) holds `{<secret sig>, plaintext: "<json>"}`: the values themselves. */
function revealState(v: any): any {
    if (Array.isArray(v)) return v.map(revealState);
    if (v && typeof v === "object") {
        if (v["4dabf18193072939515e22adb298388d"] === "1b47061264138c4ac30d75fd1eb44270" && typeof v.plaintext === "string") return revealState(JSON.parse(v.plaintext));
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, revealState(x)]));
    }
    return v;
}

/** Declared inputs minus what the provider adds or keeps for itself. */
function withoutPulumiFields(inputs: Record<string, any>): Record<string, any> {
    const { __defaults, ...rest } = inputs;
    const metadata = { ...(rest.metadata ?? {}) };
    delete metadata.__defaults;
    if (metadata.annotations) {
        metadata.annotations = Object.fromEntries(Object.entries(metadata.annotations).filter(([k]) => !k.startsWith("pulumi.com/")));
    }
    return { ...rest, metadata };
}

/** Every field of `expected` is in `actual` with the same value (objects recursively, arrays element-wise). */
function expectSubset(actual: any, expected: any, where: string): void {
    if (expected === null || typeof expected !== "object") {
        expect(actual, where).to.equal(expected);
        return;
    }
    if (Array.isArray(expected)) {
        expect(actual, where).to.be.an("array").with.length(expected.length);
        expected.forEach((e, i) => expectSubset(actual[i], e, `${where}[${i}]`));
        return;
    }
    expect(actual, where).to.be.an("object");
    for (const [k, v] of Object.entries(expected)) expectSubset(actual[k], v, `${where}.${k}`);
}

/**
 * A Knative release mirror on 127.0.0.1 (platform.knative.manifestBaseUrl) whose kourier.yaml runs
 * an image by tag: what a user gets from a mirror that rewrote images without digests.
 */
async function serveKnativeMirror(): Promise<{ url: string; close: () => void }> {
    const files: Record<string, string> = {
        "serving-crds.yaml": "",
        "serving-core.yaml": YAML.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "config-network", namespace: "knative-serving" }, data: {} }),
        "kourier.yaml": YAML.stringify({
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: "net-kourier-controller", namespace: "knative-serving" },
            spec: {
                selector: { matchLabels: { app: "net-kourier-controller" } },
                template: { metadata: { labels: { app: "net-kourier-controller" } }, spec: { containers: [{ name: "controller", image: "mirror.invalid/kourier:v1.21.0" }] } },
            },
        }),
    };
    const server = http.createServer((req, res) => {
        const name = (req.url ?? "").split("/").pop() ?? "";
        if (!(name in files)) {
            res.writeHead(404).end();
            return;
        }
        res.writeHead(200, { "content-type": "application/yaml" }).end(files[name]);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    return { url: `http://127.0.0.1:${port}/`, close: () => server.close() };
}
