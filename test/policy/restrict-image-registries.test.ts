import { restrictImageRegistries as policy } from "../../policy/restrict-image-registries";
import { bundleIsvc, bundleRuntime, mutate } from "./fixtures/baseline";
import { expectOneViolation, expectPasses, runOne } from "./helpers";
import { expect } from "chai";

describe("restrict-image-registries", () => {
    it("passes on the baseline under the dev config", async () => {
        await expectPasses(policy);
    });

    it("fails a bundled workload image from another registry, naming registry and allow-list", async () => {
        const stack = mutate("iris-bundle", (p) => (bundleRuntime(p).spec.containers[0].image = `quay.io/evil/server@sha256:${"e".repeat(64)}`));
        await expectOneViolation(policy, stack, [
            'ServingRuntime models/sklearn-runtime in bundle iris-bundle manifests[1]: spec.containers[0].image "quay.io/evil/server@sha256:',
            "comes from registry quay.io, which is not allowed (allowed: localhost:5000, localhost:*, 127.0.0.1:*, docker.io/kserve/*, docker.io/library/busybox)",
        ]);
    });

    it("fails a Docker Hub image outside the allowed repositories (implicit docker.io)", async () => {
        const stack = mutate("model-gateway", (p) => (p.spec.template.spec.initContainers[0].image = `alpine:3.20@sha256:${"3".repeat(64)}`));
        await expectOneViolation(policy, stack, ['"alpine:3.20@sha256:', "comes from registry docker.io"]);
    });

    it("fails a storage URI on another registry", async () => {
        const stack = mutate("iris-bundle", (p) => (bundleIsvc(p).spec.predictor.model.storageUri = `oci://ghcr.io/other/iris@sha256:${"a".repeat(64)}`));
        await expectOneViolation(policy, stack, ["spec.predictor.model.storageUri", "comes from registry ghcr.io"]);
    });

    it("fails a model image pushed to another registry", async () => {
        const stack = mutate("iris-image", (p) => (p.registry = "registry.example.com"));
        await expectOneViolation(policy, stack, ['OCI artifact iris-image: registry/repository "registry.example.com/modelship/iris"']);
    });

    it("fails a model base image from another registry", async () => {
        const stack = mutate("wine-image", (p) => (p.baseImage = `gcr.io/distroless/base@sha256:${"4".repeat(64)}`));
        await expectOneViolation(policy, stack, ['model image wine-image: baseImage "gcr.io/distroless/base@sha256:']);
    });

    it("fails closed with an explanation when no registries are configured", async () => {
        const { violations } = await runOne(policy, undefined, {});
        expect(violations.length).to.be.greaterThan(0);
        expect(violations[0].message).to.contain("no registries are allowed because allowedRegistries is empty for this stack");
    });

    it("matches host globs with ports and honours exemptImages", async () => {
        const stack = mutate("model-gateway", (p) => (p.spec.template.spec.containers[0].image = `127.0.0.1:5001/tools/gateway@sha256:${"1".repeat(64)}`));
        await expectPasses(policy, stack);
        const other = mutate("model-gateway", (p) => (p.spec.template.spec.containers[0].image = `quay.io/tools/gateway@sha256:${"1".repeat(64)}`));
        await expectPasses(policy, other, { allowedRegistries: ["localhost:5000", "docker.io/*"], exemptImages: ["quay.io/tools/*"] });
    });
});
