import { expect } from "chai";
import { requireKyvernoSignaturePolicy as policy } from "../../policy/require-kyverno-signature-policy";
import { mutate, baselineStack } from "./fixtures/baseline";
import { expectOneViolation, expectPasses, runOne } from "./helpers";

describe("require-kyverno-signature-policy (stack)", () => {
    it("passes on the baseline", async () => {
        await expectPasses(policy);
    });

    it("fails a model image whose repository no glob matches, on that image's URN", async () => {
        const stack = mutate("model-signatures", (p) => (p.spec.matchImageReferences = [{ glob: "localhost:5000/modelship/iris*" }]));
        const v = await expectOneViolation(policy, stack, [
            'model image wine-image ("localhost:5000/modelship/wine@sha256:',
            "is not covered by a Kyverno ImageValidatingPolicy with Deny (found policies modelship-model-signatures)",
            'add a glob such as "localhost:5000/modelship/wine*"',
        ]);
        expect(v.urn).to.equal("urn:pulumi:dev::modelship::pulumi-nodejs:dynamic/modelship:OciArtifact::wine-image");
    });

    it("does not count a glob that matches registry/repository but not the digest reference pods use", async () => {
        const stack = mutate("model-signatures", (p) => (p.spec.matchImageReferences = [{ glob: "localhost:5000/modelship/iris" }, { glob: "localhost:5000/modelship/wine*" }]));
        await expectOneViolation(policy, stack, ["model image iris-image"]);
    });

    it("fails when the policy only audits (validationActions without Deny)", async () => {
        const stack = mutate("model-signatures", (p) => (p.spec.validationActions = ["Audit"]));
        const { violations } = await runOne(policy, stack);
        expect(violations.map((v) => v.message)).to.have.lengthOf(2);
        expect(violations[0].message).to.contain("found no ImageValidatingPolicy with Deny");
    });

    it("fails when the policy has no attestors, unless requireAttestors is off", async () => {
        const stack = mutate("model-signatures", (p) => (p.spec.attestors = []));
        expect((await runOne(policy, stack)).violations).to.have.lengthOf(2);
        await expectPasses(policy, stack, { requireAttestors: false });
    });

    it("fails when the stack has no ImageValidatingPolicy at all", async () => {
        const stack = baselineStack().filter((r) => r.name !== "model-signatures");
        expect((await runOne(policy, stack)).violations).to.have.lengthOf(2);
    });

    it("counts an ImageValidatingPolicy shipped in a manifest bundle", async () => {
        const ivp = baselineStack().find((r) => r.name === "model-signatures")!.props;
        const stack = baselineStack().filter((r) => r.name !== "model-signatures");
        stack.find((r) => r.name === "iris-bundle")!.props.manifests.push(ivp);
        await expectPasses(policy, stack);
    });

    it("honours exemptRepositories", async () => {
        const stack = mutate("model-signatures", (p) => (p.spec.matchImageReferences = [{ glob: "localhost:5000/modelship/iris*" }]));
        await expectPasses(policy, stack, { exemptRepositories: ["localhost:5000/modelship/wine"] });
    });

    it("is not applicable to a stack without model images", async () => {
        const stack = baselineStack().filter((r) => r.props.kind !== "modelcar-image");
        const { runs } = await runOne(policy, stack);
        expect(runs[0].notApplicable).to.equal("the stack declares no model images");
    });
});
