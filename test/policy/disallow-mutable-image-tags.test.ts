import { disallowMutableImageTags as policy } from "../../policy/disallow-mutable-image-tags";
import { bundleIsvc, bundleRuntime, digest, mutate } from "./fixtures/baseline";
import { expectOneViolation, expectPasses } from "./helpers";

describe("disallow-mutable-image-tags", () => {
    it("passes on the baseline", async () => {
        await expectPasses(policy);
    });

    it("fails :latest in a bundled workload", async () => {
        const stack = mutate("iris-bundle", (p) => (bundleRuntime(p).spec.containers[0].image = "docker.io/kserve/sklearnserver:latest"));
        await expectOneViolation(policy, stack, [
            'ServingRuntime models/sklearn-runtime in bundle iris-bundle manifests[1]: spec.containers[0].image "docker.io/kserve/sklearnserver:latest" uses mutable tag "latest"',
        ]);
    });

    it("fails an image with no tag at all in a direct workload", async () => {
        const stack = mutate("model-gateway", (p) => (p.spec.template.spec.containers[0].image = "localhost:5000/tools/gateway"));
        await expectOneViolation(policy, stack, ["uses mutable tag (no tag, i.e. latest)"]);
    });

    it("fails an untagged oci:// storageUri", async () => {
        const stack = mutate("iris-bundle", (p) => (bundleIsvc(p).spec.predictor.model.storageUri = "oci://localhost:5000/modelship/iris"));
        await expectOneViolation(policy, stack, ['spec.predictor.model.storageUri "oci://localhost:5000/modelship/iris" uses mutable tag']);
    });

    it("fails a model image whose baseImage is busybox:latest", async () => {
        const stack = mutate("iris-image", (p) => (p.baseImage = "busybox:latest"));
        await expectOneViolation(policy, stack, ['model image iris-image: baseImage "busybox:latest" uses mutable tag "latest"']);
    });

    it("fails a configured mutable tag, and accepts any tag beside a digest", async () => {
        const stack = mutate("model-gateway", (p) => (p.spec.template.spec.containers[0].image = "localhost:5000/tools/gateway:main"));
        await expectOneViolation(policy, stack, ['uses mutable tag "main"'], { mutableTags: ["latest", "main"] });
        const pinned = mutate("model-gateway", (p) => (p.spec.template.spec.containers[0].image = `localhost:5000/tools/gateway:latest@${digest("2")}`));
        await expectPasses(policy, pinned);
    });

    it("honours exemptImages", async () => {
        const stack = mutate("model-gateway", (p) => (p.spec.template.spec.containers[0].image = "localhost:5000/tools/gateway:latest"));
        await expectPasses(policy, stack, { exemptImages: ["localhost:5000/tools/gateway:latest"] });
    });
});
