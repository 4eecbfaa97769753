import { expect } from "chai";
import { requireArgocdAutomatedSync as policy } from "../../policy/require-argocd-automated-sync";
import { mutate } from "./fixtures/baseline";
import { expectOneViolation, expectPasses } from "./helpers";

describe("require-argocd-automated-sync", () => {
    it("passes on the baseline", async () => {
        await expectPasses(policy);
    });

    it("warns (advisory) about an Application without automated sync", async () => {
        const stack = mutate("iris-app", (p) => delete p.spec.syncPolicy.automated);
        const v = await expectOneViolation(policy, stack, ["Application argocd/iris has no automated sync (spec.syncPolicy.automated is null)"]);
        expect(v.enforcementLevel).to.equal("advisory");
    });

    it("warns when automated sync is disabled (Argo CD 3 `enabled: false`)", async () => {
        const stack = mutate("iris-app", (p) => (p.spec.syncPolicy.automated.enabled = false));
        await expectOneViolation(policy, stack, ["has no automated sync"]);
    });

    it("warns without prune", async () => {
        const stack = mutate("iris-app", (p) => (p.spec.syncPolicy.automated.prune = false));
        await expectOneViolation(policy, stack, ["Application argocd/iris: spec.syncPolicy.automated.prune is false, expected true"]);
    });

    it("warns without selfHeal, unless requireSelfHeal is off", async () => {
        const stack = mutate("iris-app", (p) => delete p.spec.syncPolicy.automated.selfHeal);
        await expectOneViolation(policy, stack, ["spec.syncPolicy.automated.selfHeal is null, expected true"]);
        await expectPasses(policy, stack, { requireSelfHeal: false });
    });
});
