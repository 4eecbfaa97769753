// The contract with the policy pack: the resources ModelRelease records pass the release policies,
// and a stack that turns signing off gets the signing-enabled warning.
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { recorder } from "../support/pulumi-mocks";
import { runResourcePolicy } from "../support/policy-harness";
import { requireModelSigningEnabled } from "../../policy/require-model-signing-enabled";
import { requireProvenanceAnnotations } from "../../policy/require-provenance-annotations";
import { requireDigestPinnedStorageUri } from "../../policy/require-digest-pinned-storage-uri";
import { requireDigestPinnedArgocdSource } from "../../policy/require-digest-pinned-argocd-source";
import { requireArgocdAutomatedSync } from "../../policy/require-argocd-automated-sync";
import { limitCanaryTraffic } from "../../policy/limit-canary-traffic";
import type { StackConfig } from "../../components/config/schema";
import { declareRelease, installReleaseMocks, reveal, stackConfig } from "./support";

async function recordRelease(config: StackConfig) {
    recorder.reset();
    const model = { ...config.models[0], provenance: { ...config.models[0].provenance, sourceRevision: "0123abc" } };
    await declareRelease(config, model, { secrets: { signingKeyPassword: pulumi.secret("pw") } });
    return recorder.resources.map((x) => ({ type: x.type, name: x.name, props: reveal(x.inputs) }));
}

describe("release ↔ policy pack contract", function () {
    this.timeout(30000);
    before(() => installReleaseMocks());

    it("what ModelRelease declares passes the digest, sync, provenance and canary policies", async () => {
        const resources = await recordRelease(stackConfig("dev"));
        const policies = [
            requireModelSigningEnabled,
            requireProvenanceAnnotations,
            requireDigestPinnedStorageUri,
            requireDigestPinnedArgocdSource,
            requireArgocdAutomatedSync,
            limitCanaryTraffic,
        ];
        for (const policy of policies) {
            for (const resource of resources) {
                const run = await runResourcePolicy(policy, resource);
                expect(run.violations.map((v) => v.message), `${policy.name} on ${resource.name}`).to.deep.equal([]);
            }
        }
    });

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
