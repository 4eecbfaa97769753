import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../components/config/schema";
import { validateStackConfig } from "../../components/config/validate";
import { Platform } from "../../components/platform/platform";
import { RecordedResource, recorder, unwrap } from "../support/pulumi-mocks";
import { allSecrets, devOnClusterRaw, noSecrets, stackFileRaw, testPublicKeyPem } from "../config/fixtures";

function stackConfig(stack: "dev" | "prod", change?: (raw: Record<string, any>) => void): StackConfig {
    // dev as on a kind cluster (Pulumi.dev.yaml itself renders to a directory with the pieces off).
    const raw = stack === "dev" ? devOnClusterRaw() : stackFileRaw(stack);
    change?.(raw);
    const result = validateStackConfig(raw, stack === "prod" ? allSecrets : noSecrets);
    if (!result.ok) {
        throw new Error(JSON.stringify(result.problems));
    }
    return result.config;
}

/** Declares a Platform and waits until every child is registered (awaiting each child's urn). */
async function declare(cfg: StackConfig, registryPassword?: pulumi.Input<string>): Promise<Platform> {
    recorder.reset();
    const platform = new Platform("platform", { platform: cfg.platform, registry: cfg.registry, signing: cfg.signing, registryPassword });
    const children: pulumi.Resource[] = [];
    const collect = (v: unknown): void => {
        if (pulumi.Resource.isInstance(v)) {
            children.push(v);
        } else if (v && typeof v === "object") {
            Object.values(v).forEach(collect);
        }
    };
    collect(platform.resources);
    await unwrap(platform.urn);
    for (const child of children) {
        await unwrap(child.urn);
    }
    return platform;
}

/** The mocks record a secret input as `{ [specialSecretSig]: secretSig, value }`; unwrap it and say whether it was secret. */
function recordedSecret(v: any): { secret: boolean; value: any } {
    const sig = pulumi.runtime.specialSigKey;
    if (v && typeof v === "object" && v[sig] === pulumi.runtime.specialSecretSig) {
        return { secret: true, value: recordedSecret(v.value).value };
    }
    return { secret: false, value: v };
}

const keys = (): string[] => recorder.resources.map((r) => r.key).sort();
const named = (name: string): RecordedResource => recorder.named(name);

const CHART = "kubernetes:helm.sh/v4:Chart";
const NS = "kubernetes:core/v1:Namespace";
const SECRET = "kubernetes:core/v1:Secret";
const CONFIGFILE = "kubernetes:yaml/v2:ConfigFile";
const IVP = "kubernetes:policies.kyverno.io/v1:ImageValidatingPolicy";
const PASSWORD = "pulumi-nodejs:dynamic/modelship:GeneratedPassword";

const devResources = [
    "modelship:platform:Platform::platform",
    `${NS}::platform-cert-manager-namespace`,
    `${CHART}::platform-cert-manager`,
    `${CONFIGFILE}::platform-knative-crds`,
    `${CONFIGFILE}::platform-knative-core`,
    `${CONFIGFILE}::platform-kourier`,
    "kubernetes:core/v1:ConfigMapPatch::platform-knative-network",
    `${NS}::platform-kserve-namespace`,
    `${CHART}::platform-kserve-crd`,
    `${CHART}::platform-kserve`,
    `${CHART}::platform-kserve-runtime-configs`,
    `${NS}::platform-argocd-namespace`,
    `${PASSWORD}::platform-argocd-redis-password`,
    `${SECRET}::platform-argocd-redis`,
    `${CHART}::platform-argocd`,
    `${SECRET}::platform-argocd-registry-creds`,
    `${NS}::platform-kyverno-namespace`,
    `${CHART}::platform-kyverno`,
    `${IVP}::platform-signature-policy`,
].sort();

describe("Platform (mocks)", function () {
    before(async () => {
        // The shared recording mocks, plus a value for the generated password (a dynamic resource
        // whose provider does not run under mocks).
        await pulumi.runtime.setMocks(
            {
                newResource(args: pulumi.runtime.MockResourceArgs) {
                    recorder.resources.push({ type: args.type, name: args.name, inputs: args.inputs, key: `${args.type}::${args.name}` });
                    const state = args.type === PASSWORD ? { ...args.inputs, value: "generated-in-mock" } : args.inputs;
                    return { id: args.inputs.name ?? `${args.name}-id`, state };
                },
                call: (args: pulumi.runtime.MockCallArgs) => args.inputs,
            },
            "modelship",
            "dev",
            false,
        );
    });

    describe("dev on a kind cluster: Knative + Kourier, plain-HTTP localhost registry, offline signatures", () => {
        let platform: Platform;
        before(async () => {
            platform = await declare(stackConfig("dev"));
        });

        it("registers exactly these resources", () => {
            expect(keys()).to.deep.equal(devResources);
        });

        it("cert-manager: pinned https chart with its CRDs", () => {
            const chart = named("platform-cert-manager");
            expect(chart.type).to.equal(CHART);
            expect(chart.inputs).to.deep.include({ chart: "cert-manager", version: "v1.17.0", name: "cert-manager", namespace: "cert-manager" });
            expect(chart.inputs.repositoryOpts).to.deep.equal({ repo: "https://charts.jetstack.io" });
            expect(chart.inputs.values).to.deep.equal({ crds: { enabled: true, keep: true } });
            expect(named("platform-cert-manager-namespace").inputs.metadata).to.deep.equal({ name: "cert-manager" });
        });

        it("KServe: the three OCI charts at v0.20.0, modelcar keys set explicitly, Knative mode", () => {
            for (const [resource, chart] of [
                ["platform-kserve-crd", "kserve-crd"],
                ["platform-kserve", "kserve-resources"],
                ["platform-kserve-runtime-configs", "kserve-runtime-configs"],
            ]) {
                const r = named(resource);
                expect(r.inputs, resource).to.deep.include({ chart: `oci://ghcr.io/kserve/charts/${chart}`, version: "v0.20.0", namespace: "kserve" });
                expect(r.inputs.repositoryOpts, resource).to.equal(undefined);
            }
            expect(named("platform-kserve").inputs.values).to.deep.equal({
                kserve: {
                    storage: { enableModelcar: true, uidModelcar: 1010, cpuModelcar: "10m", memoryModelcar: "15Mi" },
                    controller: { deploymentMode: "Knative", gateway: { disableIstioVirtualHost: true } },
                },
            });
            expect(named("platform-kserve-runtime-configs").inputs.values).to.deep.equal({ kserve: { servingruntime: { enabled: true } } });
        });

        it("Knative Serving 1.21.1 and Kourier 1.21.0 from pinned release manifests, Kourier as ingress class", () => {
            expect(named("platform-knative-crds").inputs.file).to.equal("https://github.com/knative/serving/releases/download/knative-v1.21.1/serving-crds.yaml");
            expect(named("platform-knative-core").inputs.file).to.equal("https://github.com/knative/serving/releases/download/knative-v1.21.1/serving-core.yaml");
            expect(named("platform-kourier").inputs.file).to.equal("https://github.com/knative-extensions/net-kourier/releases/download/knative-v1.21.0/kourier.yaml");
            const patch = named("platform-knative-network");
            expect(patch.inputs.metadata).to.deep.equal({ name: "config-network", namespace: "knative-serving", annotations: { "pulumi.com/patchForce": "true" } });
            expect(patch.inputs.data).to.deep.equal({ "ingress-class": "kourier.ingress.networking.knative.dev" });
        });

        it("Argo CD: chart argo-cd 9.4.17, OCI layer media types in params, redis hook replaced by our Secret", () => {
            const chart = named("platform-argocd");
            expect(chart.inputs).to.deep.include({ chart: "argo-cd", version: "9.4.17", name: "argocd", namespace: "argocd" });
            expect(chart.inputs.repositoryOpts).to.deep.equal({ repo: "https://argoproj.github.io/argo-helm" });
            expect(chart.inputs.values.configs.params).to.deep.equal({
                "reposerver.oci.layer.media.types":
                    "application/vnd.oci.image.layer.v1.tar,application/vnd.oci.image.layer.v1.tar+gzip,application/vnd.cncf.helm.chart.content.v1.tar+gzip",
            });
            expect(chart.inputs.values.redisSecretInit).to.deep.equal({ enabled: false });
            // Dev's own values are merged last.
            expect(chart.inputs.values.dex).to.deep.equal({ enabled: false });
            const redis = named("platform-argocd-redis");
            expect(redis.inputs.metadata).to.deep.include({ name: "argocd-redis", namespace: "argocd" });
            expect(redis.inputs.type).to.equal("Opaque");
            const stringData = recordedSecret(redis.inputs.stringData);
            expect(stringData.secret).to.equal(true);
            expect(stringData.value).to.deep.equal({ auth: "generated-in-mock" });
            expect(named("platform-argocd-redis-password").inputs.bytes).to.equal(24);
        });

        it("the redis password is a secret output", async () => {
            const redisSecret = platform.resources.argocd!.redisSecret;
            expect((await unwrap(redisSecret.stringData)).isSecret).to.equal(true);
        });

        it("Argo CD registry credentials: a type oci repo-creds template for the prefix, plain HTTP forced, no password", () => {
            const creds = named("platform-argocd-registry-creds");
            expect(creds.type).to.equal(SECRET);
            expect(creds.inputs.metadata).to.deep.equal({
                name: "modelship-registry-creds",
                namespace: "argocd",
                labels: { "argocd.argoproj.io/secret-type": "repo-creds", "app.kubernetes.io/managed-by": "modelship" },
            });
            expect(recordedSecret(creds.inputs.stringData).value).to.deep.equal({
                type: "oci",
                url: "oci://localhost:5000/modelship",
                name: "modelship-registry",
                insecureOCIForceHttp: "true",
            });
        });

        it("Kyverno 3.9.0 and the ImageValidatingPolicy: both container lists, offline tlog settings, insecure local registry", () => {
            expect(named("platform-kyverno").inputs).to.deep.include({ chart: "kyverno", version: "3.9.0", name: "kyverno", namespace: "kyverno" });
            expect(named("platform-kyverno").inputs.repositoryOpts).to.deep.equal({ repo: "https://kyverno.github.io/kyverno/" });
            const policy = named("platform-signature-policy");
            expect(policy.type).to.equal(IVP);
            expect(policy.inputs.apiVersion).to.equal("policies.kyverno.io/v1");
            expect(policy.inputs.kind).to.equal("ImageValidatingPolicy");
            expect(policy.inputs.metadata.name).to.equal("modelship-verify-model-images");
            const spec = policy.inputs.spec;
            expect(spec.validationActions).to.deep.equal(["Deny"]);
            expect(spec.matchConstraints).to.deep.equal({
                resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["pods"] }],
            });
            expect(spec.matchImageReferences).to.deep.equal([{ glob: "localhost:5000/modelship/*" }]);
            expect(spec.attestors).to.deep.equal([
                { name: "modelship", cosign: { key: { data: testPublicKeyPem }, ctlog: { insecureIgnoreTlog: true, insecureIgnoreSCT: true } } },
            ]);
            expect(spec.validationConfigurations).to.deep.equal({ mutateDigest: true, verifyDigest: true, required: true });
            expect(spec.credentials).to.deep.equal({ allowInsecureRegistry: true });
            expect(spec.attestations).to.deep.equal([{ name: "provenance", intoto: { type: "https://slsa.dev/provenance/v1" } }]);
            const only = 'image.startsWith("localhost:5000/modelship/")';
            expect(spec.validations.map((v: { expression: string }) => v.expression)).to.deep.equal([
                `!has(images.containers) || images.containers.filter(image, ${only}).all(image, verifyImageSignatures(image, [attestors.modelship]) > 0)`,
                `!has(images.initContainers) || images.initContainers.filter(image, ${only}).all(image, verifyImageSignatures(image, [attestors.modelship]) > 0)`,
                `!has(images.containers) || images.containers.filter(image, ${only}).all(image, verifyAttestationSignatures(image, attestations.provenance, [attestors.modelship]) > 0)`,
                `!has(images.initContainers) || images.initContainers.filter(image, ${only}).all(image, verifyAttestationSignatures(image, attestations.provenance, [attestors.modelship]) > 0)`,
            ]);
        });

        it("exposes what a release needs", () => {
            expect(platform.argocdNamespace).to.equal("argocd");
            expect(platform.kserveDeploymentMode).to.equal("Knative");
            expect(platform.registryUrl).to.equal("oci://localhost:5000/modelship");
            expect(platform.signaturePolicyName).to.equal("modelship-verify-model-images");
            const r = platform.resources;
            expect(platform.readyDependencies).to.have.members([
                r.certManager!.chart,
                r.knative!.crds,
                r.knative!.core,
                r.knative!.kourier,
                r.knative!.network,
                r.kserve!.crds,
                r.kserve!.controller,
                r.kserve!.runtimes,
                r.argocd!.redisSecret,
                r.argocd!.chart,
                r.argocdRegistryCreds,
                r.kyverno!.chart,
                r.signaturePolicy!.policy,
            ]);
        });
    });

    describe("prod: Standard mode + Gateway API, TLS registry with credentials, online signatures", () => {
        let platform: Platform;
        before(async () => {
            platform = await declare(stackConfig("prod"), pulumi.secret("robot-token"));
        });

        it("registers Gateway API instead of Knative, and a Kyverno registry Secret", () => {
            const expected = devResources
                .filter((k) => !k.includes("knative") && !k.includes("kourier"))
                .concat([`${CONFIGFILE}::platform-gateway-api`, `${SECRET}::platform-kyverno-registry-credentials`])
                .sort();
            expect(keys()).to.deep.equal(expected);
            expect(named("platform-gateway-api").inputs.file).to.equal("https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.1/standard-install.yaml");
        });

        it("KServe runs in Standard mode without the Kourier setting", () => {
            expect(named("platform-kserve").inputs.values.kserve.controller).to.deep.equal({ deploymentMode: "Standard" });
        });

        it("the Argo CD credentials carry the username and the password as a secret output, no plain-HTTP flag", async () => {
            const creds = named("platform-argocd-registry-creds");
            const recorded = recordedSecret(creds.inputs.stringData);
            expect(recorded.secret, "sent to the engine as a secret").to.equal(true);
            expect(recorded.value).to.deep.equal({
                type: "oci",
                url: "oci://ghcr.io/acme-ml/models",
                name: "modelship-registry",
                username: "modelship-bot",
                password: "robot-token",
            });
            const stringData = await unwrap(platform.resources.argocdRegistryCreds.stringData);
            expect(stringData.isSecret).to.equal(true);
            expect(stringData.value).to.deep.include({ password: "robot-token" });
        });

        it("the policy checks the transparency log and reads the registry with the dockerconfigjson Secret", async () => {
            const spec = named("platform-signature-policy").inputs.spec;
            expect(spec.attestors[0].cosign.ctlog).to.deep.equal({ insecureIgnoreTlog: false, insecureIgnoreSCT: true });
            expect(spec.matchImageReferences).to.deep.equal([{ glob: "ghcr.io/acme-ml/models/*" }]);
            expect(spec.credentials).to.deep.equal({ secrets: ["modelship-registry-credentials"] });
            const secret = named("platform-kyverno-registry-credentials");
            expect(secret.inputs.metadata).to.deep.include({ name: "modelship-registry-credentials", namespace: "kyverno" });
            expect(secret.inputs.type).to.equal("kubernetes.io/dockerconfigjson");
            const stringData = recordedSecret(secret.inputs.stringData);
            expect(stringData.secret).to.equal(true);
            expect(JSON.parse(stringData.value[".dockerconfigjson"])).to.deep.equal({
                auths: { "ghcr.io": { username: "modelship-bot", password: "robot-token", auth: Buffer.from("modelship-bot:robot-token").toString("base64") } },
            });
            expect((await unwrap(platform.resources.signaturePolicy!.registrySecret!.stringData)).isSecret).to.equal(true);
        });
    });

    describe("turning a piece off removes exactly its resources", () => {
        const without = (...names: string[]) => devResources.filter((k) => !names.some((n) => k.endsWith(`::${n}`))).sort();
        const cases: { piece: string; change: (raw: Record<string, any>) => void; removed: string[] }[] = [
            { piece: "certManager", change: (r) => (r.platform.certManager = { enabled: false }), removed: ["platform-cert-manager", "platform-cert-manager-namespace"] },
            {
                piece: "kserve",
                change: (r) => (r.platform.kserve.enabled = false),
                removed: ["platform-kserve", "platform-kserve-crd", "platform-kserve-runtime-configs", "platform-kserve-namespace"],
            },
            {
                piece: "knative",
                change: (r) => (r.platform.knative = { ...r.platform.knative, enabled: false }),
                removed: ["platform-knative-crds", "platform-knative-core", "platform-kourier", "platform-knative-network"],
            },
            {
                piece: "argocd",
                change: (r) => (r.platform.argocd.enabled = false),
                removed: ["platform-argocd", "platform-argocd-namespace", "platform-argocd-redis", "platform-argocd-redis-password"],
            },
            { piece: "kyverno", change: (r) => (r.platform.kyverno.enabled = false), removed: ["platform-kyverno", "platform-kyverno-namespace"] },
            { piece: "kyverno.signaturePolicy", change: (r) => (r.platform.kyverno.signaturePolicy = false), removed: ["platform-signature-policy"] },
            { piece: "signing", change: (r) => (r.signing = { enabled: false }), removed: ["platform-signature-policy"] },
        ];
        for (const c of cases) {
            it(`${c.piece} off`, async () => {
                await declare(stackConfig("dev", c.change));
                expect(keys()).to.deep.equal(without(...c.removed));
            });
        }
    });

    describe("mirrors and air-gapped clusters", () => {
        it("every chart repository and manifest URL can be overridden", async () => {
            await declare(
                stackConfig("dev", (r) => {
                    r.platform.kserve.chartRepository = "oci://mirror.local/kserve";
                    r.platform.knative.manifestBaseUrl = "https://mirror.local/knative/";
                    r.platform.certManager = { chart: { repository: "oci://mirror.local/charts", name: "cert-manager", version: "v1.17.0" } };
                    r.platform.argocd.chart = { repository: "https://mirror.local/argo", name: "argo-cd", version: "9.4.17" };
                }),
            );
            expect(named("platform-kserve").inputs.chart).to.equal("oci://mirror.local/kserve/kserve-resources");
            expect(named("platform-cert-manager").inputs).to.deep.include({ chart: "oci://mirror.local/charts/cert-manager", version: "v1.17.0" });
            expect(named("platform-cert-manager").inputs.repositoryOpts).to.equal(undefined);
            expect(named("platform-argocd").inputs.repositoryOpts).to.deep.equal({ repo: "https://mirror.local/argo" });
            expect([named("platform-knative-crds"), named("platform-knative-core"), named("platform-kourier")].map((r) => r.inputs.file)).to.deep.equal([
                "https://mirror.local/knative/serving-crds.yaml",
                "https://mirror.local/knative/serving-core.yaml",
                "https://mirror.local/knative/kourier.yaml",
            ]);
        });

        it("prod's Gateway API manifest URL can point at a mirror", async () => {
            await declare(
                stackConfig("prod", (r) => (r.platform.gatewayApi = { manifestUrl: "https://mirror.local/gateway-api/standard-install.yaml" })),
                pulumi.secret("x"),
            );
            expect(named("platform-gateway-api").inputs.file).to.equal("https://mirror.local/gateway-api/standard-install.yaml");
        });
    });
});
