import { expect } from "chai";
import { requireModelSigningEnabled as policy } from "../../policy/require-model-signing-enabled";
import { mutate } from "./fixtures/baseline";
import { expectOneViolation, expectPasses, stackConfig } from "./helpers";

describe("require-model-signing-enabled", () => {
    it("passes on the baseline", async () => {
        await expectPasses(policy);
    });

    it("warns (advisory by default) when a stack turned signing off", async () => {
        const stack = mutate("iris-image", (p) => (p.signing = { ...p.signing, enabled: false }));
        const v = await expectOneViolation(policy, stack, ['model image iris-image ("localhost:5000/modelship/iris@sha256:', "has signing.enabled false"]);
        expect(v.enforcementLevel).to.equal("advisory");
    });

    it("is mandatory under the prod config", async () => {
        const stack = mutate("iris-image", (p) => (p.signing = { ...p.signing, enabled: false }));
        const v = await expectOneViolation(policy, stack, ["has signing.enabled false"], stackConfig("prod")[policy.name]);
        expect(v.enforcementLevel).to.equal("mandatory");
    });

    it("fails a model image without signing settings", async () => {
        const stack = mutate("wine-image", (p) => delete p.signing);
        await expectOneViolation(policy, stack, ["model image wine-image", "has no signing settings"]);
    });
});
