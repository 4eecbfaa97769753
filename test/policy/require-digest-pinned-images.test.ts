import { requireDigestPinnedImages as policy } from "../../policy/require-digest-pinned-images";
import { bundleRuntime, mutate } from "./fixtures/baseline";
import { expectOneViolation, expectPasses } from "./helpers";

const podSpec = (containers: any[]) => ({ template: { spec: { containers } } });

describe("require-digest-pinned-images", () => {
    it("passes on the baseline", async () => {
        await expectPasses(policy);
    });

    it("fails a ServingRuntime image in a bundle, naming the path and image", async () => {
        const stack = mutate("iris-bundle", (p) => (bundleRuntime(p).spec.containers[0].image = "docker.io/kserve/sklearnserver:v0.20.0"));
        await expectOneViolation(policy, stack, [
            "ServingRuntime models/sklearn-runtime in bundle iris-bundle manifests[1]",
            'spec.containers[0].image "docker.io/kserve/sklearnserver:v0.20.0" is not pinned by digest',
        ]);
    });

    it("fails an init container of a directly declared Deployment", async () => {
        const stack = mutate("model-gateway", (p) => (p.spec.template.spec.initContainers[0].image = "busybox:1.37.0"));
        await expectOneViolation(policy, stack, ['Deployment models/model-gateway: spec.template.spec.initContainers[0].image "busybox:1.37.0"']);
    });

    for (const [kind, type, spec, path] of [
        ["Pod", "kubernetes:core/v1:Pod", { containers: [{ name: "c", image: "nginx:1.27" }] }, "spec.containers[0].image"],
        ["StatefulSet", "kubernetes:apps/v1:StatefulSet", podSpec([{ name: "c", image: "nginx:1.27" }]), "spec.template.spec.containers[0].image"],
        ["DaemonSet", "kubernetes:apps/v1:DaemonSet", podSpec([{ name: "c", image: "nginx:1.27" }]), "spec.template.spec.containers[0].image"],
        ["Job", "kubernetes:batch/v1:Job", podSpec([{ name: "c", image: "nginx:1.27" }]), "spec.template.spec.containers[0].image"],
        [
            "CronJob",
            "kubernetes:batch/v1:CronJob",
            { schedule: "@daily", jobTemplate: { spec: podSpec([{ name: "c", image: "nginx:1.27" }]) } },
            "spec.jobTemplate.spec.template.spec.containers[0].image",
        ],
        ["ServingRuntime", "kubernetes:serving.kserve.io/v1alpha1:ServingRuntime", { containers: [{ name: "c", image: "nginx:1.27" }] }, "spec.containers[0].image"],
    ] as const) {
        it(`fails an unpinned image in a directly declared ${kind}`, async () => {
            const stack = mutate("model-gateway", () => undefined);
            stack.push({ type, name: `extra-${kind.toLowerCase()}`, props: { kind, metadata: { name: "extra" }, spec } });
            await expectOneViolation(policy, stack, [`${kind} extra: ${path} "nginx:1.27"`]);
        });
    }

    it("fails a predictor container of an InferenceService", async () => {
        const stack = mutate("wine", (p) => (p.spec.predictor.containers = [{ name: "kserve-container", image: "ghcr.io/acme/custom:1" }]));
        await expectOneViolation(policy, stack, ['spec.predictor.containers[0].image "ghcr.io/acme/custom:1"']);
    });

    it("fails a malformed digest", async () => {
        const stack = mutate("model-gateway", (p) => (p.spec.template.spec.containers[0].image = "localhost:5000/tools/gateway@sha256:XYZ"));
        await expectOneViolation(policy, stack, ['has digest "sha256:XYZ"']);
    });

    it("honours exemptImages", async () => {
        const stack = mutate("model-gateway", (p) => (p.spec.template.spec.containers[0].image = "localhost:5000/tools/gateway:1.4.0"));
        await expectPasses(policy, stack, { exemptImages: ["localhost:5000/tools/*"] });
    });
});
