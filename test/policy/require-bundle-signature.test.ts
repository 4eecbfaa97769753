import { expect } from "chai";
import { requireBundleSignature as policy } from "../../policy/require-bundle-signature";
import { IRIS_BUNDLE_DIGEST, baselineStack, mutate } from "./fixtures/baseline";
import { expectOneViolation, expectPasses, runOne } from "./helpers";

describe("require-bundle-signature (stack)", () => {
    it("passes on the baseline", async () => {
        await expectPasses(policy);
    });

    it("fails an unsigned bundle, on the bundle's URN", async () => {
        const stack = baselineStack().filter((r) => r.name !== "iris-bundle-signature");
        const v = await expectOneViolation(policy, stack, [
            `manifest bundle iris-bundle ("localhost:5000/modelship/iris-manifests@${IRIS_BUNDLE_DIGEST}") has no signature resource (pulumi-nodejs:dynamic/modelship:ImageSignature) for that reference`,
        ]);
        expect(v.urn).to.equal("urn:pulumi:dev::modelship::pulumi-nodejs:dynamic/modelship:OciArtifact::iris-bundle");
    });

    it("fails a signature of an older bundle digest", async () => {
        await expectOneViolation(
            policy,
            mutate("iris-bundle-signature", (p) => (p.reference = `localhost:5000/modelship/iris-manifests@sha256:${"0".repeat(64)}`)),
            ["manifest bundle iris-bundle"],
        );
    });

    it("is not applicable when the stack signs no model image", async () => {
        const stack = baselineStack();
        for (const r of stack) if (r.props.kind === "modelcar-image") r.props.signing.enabled = false;
        const { runs } = await runOne(policy, stack);
        expect(runs[0].notApplicable).to.contain("no model image has signing enabled");
    });
});
