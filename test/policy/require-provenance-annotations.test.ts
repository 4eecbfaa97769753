import { expect } from "chai";
import { requireProvenanceAnnotations as policy } from "../../policy/require-provenance-annotations";
import { bundleIsvc, mutate } from "./fixtures/baseline";
import { expectOneViolation, expectPasses, runOne } from "./helpers";

describe("require-provenance-annotations", () => {
    it("passes on the baseline", async () => {
        await expectPasses(policy);
    });

    it("warns (advisory) about a bundled InferenceService missing annotations, naming them", async () => {
        const stack = mutate("iris-bundle", (p) => {
            delete bundleIsvc(p).metadata.annotations["modelship.io/source-revision"];
            bundleIsvc(p).metadata.annotations["modelship.io/model-digest"] = " ";
        });
        const v = await expectOneViolation(policy, stack, [
            "InferenceService models/iris in bundle iris-bundle manifests[0] lacks provenance annotations modelship.io/model-digest, modelship.io/source-revision",
        ]);
        expect(v.enforcementLevel).to.equal("advisory");
    });

    it("warns about a direct InferenceService with no annotations at all", async () => {
        const stack = mutate("wine", (p) => delete p.metadata.annotations);
        await expectOneViolation(policy, stack, ["InferenceService models/wine lacks provenance annotations modelship.io/model-version"]);
    });

    it("uses requiredAnnotations from config, defaulting when the engine passes none", async () => {
        const stack = mutate("wine", (p) => delete p.metadata.annotations["modelship.io/source-revision"]);
        await expectPasses(policy, stack, { requiredAnnotations: ["modelship.io/model-version"] });
        const { violations } = await runOne(policy, stack, {});
        expect(violations.map((v) => v.message)).to.deep.equal(["InferenceService models/wine lacks provenance annotations modelship.io/source-revision."]);
    });
});
