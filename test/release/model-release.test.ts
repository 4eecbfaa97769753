import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { recorder, unwrap } from "../support/pulumi-mocks";
import { composeManifestBundle } from "../../components/oci";
import { renderManifestFiles } from "../../components/release/manifest-files";
import { buildInferenceService, inferenceServiceInputFor } from "../../components/release/inference-service";
import { ModelRelease } from "../../components/release/model-release";
import type { ModelConfig, StackConfig } from "../../components/config/schema";
import {
    declareRelease,
    fakeComposeModelImage,
    installReleaseMocks,
    IMAGE_ATTESTATION,
    IMAGE_SIGNATURE,
    isSecretValue,
    OCI_ARTIFACT,
    ofType,
    projectDir,
    reveal,
    stackConfig,
} from "./support";
import { SLSA_PROVENANCE_V1, slsaProvenancePredicate } from "../../components/supply-chain/provenance";
import { PREDICATE_FILE_PLACEHOLDER } from "../../components/release/signing";

const REGISTRY_PASSWORD = "reg-pw-DO-NOT-LEAK-4711";
const KEY_PASSWORD = "key-pw-DO-NOT-LEAK-0815";

function release(config: StackConfig, model: ModelConfig, extra: { platformDependencies?: pulumi.Resource[] } = {}) {
    return declareRelease(config, model, {
        secrets: { registryPassword: pulumi.secret(REGISTRY_PASSWORD), signingKeyPassword: pulumi.secret(KEY_PASSWORD) },
        imagePullSecretName: config.registry.username ? "modelship-registry" : undefined,
        ...extra,
    });
}

const keys = () => recorder.resources.map((x) => x.key).sort();
/** The stack file's model at rollout step 1 (the files themselves may be mid-canary). */
const stableOnly = (m: ModelConfig): ModelConfig => {
    const { canary, ...rest } = m;
    void canary;
    return rest;
};

describe("release/ModelRelease: the whole graph under mocks", function () {
    this.timeout(30000);
    before(() => installReleaseMocks());

    describe("dev stack (Pulumi.dev.yaml: localhost plain HTTP, file key, offline, Knative)", () => {
        const config = stackConfig("dev");
        const model = stableOnly(config.models[0]);

        it("declares image, signature, bundle, repository Secret and Application, named by model and version", async () => {
            await release(config, model);
            expect(keys()).to.deep.equal(
                [
                    "modelship:release:ModelRelease::iris",
                    "modelship:release:ModelImage::iris-v1",
                    `${OCI_ARTIFACT}::iris-v1-image`,
                    `${IMAGE_SIGNATURE}::iris-v1-signature`,
                    `${IMAGE_ATTESTATION}::iris-v1-attestation`,
                    "modelship:release:ManifestBundle::iris-bundle",
                    `${IMAGE_SIGNATURE}::iris-bundle-signature`,
                    `${OCI_ARTIFACT}::iris-bundle-push`,
                    "kubernetes:core/v1:Secret::iris-repository",
                    "kubernetes:argoproj.io/v1alpha1:Application::iris-application",
                ].sort(),
            );
        });

        it("the image push carries what the policy pack reads", async () => {
            const { provenance } = await release(config, model);
            const image = recorder.named("iris-v1-image").inputs;
            expect(image.kind).to.equal("modelcar-image");
            expect(image.registry).to.equal("localhost:5000");
            expect(image.repository).to.equal("modelship/iris");
            expect(image.reference).to.equal(provenance.stable.image);
            expect(image.reference).to.match(/^localhost:5000\/modelship\/iris@sha256:[a-f0-9]{64}$/);
            expect(image.digest).to.equal(provenance.stable.digest);
            expect(image.tag).to.equal("v1");
            expect(image.modelName).to.equal("iris");
            expect(image.baseImage).to.equal(model.baseImage);
            expect(image.signing).to.deep.equal({ enabled: true, transparencyLog: false, signatureFormat: "bundle" });
            expect(image.plainHttp).to.equal(true);
            expect(image).not.to.have.property("password"); // anonymous registry
        });

        it("the signature resource: exact cosign arguments for the digest, secrets only in its secret environment", async () => {
            const { provenance } = await release(config, model);
            const sig = recorder.named("iris-v1-signature").inputs;
            expect(sig.reference).to.equal(provenance.stable.image);
            expect(sig.signer).to.equal("cosign");
            expect(sig.cosignVersion).to.equal(2);
            expect(sig.args).to.deep.equal([
                "sign",
                "--yes",
                "--key=cosign.key",
                "--new-bundle-format=true",
                "--use-signing-config=false",
                "--tlog-upload=false",
                "--allow-http-registry=true",
                "--allow-insecure-registry=true",
                provenance.stable.image,
            ]);
            expect(sig.signatureReference).to.equal(provenance.stable.signature!.reference);
            expect(sig.registry).to.equal("localhost:5000");
            expect(sig.plainHttp).to.equal(true);
            expect(reveal(sig.environment)).to.deep.equal({ COSIGN_PASSWORD: KEY_PASSWORD });
            expect(isSecretValue(sig.environment), "the environment is a secret").to.equal(true);
            expect(sig).not.to.have.property("password"); // anonymous registry
        });

        it("the attestation resource: cosign attest of the digest with the SLSA provenance predicate (model files, base image, source), same flags as the signature", async () => {
            const { provenance } = await release(config, model);
            const att = recorder.named("iris-v1-attestation").inputs;
            expect(att.reference).to.equal(provenance.stable.image);
            expect(att.args).to.deep.equal([
                "attest",
                "--yes",
                `--type=${SLSA_PROVENANCE_V1}`,
                `--predicate=${PREDICATE_FILE_PLACEHOLDER}`,
                "--key=cosign.key",
                "--new-bundle-format=true",
                "--use-signing-config=false",
                "--tlog-upload=false",
                "--allow-http-registry=true",
                "--allow-insecure-registry=true",
                provenance.stable.image,
            ]);
            expect(att.predicateType).to.equal(SLSA_PROVENANCE_V1);
            const files = (
                await fakeComposeModelImage({
                    modelDir: `${projectDir}/${model.modelDir}`,
                    modelName: "iris",
                    version: "v1",
                    baseImage: model.baseImage,
                    registry: "x",
                    repository: "y",
                    fileDigests: true,
                })
            ).files!;
            expect(att.predicate).to.deep.equal(slsaProvenancePredicate({ modelName: "iris", version: "v1", baseImage: model.baseImage, files, provenance: model.provenance }));
            expect(att.predicate.buildDefinition.resolvedDependencies.map((d: { name: string }) => d.name)).to.deep.equal(["base-image", "models/model.joblib"]);
            expect(att.signatureReference).to.equal(provenance.stable.attestation!.reference);
            expect(reveal(att.environment)).to.deep.equal({ COSIGN_PASSWORD: KEY_PASSWORD });
            expect(isSecretValue(att.environment)).to.equal(true);
        });

        it("the bundle is signed with the same key and flags as the images", async () => {
            const { provenance } = await release(config, model);
            const sig = recorder.named("iris-bundle-signature").inputs;
            expect(sig.reference).to.equal(provenance.bundle.reference);
            expect(sig.args.slice(0, 3)).to.deep.equal(["sign", "--yes", "--key=cosign.key"]);
            expect(sig.args[sig.args.length - 1]).to.equal(provenance.bundle.reference);
            expect(provenance.bundle.signature).to.deep.equal({ format: "bundle", reference: sig.signatureReference, transparencyLog: false });
        });

        it("the bundle's manifests input is exactly the InferenceService, and its digest is the real bundle digest", async () => {
            const { provenance } = await release(config, model);
            const bundle = recorder.named("iris-bundle-push").inputs;
            const expected = buildInferenceService(inferenceServiceInputFor(model, { stable: provenance.stable.image }, { deploymentMode: "Knative", imagePullSecrets: [] }));
            expect(bundle.kind).to.equal("manifest-bundle");
            expect(bundle.repository).to.equal("modelship/iris-manifests");
            expect(bundle.manifests).to.deep.equal([expected]);
            const composed = await composeManifestBundle({
                files: renderManifestFiles([expected]),
                registry: "localhost:5000",
                repository: "modelship/iris-manifests",
                annotations: { title: "iris", version: "v1", source: model.provenance.sourceRepository },
            });
            expect(bundle.digest).to.equal(composed.digest);
            expect(provenance.bundle).to.deep.include({ reference: composed.reference, digest: composed.digest });
        });

        it("the Application is pinned to the bundle digest with automated sync and SSA", async () => {
            const { provenance } = await release(config, model);
            const app = recorder.named("iris-application").inputs;
            expect(app.apiVersion).to.equal("argoproj.io/v1alpha1");
            expect(app.kind).to.equal("Application");
            expect(app.metadata.name).to.equal("iris");
            expect(app.metadata.namespace).to.equal("argocd");
            expect(app.spec).to.deep.equal({
                project: "default",
                source: { repoURL: "oci://localhost:5000/modelship/iris-manifests", targetRevision: provenance.bundle.digest, path: "manifests" },
                destination: { server: "https://kubernetes.default.svc", namespace: "models" },
                syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ["CreateNamespace=true", "ServerSideApply=true"] },
            });
        });

        it("the Argo CD repository Secret is declared for the anonymous plain-HTTP registry (argo-cd#28517)", async () => {
            await release(config, model);
            const secret = recorder.named("iris-repository").inputs;
            expect(secret.metadata).to.deep.equal({
                name: "modelship-iris-manifests",
                namespace: "argocd",
                labels: { "argocd.argoproj.io/secret-type": "repository", "app.kubernetes.io/managed-by": "modelship" },
            });
            expect(reveal(secret.stringData)).to.deep.equal({
                type: "oci",
                name: "modelship-iris-manifests",
                url: "oci://localhost:5000/modelship/iris-manifests",
                insecureOCIForceHttp: "true",
            });
        });

        it("provenance record for auditors", async () => {
            const { provenance } = await release(config, model);
            const hex = provenance.stable.digest.slice("sha256:".length);
            expect(provenance).to.deep.equal({
                model: "iris",
                namespace: "models",
                deploymentMode: "Knative",
                stable: {
                    version: "v1",
                    image: `localhost:5000/modelship/iris@sha256:${hex}`,
                    digest: `sha256:${hex}`,
                    signature: { format: "bundle", reference: `localhost:5000/modelship/iris:sha256-${hex}`, transparencyLog: false },
                    attestation: { predicateType: SLSA_PROVENANCE_V1, reference: `localhost:5000/modelship/iris:sha256-${hex}` },
                },
                canary: null,
                canaryState: "none",
                bundle: provenance.bundle,
                application: {
                    name: "iris",
                    namespace: "argocd",
                    project: "default",
                    repoURL: "oci://localhost:5000/modelship/iris-manifests",
                    targetRevision: provenance.bundle.digest,
                },
                source: { sourceRepository: model.provenance.sourceRepository! },
                signed: true,
            });
        });

        it("the Application depends on the platform when the same stack installs it", async () => {
            const platform = new pulumi.ComponentResource("test:index:Platform", "platform");
            await unwrap(platform.urn);
            const r = new ModelRelease("iris", {
                model,
                registry: config.registry,
                signing: config.signing,
                deploymentMode: "Knative",
                argocdNamespace: "argocd",
                projectDir,
                composeModelImage: fakeComposeModelImage,
                platformDependencies: [platform],
            });
            await unwrap(r.application.urn);
            // dependsOn is not visible to mocks; the component exposes what it passed.
            expect(r.applicationDependsOn).to.include(platform);
            expect(r.applicationDependsOn).to.include(r.bundle.push);
            expect(r.applicationDependsOn).to.include(r.stableImage.push);
            expect(r.applicationDependsOn).to.include(r.signatures[0]);
            expect(r.applicationDependsOn).to.include(r.attestations[0]);
            expect(r.applicationDependsOn).to.include(r.bundleSignature);
        });
    });

    describe("prod stack (Pulumi.prod.yaml: private TLS registry, KMS key, Rekor, Standard mode)", () => {
        const config = stackConfig("prod");
        const model = stableOnly(config.models[0]);
        const prefix = `${config.registry.host}/${config.registry.repositoryPrefix}`;

        it("KMS key: no password variable; registry credentials via environment and a private DOCKER_CONFIG", async () => {
            const { provenance } = await release(config, model);
            const sig = recorder.named("iris-v1-signature").inputs;
            expect(sig.args).to.deep.equal(["sign", "--yes", "--key=awskms:///alias/modelship-cosign", provenance.stable.image]);
            expect(JSON.stringify(sig.args)).not.to.contain(REGISTRY_PASSWORD);
            expect(sig.username).to.equal("modelship-bot");
            expect(isSecretValue(sig.password)).to.equal(true);
            expect(reveal(sig.password)).to.equal(REGISTRY_PASSWORD);
            expect(reveal(sig.environment)).to.deep.equal({});
            expect(provenance.stable.signature).to.deep.equal({
                format: "legacy",
                reference: `${provenance.stable.image.split("@")[0]}:sha256-${provenance.stable.digest.slice(7)}.sig`,
                transparencyLog: true,
            });
            // Online legacy attestations: the .att tag, uploaded to Rekor like the signature.
            const att = recorder.named("iris-v1-attestation").inputs;
            expect(att.args).to.deep.equal([
                "attest",
                "--yes",
                `--type=${SLSA_PROVENANCE_V1}`,
                `--predicate=${PREDICATE_FILE_PLACEHOLDER}`,
                "--key=awskms:///alias/modelship-cosign",
                provenance.stable.image,
            ]);
            expect(provenance.stable.attestation!.reference).to.equal(`${provenance.stable.image.split("@")[0]}:sha256-${provenance.stable.digest.slice(7)}.att`);
        });

        it("private registry: pushes carry the (secret) password, the repository Secret has username and password, the InferenceService lists imagePullSecrets", async () => {
            await release(config, model);
            const image = recorder.named("iris-v1-image").inputs;
            expect(reveal(image)).to.include({ username: "modelship-bot", password: REGISTRY_PASSWORD, plainHttp: false });
            expect(isSecretValue(image.password)).to.equal(true);
            const secret = recorder.named("iris-repository").inputs;
            expect(isSecretValue(secret.stringData) || isSecretValue(secret.stringData.password)).to.equal(true);
            expect(reveal(secret.stringData)).to.deep.equal({
                type: "oci",
                name: "modelship-iris-manifests",
                url: `oci://${prefix}/iris-manifests`,
                username: "modelship-bot",
                password: REGISTRY_PASSWORD,
            });
            const isvc = recorder.named("iris-bundle-push").inputs.manifests[0];
            expect(isvc.metadata.annotations["serving.kserve.io/deploymentMode"]).to.equal("Standard");
            expect(isvc.spec.predictor.name).to.equal("v1");
            expect(isvc.spec.predictor.imagePullSecrets).to.deep.equal([{ name: "modelship-registry" }]);
        });
    });

    describe("rollout steps through the graph (each step = one config change)", () => {
        for (const mode of ["Knative", "Standard"] as const) {
            it(`${mode}: images, signatures, manifests and canary state at each step`, async () => {
                const config = stackConfig(mode === "Knative" ? "dev" : "prod");
                const base = { ...stableOnly(config.models[0]), provenance: { sourceRevision: "abc123" } };
                const steps: [string, ModelConfig][] = [
                    ["none", base],
                    ["canary", { ...base, canary: { version: "v2", modelDir: "models/iris/v2", trafficPercent: 10 } }],
                    ["none", { ...base, version: "v2", modelDir: "models/iris/v2" }],
                    ["rolled-back", { ...base, canary: { version: "v2", modelDir: "models/iris/v2", trafficPercent: 0 } }],
                ];
                const bundleDigests: string[] = [];
                for (const [state, model] of steps) {
                    const { provenance } = await release(config, model);
                    expect(provenance.canaryState).to.equal(state);
                    const isvc = recorder.named("iris-bundle-push").inputs.manifests[0];
                    const cosigns = ofType(IMAGE_SIGNATURE)
                        .map((c) => c.name)
                        .filter((n) => n !== "iris-bundle-signature")
                        .sort();
                    expect(ofType(IMAGE_SIGNATURE).map((c) => c.name)).to.include("iris-bundle-signature");
                    expect(
                        ofType(IMAGE_ATTESTATION)
                            .map((c) => c.name)
                            .sort(),
                    ).to.deep.equal(cosigns.map((n) => n.replace(/-signature$/, "-attestation")));
                    if (model.canary) {
                        expect(cosigns).to.deep.equal(["iris-v1-signature", "iris-v2-signature"]);
                        expect(provenance.canary).to.include({ version: "v2", trafficPercent: model.canary.trafficPercent });
                        if (mode === "Knative") {
                            expect(isvc.spec.predictor.canaryTrafficPercent).to.equal(model.canary.trafficPercent);
                            expect(isvc.spec.predictor.model.storageUri).to.equal(`oci://${provenance.canary!.image}`);
                        } else {
                            expect(isvc.spec.predictor.model.storageUri).to.equal(`oci://${provenance.stable.image}`);
                            expect(isvc.spec.canary).to.have.length(1);
                            expect(isvc.spec.canary[0].trafficPercent).to.equal(model.canary.trafficPercent);
                            expect(isvc.spec.canary[0].predictor.model.storageUri).to.equal(`oci://${provenance.canary!.image}`);
                        }
                    } else {
                        expect(cosigns).to.deep.equal([`iris-${model.version}-signature`]);
                        expect(provenance.canary).to.equal(null);
                        expect(isvc.spec.predictor).not.to.have.property("canaryTrafficPercent");
                        expect(isvc.spec).not.to.have.property("canary");
                        expect(isvc.spec.predictor.model.storageUri).to.equal(`oci://${provenance.stable.image}`);
                    }
                    const app = recorder.named("iris-application").inputs;
                    expect(app.spec.source.targetRevision).to.equal(provenance.bundle.digest);
                    bundleDigests.push(provenance.bundle.digest);
                }
                expect(new Set(bundleDigests).size, "each step ships a different bundle").to.equal(4);
            });
        }
    });

    for (const stack of ["dev", "prod"] as const) {
        it(`the committed Pulumi.${stack}.yaml renders as configured (canary included when the file has one)`, async () => {
            const config = stackConfig(stack);
            const model = config.models[0];
            const { provenance } = await release(config, model);
            const isvc = recorder.named("iris-bundle-push").inputs.manifests[0];
            expect(isvc.metadata.annotations["serving.kserve.io/deploymentMode"]).to.equal(config.platform.kserve.deploymentMode);
            expect(provenance.canaryState).to.equal(model.canary ? (model.canary.trafficPercent === 0 ? "rolled-back" : "canary") : "none");
            if (model.canary && config.platform.kserve.deploymentMode === "Knative") {
                expect(isvc.spec.predictor.canaryTrafficPercent).to.equal(model.canary.trafficPercent);
            } else if (model.canary) {
                expect(isvc.spec.canary[0].trafficPercent).to.equal(model.canary.trafficPercent);
            }
            expect(ofType(IMAGE_SIGNATURE)).to.have.length(model.canary ? 3 : 2); // the images and the bundle
            expect(ofType(IMAGE_ATTESTATION)).to.have.length(model.canary ? 2 : 1);
        });
    }

    it("signing.cosignVersion 3: the signature resource carries the v3 flags for the same offline bundle signature", async () => {
        const config = stackConfig("dev");
        const v3 = { ...config, signing: { ...config.signing, cosignVersion: 3 as const } };
        const { provenance } = await release(v3, stableOnly(config.models[0]));
        expect(recorder.named("iris-v1-signature").inputs.args.join(" ")).to.equal(
            "sign --yes --key=cosign.key --new-bundle-format=true --use-signing-config=false --tlog-upload=false " +
                `--allow-http-registry=true --allow-insecure-registry=true ${provenance.stable.image}`,
        );
        expect(recorder.named("iris-v1-signature").inputs.cosignVersion).to.equal(3);
    });

    it("signing off (only when the stack says so): no signature resources, the push records signing.enabled false", async () => {
        const config = stackConfig("dev");
        const off = { ...config, signing: { ...config.signing, enabled: false } };
        const { provenance } = await release(off, stableOnly(config.models[0]));
        expect(ofType(IMAGE_SIGNATURE)).to.have.length(0);
        expect(ofType(IMAGE_ATTESTATION)).to.have.length(0);
        expect(recorder.named("iris-v1-image").inputs.signing).to.deep.equal({ enabled: false, transparencyLog: false, signatureFormat: "bundle" });
        expect(provenance.signed).to.equal(false);
        expect(provenance.stable.signature).to.equal(null);
    });

    it("builder docker (opt-in; mock only — no Docker daemon here): @pulumi/docker Image, reference from repoDigest", async () => {
        const config = stackConfig("dev");
        const model: ModelConfig = { ...stableOnly(config.models[0]), builder: "docker", dockerfile: "models/iris/Dockerfile" };
        const { provenance } = await release(config, model);
        const image = recorder.named("iris-v1-docker").inputs;
        expect(image.imageName).to.equal("localhost:5000/modelship/iris:v1");
        expect(image.build).to.deep.equal({
            context: `${projectDir}/models/iris/v1`,
            dockerfile: `${projectDir}/models/iris/Dockerfile`,
            platform: "linux/amd64",
        });
        expect(ofType(OCI_ARTIFACT).map((r) => r.name)).to.deep.equal(["iris-bundle-push"]);
        expect(provenance.stable.image).to.match(/^localhost:5000\/modelship\/iris@sha256:[a-f0-9]{64}$/);
        expect(recorder.named("iris-v1-signature").inputs.reference).to.equal(provenance.stable.image);
    });
});
