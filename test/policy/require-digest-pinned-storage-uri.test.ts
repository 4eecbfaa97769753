import { expect } from "chai";
import { requireDigestPinnedStorageUri as policy } from "../../policy/require-digest-pinned-storage-uri";
import { UNKNOWN } from "../../policy/lib/harness";
import { IRIS_IMAGE_REF, bundleIsvc, mutate } from "./fixtures/baseline";
import { expectOneViolation, expectPasses, runOne } from "./helpers";

describe("require-digest-pinned-storage-uri", () => {
    it("passes on the baseline (bundle and direct InferenceServices, Knative and Standard canary)", async () => {
        await expectPasses(policy);
    });

    it("fails a tagged storageUri inside a bundle, naming the object and the value", async () => {
        const stack = mutate("iris-bundle", (p) => {
            bundleIsvc(p).spec.predictor.model.storageUri = "oci://localhost:5000/modelship/iris:v1";
        });
        const v = await expectOneViolation(policy, stack, [
            "InferenceService models/iris in bundle iris-bundle manifests[0]",
            'spec.predictor.model.storageUri "oci://localhost:5000/modelship/iris:v1" is not pinned by digest',
            "oci://localhost:5000/modelship/iris@sha256:<digest>",
        ]);
        expect(v.enforcementLevel).to.equal("mandatory");
        expect(v.urn).to.equal("urn:pulumi:dev::modelship::pulumi-nodejs:dynamic/modelship:OciArtifact::iris-bundle");
    });

    it("fails a truncated digest", async () => {
        const stack = mutate("iris-bundle", (p) => {
            bundleIsvc(p).spec.predictor.model.storageUri = "oci://localhost:5000/modelship/iris@sha256:abc";
        });
        await expectOneViolation(policy, stack, ['has digest "sha256:abc", which is not sha256:<64 lowercase hex>']);
    });

    it("fails an unpinned canary storageUri on a directly declared InferenceService (Standard mode)", async () => {
        const stack = mutate("wine", (p) => {
            p.spec.canary[0].predictor.model.storageUri = "oci://localhost:5000/modelship/wine:v3";
        });
        await expectOneViolation(policy, stack, ["InferenceService models/wine:", "spec.canary[0].predictor.model.storageUri"]);
    });

    it("fails an unpinned entry of storageUris", async () => {
        const stack = mutate("wine", (p) => {
            p.spec.predictor.model.storageUris = [`oci://${IRIS_IMAGE_REF}`, { uri: "oci://localhost:5000/modelship/tokenizer" }];
        });
        await expectOneViolation(policy, stack, ['spec.predictor.model.storageUris[1] "oci://localhost:5000/modelship/tokenizer"']);
    });

    it("fails a legacy framework key (spec.predictor.sklearn.storageUri)", async () => {
        const stack = mutate("iris-bundle", (p) => {
            bundleIsvc(p).spec.predictor = { sklearn: { storageUri: "oci://localhost:5000/modelship/iris:latest" } };
        });
        await expectOneViolation(policy, stack, ["spec.predictor.sklearn.storageUri"]);
    });

    it("ignores non-OCI storage URIs and honours exemptStorageUris", async () => {
        await expectPasses(
            policy,
            mutate("wine", (p) => (p.spec.predictor.model.storageUri = "s3://models/wine")),
        );
        const stack = mutate("wine", (p) => (p.spec.predictor.model.storageUri = "oci://localhost:5000/scratch/wine:dev"));
        await expectPasses(policy, stack, { exemptStorageUris: ["oci://localhost:5000/scratch/*"] });
    });

    it("becomes an advisory 'can't run during preview' when the bundle's manifests are unknown", async () => {
        const stack = mutate("iris-bundle", (p) => (p.manifests = UNKNOWN));
        const { runs, violations } = await runOne(policy, stack);
        expect(violations).to.have.lengthOf(1);
        expect(violations[0].enforcementLevel).to.equal("advisory");
        expect(violations[0].unknown).to.equal(true);
        expect(runs.flatMap((r) => r.unknownReads)).to.deep.equal(["manifests"]);
    });

    it("is skipped when the stack config disables it", async () => {
        const stack = mutate("iris-bundle", (p) => (bundleIsvc(p).spec.predictor.model.storageUri = "oci://x/y:latest"));
        const { violations } = await runOne(policy, stack, { enforcementLevel: "disabled" });
        expect(violations).to.deep.equal([]);
    });
});
