import { expect } from "chai";
import { requireModelSignature as policy } from "../../policy/require-model-signature";
import { WINE_IMAGE_REF, baselineStack, digest, mutate } from "./fixtures/baseline";
import { expectOneViolation, expectPasses, runOne } from "./helpers";

describe("require-model-signature (stack)", () => {
    it("passes on the baseline", async () => {
        await expectPasses(policy);
    });

    it("ignores a resource of another type that carries the same reference", async () => {
        const stack = mutate("wine-signature", (p) => p).map((r) => (r.name === "wine-signature" ? { ...r, type: "command:local:Command" } : r));
        await expectOneViolation(policy, stack, ["model image wine-image"]);
    });

    it("fails a signed-enabled image with no signature resource, on the image's URN", async () => {
        const stack = baselineStack().filter((r) => r.name !== "wine-signature");
        const v = await expectOneViolation(policy, stack, [
            `model image wine-image ("${WINE_IMAGE_REF}") has signing enabled but no cosign signature resource (pulumi-nodejs:dynamic/modelship:ImageSignature) for that reference`,
        ]);
        expect(v.urn).to.equal("urn:pulumi:dev::modelship::pulumi-nodejs:dynamic/modelship:OciArtifact::wine-image");
        expect(v.enforcementLevel).to.equal("mandatory");
    });

    it("fails when the signature is of a different digest (stale)", async () => {
        const stack = mutate("wine-signature", (p) => (p.reference = `localhost:5000/modelship/wine@${digest("0")}`));
        await expectOneViolation(policy, stack, ["model image wine-image"]);
    });

    it("fails when the signer is not cosign, unless requireCosign is off", async () => {
        const stack = mutate("wine-signature", (p) => (p.signer = "notation"));
        await expectOneViolation(policy, stack, ["model image wine-image"]);
        await expectPasses(policy, stack, { requireCosign: false });
    });

    it("leaves images with signing turned off to require-model-signing-enabled", async () => {
        const stack = mutate("wine-image", (p) => (p.signing.enabled = false)).filter((r) => r.name !== "wine-signature");
        await expectPasses(policy, stack);
    });

    it("is not applicable when no image has signing enabled", async () => {
        const stack = baselineStack();
        for (const r of stack) if (r.props.kind === "modelcar-image") r.props.signing.enabled = false;
        const { runs } = await runOne(policy, stack);
        expect(runs[0].notApplicable).to.contain("no model image has signing enabled");
    });
});
