// The pure functions behind the Platform component, called without mocks.
import { expect } from "chai";
import { platformSchema, registrySchema, signingSchema } from "../../components/config/schema";
import { argocdChartValues, argocdRegistryCredsSecret } from "../../components/platform/argocd";
import { composeManifestBundle } from "../../components/oci/bundle";
import { renderManifestFiles } from "../../components/release/manifest-files";
import { chartSource, deepMerge } from "../../components/platform/charts";
import { generatedPasswordProvider } from "../../components/platform/generated-password";
import { gatewayApiManifestUrl, knativeManifestUrls, modeDependencies } from "../../components/platform/knative";
import { kserveChartValues, kserveRuntimeConfigsValues } from "../../components/platform/kserve";
import { imageValidatingPolicy } from "../../components/platform/kyverno";
import { dockerConfigJson } from "../../components/oci/auth";
import { kyvernoCtlog } from "../../components/supply-chain/verification";
import { testPublicKeyPem } from "../config/fixtures";

const platform = (raw: unknown = {}) => platformSchema.parse(raw);
const registry = registrySchema.parse({ host: "localhost:5000", repositoryPrefix: "modelship", plainHttp: true });

describe("platform builders", () => {
    it("deepMerge merges maps key by key, replaces lists and scalars, and copies its inputs", () => {
        const ours = { a: { b: 1, c: [1, 2] }, d: "x" };
        const theirs = { a: { c: [3], e: true }, d: "y" };
        expect(deepMerge(ours, theirs)).to.deep.equal({ a: { b: 1, c: [3], e: true }, d: "y" });
        expect(ours).to.deep.equal({ a: { b: 1, c: [1, 2] }, d: "x" });
    });

    it("chartSource: oci:// prefixes join the chart name, https repositories go to repositoryOpts", () => {
        expect(chartSource({ repository: "oci://ghcr.io/kserve/charts/", name: "kserve-crd", version: "v0.20.0" })).to.deep.equal({
            chart: "oci://ghcr.io/kserve/charts/kserve-crd",
            version: "v0.20.0",
        });
        expect(chartSource({ repository: "https://kyverno.github.io/kyverno/", name: "kyverno", version: "3.9.0" })).to.deep.equal({
            chart: "kyverno",
            version: "3.9.0",
            repositoryOpts: { repo: "https://kyverno.github.io/kyverno/" },
        });
    });

    it("the user's KServe values are merged last, and runtimeConfigs goes to the runtime-configs chart only", () => {
        const p = platform({
            kserve: {
                modelcar: { cpu: "50m", memory: "64Mi", uid: 2000 },
                values: {
                    kserve: { storage: { enableModelcar: false }, controller: { resources: { limits: { cpu: "1" } } } },
                    runtimeConfigs: { kserve: { servingruntime: { tensorflow: { disabled: true } } } },
                },
            },
        });
        expect(kserveChartValues(p)).to.deep.equal({
            kserve: {
                storage: { enableModelcar: false, uidModelcar: 2000, cpuModelcar: "50m", memoryModelcar: "64Mi" },
                controller: { deploymentMode: "Knative", gateway: { disableIstioVirtualHost: true }, resources: { limits: { cpu: "1" } } },
            },
        });
        expect(kserveRuntimeConfigsValues(p)).to.deep.equal({ kserve: { servingruntime: { enabled: true, tensorflow: { disabled: true } } } });
    });

    it("the user's Argo CD values override ours, the media types included", () => {
        const values = argocdChartValues(platform({ argocd: { values: { configs: { params: { "server.insecure": true } } } } }));
        expect(values.configs).to.deep.equal({
            params: {
                "reposerver.oci.layer.media.types":
                    "application/vnd.oci.image.layer.v1.tar,application/vnd.oci.image.layer.v1.tar+gzip,application/vnd.cncf.helm.chart.content.v1.tar+gzip",
                "server.insecure": true,
            },
        });
    });

    it("the OCI layer media types keep Argo CD's defaults (Helm charts included) and accept our bundle's layer", async () => {
        const types = String((argocdChartValues(platform()).configs as { params: Record<string, string> }).params["reposerver.oci.layer.media.types"]).split(",");
        // Argo CD's default (argocd-repo-server --oci-layer-media-types); the setting replaces it, so dropping one breaks other Applications.
        expect(types).to.include.members([
            "application/vnd.oci.image.layer.v1.tar",
            "application/vnd.oci.image.layer.v1.tar+gzip",
            "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
        ]);
        const bundle = await composeManifestBundle({
            files: renderManifestFiles([{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } }]),
            registry: "ghcr.io",
            repository: "org/x-manifests",
        });
        expect(types).to.include(bundle.layer.mediaType);
    });

    it("a TLS registry without credentials gets neither username nor the plain-HTTP flag", () => {
        const r = registrySchema.parse({ host: "ghcr.io", repositoryPrefix: "org/models" });
        expect(argocdRegistryCredsSecret(platform(), r).stringData).to.deep.equal({ type: "oci", url: "oci://ghcr.io/org/models", name: "modelship-registry" });
    });

    it("the policy's ctlog is exactly what the signer's settings give, for every signing config", () => {
        for (const transparencyLog of [false, true]) {
            for (const signatureFormat of ["legacy", "bundle"] as const) {
                // Offline legacy attestations cannot be verified by Kyverno 1.19 (the config refuses them), so that case signs only.
                const attestProvenance = signatureFormat === "bundle" || transparencyLog;
                const signing = signingSchema.parse({ key: "cosign.key", publicKey: testPublicKeyPem, transparencyLog, signatureFormat, attestProvenance });
                const spec = imageValidatingPolicy(registry, signing).spec as { attestors: { cosign: { ctlog: unknown } }[] };
                expect(spec.attestors[0].cosign.ctlog).to.deep.equal(kyvernoCtlog(signing));
                expect(spec.attestors[0].cosign.ctlog).to.deep.include({ insecureIgnoreTlog: !transparencyLog });
            }
        }
    });

    it("the policy refuses to render without a public key", () => {
        expect(() => imageValidatingPolicy(registry, signingSchema.parse({ enabled: false }))).to.throw("needs signing.publicKey");
    });

    it("Knative and Gateway API follow the deployment mode and their switches", () => {
        expect(modeDependencies(platform())).to.deep.equal({ knative: true, gatewayApi: false });
        expect(modeDependencies(platform({ kserve: { deploymentMode: "Standard" } }))).to.deep.equal({ knative: false, gatewayApi: true });
        expect(modeDependencies(platform({ kserve: { deploymentMode: "Standard" }, gatewayApi: { enabled: false } }))).to.deep.equal({ knative: false, gatewayApi: false });
        expect(knativeManifestUrls(platform({ knative: { version: "1.22.1", kourierVersion: "1.22.0" } }))).to.deep.equal({
            crds: "https://github.com/knative/serving/releases/download/knative-v1.22.1/serving-crds.yaml",
            core: "https://github.com/knative/serving/releases/download/knative-v1.22.1/serving-core.yaml",
            kourier: "https://github.com/knative-extensions/net-kourier/releases/download/knative-v1.22.0/kourier.yaml",
        });
        expect(gatewayApiManifestUrl(platform({ gatewayApi: { version: "v1.4.0" } }))).to.equal(
            "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.4.0/standard-install.yaml",
        );
    });

    it("dockerConfigJson is what kubectl create secret docker-registry writes", () => {
        expect(JSON.parse(dockerConfigJson("ghcr.io", "u", "p"))).to.deep.equal({ auths: { "ghcr.io": { username: "u", password: "p", auth: "dTpw" } } });
    });

    it("the generated password: random per create, kept until its size changes", async () => {
        const a = await generatedPasswordProvider.create({ bytes: 24 });
        const b = await generatedPasswordProvider.create({ bytes: 24 });
        expect(a.outs.value).to.match(/^[A-Za-z0-9_-]{32}$/);
        expect(a.outs.value).to.not.equal(b.outs.value);
        expect(await generatedPasswordProvider.diff!(a.id, { bytes: 24 }, { bytes: 24 })).to.deep.include({ changes: false, replaces: [] });
        expect(await generatedPasswordProvider.diff!(a.id, { bytes: 24 }, { bytes: 32 })).to.deep.include({ changes: true, replaces: ["bytes"] });
    });
});
