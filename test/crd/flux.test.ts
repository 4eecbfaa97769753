// The Flux path's objects against Flux's own CRDs (source-controller v1.9.1, kustomize-controller
// v1.9.4, in ../shared/upstream/crds): the OCIRepository pinned by digest with cosign verification,
// and the Kustomization applying the bundle's manifests/ directory.
import { expect } from "chai";
import * as path from "path";
import { buildCosignPublicKeySecret, buildKustomization, buildOciRepository } from "../../components/release/flux";
import { CrdValidator, upstreamCrdValidator } from "../support/crd-validator";

const repoRoot = path.resolve(__dirname, "..", "..");
const DIGEST = `sha256:${"b".repeat(64)}`;

describe("Flux objects against the Flux CRDs", () => {
    let validator: CrdValidator;
    before(() => {
        validator = upstreamCrdValidator(repoRoot);
    });
    const input = {
        name: "iris",
        bundleRepository: "localhost:5000/modelship/iris-manifests",
        bundleDigest: DIGEST,
        plainHttp: true,
        registrySecretName: "modelship-registry",
        cosignPublicKeySecretName: "modelship-cosign-pub",
    };

    it("the OCIRepository is valid, pinned by digest, extracts the bundle's layer and verifies its cosign signature", () => {
        const repo = buildOciRepository(input);
        expect(validator.validate(repo)).to.deep.equal([]);
        expect(repo.spec).to.deep.include({ url: "oci://localhost:5000/modelship/iris-manifests", ref: { digest: DIGEST }, insecure: true });
        expect(repo.spec.verify).to.deep.equal({ provider: "cosign", secretRef: { name: "modelship-cosign-pub" } });
        expect(repo.spec.layerSelector).to.deep.equal({ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", operation: "extract" });
    });

    it("the Kustomization is valid and applies ./manifests of that source with pruning", () => {
        const k = buildKustomization(input);
        expect(validator.validate(k)).to.deep.equal([]);
        expect(k.spec).to.deep.include({ path: "./manifests", prune: true, sourceRef: { kind: "OCIRepository", name: "iris-manifests" } });
    });

    it("the CRDs' rules bite: an unknown field or a wrong verify provider is refused", () => {
        const repo = buildOciRepository(input);
        // Deliberately invalid objects, outside what the builders' types allow.
        (repo.spec.verify as { provider: string }).provider = "gpg";
        expect(validator.validate(repo).map((p) => p.path)).to.include("spec.verify.provider");
        const k = buildKustomization(input);
        (k.spec as Record<string, unknown>).sourceRefs = [];
        expect(validator.validate(k).length).to.be.greaterThan(0);
    });

    it("refuses a tag where a digest is required, and a key that is not PEM", () => {
        expect(() => buildOciRepository({ ...input, bundleDigest: "v1" })).to.throw(/pinned by digest/);
        expect(() => buildCosignPublicKeySecret("k", "flux-system", "not a key")).to.throw(/PEM/);
    });
});
