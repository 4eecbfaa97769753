import { expect } from "chai";
import { buildInferenceService, canaryState, inferenceServiceInputFor, storageUri } from "../../components/release/inference-service";
import type { DeploymentMode, ModelConfig } from "../../components/config/schema";

const V1 = `localhost:5000/modelship/iris@sha256:${"1".repeat(64)}`;
const V2 = `localhost:5000/modelship/iris@sha256:${"2".repeat(64)}`;
const images: Record<string, string> = { v1: V1, v2: V2 };

const baseModel: ModelConfig = {
    name: "iris",
    version: "v1",
    modelDir: "models/iris/v1",
    format: "sklearn",
    runtime: "kserve-sklearnserver",
    baseImage: `localhost:5000/library/busybox@sha256:${"b".repeat(64)}`,
    namespace: "models",
    project: "default",
    resources: { cpu: "100m", memory: "256Mi" },
    provenance: { sourceRevision: "0123abc", trainingRunId: "run-42", datasetHash: `sha256:${"d".repeat(64)}` },
    builder: "daemonless",
    allowOutsideProject: false,
};

/** The four rollout steps of the README, as stack config. */
const steps: Record<string, ModelConfig> = {
    "1-stable": baseModel,
    "2-canary": { ...baseModel, canary: { version: "v2", modelDir: "models/iris/v2", trafficPercent: 10 } },
    "3-promote": { ...baseModel, version: "v2", modelDir: "models/iris/v2" },
    "4-rollback": { ...baseModel, canary: { version: "v2", modelDir: "models/iris/v2", trafficPercent: 0 } },
};

function render(step: string, mode: DeploymentMode, pullSecrets?: string[]) {
    const m = steps[step];
    return buildInferenceService(
        inferenceServiceInputFor(
            m,
            { stable: images[m.version], canary: m.canary && images[m.canary.version] },
            {
                deploymentMode: mode,
                imagePullSecrets: pullSecrets,
            },
        ),
    );
}

const model = (image: string) => ({
    name: "kserve-container",
    modelFormat: { name: "sklearn" },
    runtime: "kserve-sklearnserver",
    storageUri: `oci://${image}`,
    resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "100m", memory: "256Mi" } },
});
const podAnnotations = (version: string, image: string) => ({
    "modelship.io/model-digest": image.split("@")[1],
    "modelship.io/model-version": version,
});
const metadata = (mode: DeploymentMode, version: string, image: string) => ({
    name: "iris",
    namespace: "models",
    labels: { "app.kubernetes.io/name": "iris", "app.kubernetes.io/managed-by": "modelship" },
    annotations: {
        "serving.kserve.io/deploymentMode": mode,
        "modelship.io/model-version": version,
        "modelship.io/model-digest": image.split("@")[1],
        "modelship.io/source-revision": "0123abc",
        "modelship.io/training-run-id": "run-42",
        "modelship.io/dataset-hash": `sha256:${"d".repeat(64)}`,
    },
});
const isvc = (meta: object, spec: object) => ({ apiVersion: "serving.kserve.io/v1beta1", kind: "InferenceService", metadata: meta, spec });

describe("release/inference-service: rendered manifests at each rollout step", () => {
    describe("Knative mode", () => {
        it("1. v1 at 100%: one predictor on v1, no canary field", () => {
            expect(render("1-stable", "Knative")).to.deep.equal(isvc(metadata("Knative", "v1", V1), { predictor: { annotations: podAnnotations("v1", V1), model: model(V1) } }));
        });
        it("2. canary: the predictor runs v2 with canaryTrafficPercent 10 (Knative keeps v1's revision for 90%)", () => {
            expect(render("2-canary", "Knative")).to.deep.equal(
                isvc(metadata("Knative", "v2", V2), {
                    predictor: { canaryTrafficPercent: 10, annotations: podAnnotations("v2", V2), model: model(V2) },
                }),
            );
        });
        it("3. promote: same predictor, field removed — the revision template is unchanged, so no new revision", () => {
            const canary = render("2-canary", "Knative");
            const promoted = render("3-promote", "Knative");
            expect(promoted).to.deep.equal(isvc(metadata("Knative", "v2", V2), { predictor: { annotations: podAnnotations("v2", V2), model: model(V2) } }));
            const { canaryTrafficPercent, ...template } = canary.spec.predictor;
            expect(canaryTrafficPercent).to.equal(10);
            expect(promoted.spec.predictor).to.deep.equal(template);
            expect(promoted.metadata).to.deep.equal(canary.metadata);
        });
        it("4. roll back: canaryTrafficPercent 0 with the canary's storageUri (no new revision; v1's revision takes 100%)", () => {
            const rolledBack = render("4-rollback", "Knative");
            expect(rolledBack).to.deep.equal(
                isvc(metadata("Knative", "v2", V2), {
                    predictor: { canaryTrafficPercent: 0, annotations: podAnnotations("v2", V2), model: model(V2) },
                }),
            );
            const canary = render("2-canary", "Knative");
            expect({ ...rolledBack.spec.predictor, canaryTrafficPercent: 10 }).to.deep.equal(canary.spec.predictor);
            expect(rolledBack.metadata).to.deep.equal(canary.metadata);
        });
        it("dropping the canary block after a rollback renders step 1 again (a fresh v1 revision)", () => {
            expect(render("1-stable", "Knative").spec.predictor.model.storageUri).to.equal(`oci://${V1}`);
        });
    });

    describe("Standard mode (KServe v0.20 spec.canary)", () => {
        it("1. v1 at 100%: predictor named v1, no spec.canary", () => {
            expect(render("1-stable", "Standard")).to.deep.equal(
                isvc(metadata("Standard", "v1", V1), { predictor: { name: "v1", annotations: podAnnotations("v1", V1), model: model(V1) } }),
            );
        });
        it("2. canary: predictor v1 stays; spec.canary[0] is v2 at 10%", () => {
            expect(render("2-canary", "Standard")).to.deep.equal(
                isvc(metadata("Standard", "v2", V2), {
                    predictor: { name: "v1", annotations: podAnnotations("v1", V1), model: model(V1) },
                    canary: [{ trafficPercent: 10, predictor: { name: "v2", annotations: podAnnotations("v2", V2), model: model(V2) } }],
                }),
            );
        });
        it("3. promote: the predictor becomes exactly the canary's predictor (KServe retargets its Deployment, no restart)", () => {
            const canary = render("2-canary", "Standard");
            const promoted = render("3-promote", "Standard");
            expect(promoted).to.deep.equal(isvc(metadata("Standard", "v2", V2), { predictor: { name: "v2", annotations: podAnnotations("v2", V2), model: model(V2) } }));
            expect(promoted.spec.predictor).to.deep.equal(canary.spec.canary![0].predictor);
            expect(promoted.metadata).to.deep.equal(canary.metadata);
        });
        it("4. roll back: spec.canary[0].trafficPercent 0; v1 serves everything, the v2 Deployment stays for inspection", () => {
            expect(render("4-rollback", "Standard")).to.deep.equal(
                isvc(metadata("Standard", "v2", V2), {
                    predictor: { name: "v1", annotations: podAnnotations("v1", V1), model: model(V1) },
                    canary: [{ trafficPercent: 0, predictor: { name: "v2", annotations: podAnnotations("v2", V2), model: model(V2) } }],
                }),
            );
        });
    });

    it("imagePullSecrets for a private registry, on every predictor", () => {
        const std = render("2-canary", "Standard", ["modelship-registry"]);
        expect(std.spec.predictor.imagePullSecrets).to.deep.equal([{ name: "modelship-registry" }]);
        expect(std.spec.canary![0].predictor.imagePullSecrets).to.deep.equal([{ name: "modelship-registry" }]);
        expect(render("1-stable", "Knative", ["modelship-registry"]).spec.predictor.imagePullSecrets).to.deep.equal([{ name: "modelship-registry" }]);
        expect(render("1-stable", "Knative", []).spec.predictor).not.to.have.property("imagePullSecrets");
    });

    it("provenance annotations only for the fields given; no runtime when KServe should pick one", () => {
        const m = { ...baseModel, runtime: undefined, provenance: { sourceRevision: "abc" } };
        const out = buildInferenceService(inferenceServiceInputFor(m, { stable: V1 }, { deploymentMode: "Knative" }));
        expect(out.metadata.annotations).to.deep.equal({
            "serving.kserve.io/deploymentMode": "Knative",
            "modelship.io/model-version": "v1",
            "modelship.io/model-digest": `sha256:${"1".repeat(64)}`,
            "modelship.io/source-revision": "abc",
        });
        expect(out.spec.predictor.model).not.to.have.property("runtime");
    });

    it("refuses images not pinned by digest and reports every problem at once", () => {
        expect(() => storageUri("localhost:5000/modelship/iris:v1")).to.throw(/pinned by digest/);
        expect(() =>
            buildInferenceService({
                ...inferenceServiceInputFor(steps["2-canary"], { stable: "x/y:v1", canary: "x/y:v2" }, { deploymentMode: "Standard" }),
            }),
        ).to.throw(/stable image "x\/y:v1" must be pinned by digest; canary image "x\/y:v2" must be pinned by digest/);
    });

    it("canaryState names the step", () => {
        expect(canaryState(undefined)).to.equal("none");
        expect(canaryState({ trafficPercent: 10 })).to.equal("canary");
        expect(canaryState({ trafficPercent: 0 })).to.equal("rolled-back");
    });
});
