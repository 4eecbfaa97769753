import { expect } from "chai";
import { EngineEvent, renderSupplyChain, supplyChainOf } from "../../policy/report";
import { IRIS_BUNDLE_DIGEST, IRIS_IMAGE_REF, baselineStack } from "./fixtures/baseline";
import type { HarnessResource } from "../../policy/lib/harness";

/** The preview's planned resources as the engine streams them (resourcePreEvent with the inputs). */
function previewEvents(stack: HarnessResource[]): EngineEvent[] {
    return stack.map((r) => ({
        resourcePreEvent: { metadata: { op: "create", urn: `urn:pulumi:dev::modelship::${r.type}::${r.name}`, type: r.type, new: { inputs: r.props } } as any },
    }));
}

describe("audit report: supply chain per model", () => {
    it("follows image → signature → attestation and bundle → signature → Application from the planned resources", () => {
        const [chain] = supplyChainOf(previewEvents(baselineStack()));
        expect(chain).to.deep.equal({
            model: "modelship/iris-manifests",
            bundle: { reference: `localhost:5000/modelship/iris-manifests@${IRIS_BUNDLE_DIGEST}`, signature: "iris-bundle-signature" },
            images: [{ reference: IRIS_IMAGE_REF, signature: "iris-signature", attestation: { name: "iris-attestation", predicateType: "https://slsa.dev/provenance/v1" } }],
            application: "argocd/iris",
            complete: true,
        });
        const md = renderSupplyChain([chain]).join("\n");
        expect(md).to.contain("### modelship/iris-manifests ✅ complete");
        expect(md).to.contain("| ↳ attestation | `iris-attestation` (https://slsa.dev/provenance/v1) | ✅ |");
        expect(md).to.match(/```mermaid\nflowchart LR\n/);
        expect(md).to.contain("img0 --> att0");
        expect(md).not.to.contain(":::missing");
    });

    it("marks a missing link, in the table and in the diagram", () => {
        const stack = baselineStack().filter((r) => r.name !== "iris-attestation" && r.name !== "iris-bundle-signature");
        const [chain] = supplyChainOf(previewEvents(stack));
        expect(chain.complete).to.equal(false);
        expect(chain.images[0].attestation).to.equal(undefined);
        const md = renderSupplyChain([chain]).join("\n");
        expect(md).to.contain("❌ incomplete");
        expect(md).to.contain("| ↳ attestation | — | ❌ missing |");
        expect(md).to.contain('att0["no attestation"]:::missing');
        expect(md).to.contain('bsig["no signature"]:::missing');
    });

    it("an Application pinned to another digest is not this bundle's", () => {
        const stack = baselineStack();
        stack.find((r) => r.name === "iris-app")!.props.spec.source.targetRevision = `sha256:${"0".repeat(64)}`;
        expect(supplyChainOf(previewEvents(stack))[0].application).to.equal(undefined);
    });
});
