import { expect } from "chai";
import { requireProvenanceAttestation as policy } from "../../policy/require-provenance-attestation";
import { PROVENANCE_FIELD_PATHS } from "../../components/supply-chain/provenance";
import { WINE_IMAGE_REF, baselineStack, mutate } from "./fixtures/baseline";
import { expectOneViolation, expectPasses, runOne } from "./helpers";
import * as fs from "fs";
import * as path from "path";

describe("require-provenance-attestation (stack)", () => {
    it("passes on the baseline (predicates made by modelship's own builder)", async () => {
        await expectPasses(policy);
    });

    it("fails a signed image without an attestation, on the image's URN", async () => {
        const stack = baselineStack().filter((r) => r.name !== "wine-attestation");
        const v = await expectOneViolation(policy, stack, [
            `model image wine-image ("${WINE_IMAGE_REF}") has no https://slsa.dev/provenance/v1 attestation resource (pulumi-nodejs:dynamic/modelship:ImageAttestation) for that reference`,
        ]);
        expect(v.urn).to.equal("urn:pulumi:dev::modelship::pulumi-nodejs:dynamic/modelship:OciArtifact::wine-image");
        expect(v.enforcementLevel).to.equal("mandatory");
    });

    it("fails an attestation of another predicate type, or of another digest", async () => {
        await expectOneViolation(
            policy,
            mutate("wine-attestation", (p) => (p.predicateType = "https://example.com/other/v1")),
            ["model image wine-image"],
        );
        await expectOneViolation(
            policy,
            mutate("wine-attestation", (p) => (p.reference = WINE_IMAGE_REF.replace(/@sha256:.*/, `@sha256:${"0".repeat(64)}`))),
            ["model image wine-image"],
        );
    });

    it("fails a predicate without a required field, naming it; the stack decides which fields are required", async () => {
        await expectOneViolation(
            policy,
            mutate("wine-attestation", (p) => delete p.predicate.buildDefinition.resolvedDependencies),
            ["lacks predicate.buildDefinition.resolvedDependencies"],
        );
        const sourceRevision = PROVENANCE_FIELD_PATHS.sourceRevision.join(".");
        // iris has a source revision, wine none: requiring it fails wine only.
        await expectOneViolation(policy, baselineStack(), [`attestation wine-attestation of model image wine-image lacks predicate.${sourceRevision}`], {
            requiredPredicateFields: [sourceRevision],
        });
    });

    it("the prod policy config requires fields where modelship writes them", () => {
        const prod = JSON.parse(fs.readFileSync(path.join(__dirname, "../../policy/config/prod.json"), "utf8"));
        expect(prod["require-provenance-attestation"].requiredPredicateFields).to.include(PROVENANCE_FIELD_PATHS.sourceRepository.join("."));
    });

    it("is not applicable when no image has signing enabled", async () => {
        const stack = baselineStack();
        for (const r of stack) if (r.props.kind === "modelcar-image") r.props.signing.enabled = false;
        const { runs } = await runOne(policy, stack);
        expect(runs[0].notApplicable).to.contain("no model image has signing enabled");
    });
});
