// The contract with the policy pack: the resources ModelRelease records pass the release policies,
// and each policy really looks at them: the same resources with one thing broken fail it. (A policy
// that stopped matching ModelRelease's types or shapes would pass the first half vacuously; the
// second half then fails.)
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { recorder } from "../support/pulumi-mocks";
import { HarnessResource, runResourcePolicy, runStackPolicy } from "../../policy/lib/harness";
import { requireModelSigningEnabled } from "../../policy/require-model-signing-enabled";
import { requireModelSignature } from "../../policy/require-model-signature";
import { requireProvenanceAttestation } from "../../policy/require-provenance-attestation";
import { requireBundleSignature } from "../../policy/require-bundle-signature";
import { requireProvenanceAnnotations } from "../../policy/require-provenance-annotations";
import { requireDigestPinnedStorageUri } from "../../policy/require-digest-pinned-storage-uri";
import { requireDigestPinnedArgocdSource } from "../../policy/require-digest-pinned-argocd-source";
import { requireArgocdAutomatedSync } from "../../policy/require-argocd-automated-sync";
import { limitCanaryTraffic } from "../../policy/limit-canary-traffic";
import type { StackConfig } from "../../components/config/schema";
import { declareRelease, installReleaseMocks, reveal, stackConfig } from "./support";

async function recordRelease(config: StackConfig): Promise<HarnessResource[]> {
    recorder.reset();
    const model = { ...config.models[0], provenance: { ...config.models[0].provenance, sourceRevision: "0123abc" } };
    await declareRelease(config, model, { secrets: { signingKeyPassword: pulumi.secret("pw") } });
    return recorder.resources.map((x) => ({ type: x.type, name: x.name, props: reveal(x.inputs) }));
}

const named = (resources: HarnessResource[], suffix: string) => {
    const found = resources.find((r) => r.name.endsWith(suffix));
    if (!found) throw new Error(`ModelRelease declared no resource named *${suffix}`);
    return found;
};
const isvcOf = (resources: HarnessResource[]) => named(resources, "-bundle-push").props.manifests[0];

async function violationsOf(policy: ResourceValidationPolicy | StackValidationPolicy, resources: HarnessResource[]): Promise<string[]> {
    if ("validateStack" in policy) return (await runStackPolicy(policy, resources)).violations.map((v) => v.message);
    const out: string[] = [];
    for (const r of resources) out.push(...(await runResourcePolicy(policy, r)).violations.map((v) => `${r.name}: ${v.message}`));
    return out;
}

/** Each policy, and one change to what ModelRelease declared that it must catch. */
const contract: Array<[ResourceValidationPolicy | StackValidationPolicy, string, (rs: HarnessResource[]) => void]> = [
    [requireModelSigningEnabled, "signing turned off on an image", (rs) => (named(rs, "-v1-image").props.signing.enabled = false)],
    [requireModelSignature, "the image signature dropped", (rs) => rs.splice(rs.indexOf(named(rs, "-v1-signature")), 1)],
    [requireProvenanceAttestation, "the attestation dropped", (rs) => rs.splice(rs.indexOf(named(rs, "-v1-attestation")), 1)],
    [requireBundleSignature, "the bundle signature dropped", (rs) => rs.splice(rs.indexOf(named(rs, "-bundle-signature")), 1)],
    [requireProvenanceAnnotations, "the InferenceService's annotations removed", (rs) => (isvcOf(rs).metadata.annotations = {})],
    [requireDigestPinnedStorageUri, "the storageUri by tag", (rs) => (isvcOf(rs).spec.predictor.model.storageUri = "oci://localhost:5000/modelship/iris:v1")],
    [requireDigestPinnedArgocdSource, "the Application on a branch", (rs) => (named(rs, "-application").props.spec.source.targetRevision = "main")],
    [requireArgocdAutomatedSync, "the Application without automated sync", (rs) => (named(rs, "-application").props.spec.syncPolicy = {})],
    [limitCanaryTraffic, "a canary share that is not an allowed step", (rs) => (isvcOf(rs).spec.predictor.canaryTrafficPercent = 33)],
];

describe("release ↔ policy pack contract", function () {
    this.timeout(30000);
    before(() => installReleaseMocks());

    for (const [policy, broken, breakIt] of contract) {
        it(`${policy.name}: passes on what ModelRelease declares, fails when ${broken}`, async () => {
            const resources = await recordRelease(stackConfig("dev"));
            expect(await violationsOf(policy, resources), "as declared").to.deep.equal([]);
            breakIt(resources);
            expect(await violationsOf(policy, resources), `after: ${broken}`).to.have.length.greaterThan(0);
        });
    }

    it("signing off: the signing-enabled policy warns on each model image", async () => {
        const config = stackConfig("dev");
        const resources = await recordRelease({ ...config, signing: { ...config.signing, enabled: false } });
        const images = resources.filter((r) => r.props.kind === "modelcar-image");
        expect(images.length).to.be.greaterThan(0);
        for (const image of images) {
            const run = await runResourcePolicy(requireModelSigningEnabled, image);
            expect(run.violations).to.have.length(1);
            expect(run.violations[0].message).to.contain("has signing.enabled false");
        }
    });
});
