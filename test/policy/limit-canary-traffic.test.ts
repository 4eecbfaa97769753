import { limitCanaryTraffic as policy } from "../../policy/limit-canary-traffic";
import { bundleIsvc, mutate } from "./fixtures/baseline";
import { expectOneViolation, expectPasses, stackConfig } from "./helpers";

describe("limit-canary-traffic", () => {
    it("passes on the baseline (Knative 10%, Standard 5%)", async () => {
        await expectPasses(policy);
    });

    it("fails a Knative canary above the bound", async () => {
        const stack = mutate("iris-bundle", (p) => (bundleIsvc(p).spec.predictor.canaryTrafficPercent = 60));
        await expectOneViolation(
            policy,
            stack,
            ["InferenceService models/iris in bundle iris-bundle manifests[0]: spec.predictor.canaryTrafficPercent is 60, outside the allowed 0..50"],
            stackConfig("prod")[policy.name],
        );
    });

    it("fails a Standard-mode canary that is not an allowed step", async () => {
        const stack = mutate("wine", (p) => (p.spec.canary[0].trafficPercent = 7));
        await expectOneViolation(policy, stack, ["InferenceService models/wine: spec.canary[0].trafficPercent is 7, not one of the allowed steps 0, 1, 5, 10, 25, 50, 75, 99"]);
    });

    it("fails a non-integer share", async () => {
        const stack = mutate("wine", (p) => (p.spec.canary[0].trafficPercent = "5"));
        await expectOneViolation(policy, stack, ['spec.canary[0].trafficPercent is "5", not an integer percentage']);
    });

    it("fails canary entries that add up past the bound", async () => {
        const stack = mutate("wine", (p) => p.spec.canary.push({ ...p.spec.canary[0], trafficPercent: 50 }));
        await expectOneViolation(policy, stack, ["adds up to 55, above 50"], { maxTrafficPercent: 50, allowedSteps: [] });
    });

    it("fails below the configured minimum", async () => {
        const stack = mutate("wine", (p) => (p.spec.canary[0].trafficPercent = 0));
        await expectOneViolation(policy, stack, ["is 0, outside the allowed 1..50"], { minTrafficPercent: 1, maxTrafficPercent: 50, allowedSteps: [] });
    });

    it("uses safe defaults when the engine passes no settings", async () => {
        const stack = mutate("iris-bundle", (p) => (bundleIsvc(p).spec.predictor.canaryTrafficPercent = 75));
        await expectOneViolation(policy, stack, ["is 75, outside the allowed 0..50"], {});
    });
});
