import { requireDigestPinnedArgocdSource as policy } from "../../policy/require-digest-pinned-argocd-source";
import { IRIS_BUNDLE_DIGEST, mutate } from "./fixtures/baseline";
import { expectOneViolation, expectPasses } from "./helpers";

describe("require-digest-pinned-argocd-source", () => {
    it("passes on the baseline", async () => {
        await expectPasses(policy);
    });

    it("fails a tag as targetRevision, naming the Application, repoURL and revision", async () => {
        const stack = mutate("iris-app", (p) => (p.spec.source.targetRevision = "v1"));
        await expectOneViolation(policy, stack, ["Application argocd/iris", 'spec.source repoURL "oci://localhost:5000/modelship/iris-manifests" has targetRevision "v1"']);
    });

    it("fails a missing targetRevision", async () => {
        const stack = mutate("iris-app", (p) => delete p.spec.source.targetRevision);
        await expectOneViolation(policy, stack, ["has no targetRevision"]);
    });

    it("fails a semver range", async () => {
        const stack = mutate("iris-app", (p) => (p.spec.source.targetRevision = "^1.0.0"));
        await expectOneViolation(policy, stack, ['targetRevision "^1.0.0"']);
    });

    it("fails a digest without the sha256: prefix", async () => {
        const stack = mutate("iris-app", (p) => (p.spec.source.targetRevision = IRIS_BUNDLE_DIGEST.slice("sha256:".length)));
        await expectOneViolation(policy, stack, ["spec.source repoURL"]);
    });

    it("fails an unpinned entry of spec.sources[]", async () => {
        const stack = mutate("iris-app", (p) => {
            p.spec.sources = [p.spec.source, { repoURL: "oci://localhost:5000/modelship/extras", targetRevision: "latest", path: "." }];
            delete p.spec.source;
        });
        await expectOneViolation(policy, stack, ['spec.sources[1] repoURL "oci://localhost:5000/modelship/extras" has targetRevision "latest"']);
    });

    it("fails an Application shipped inside a manifest bundle", async () => {
        const stack = mutate("iris-bundle", (p) =>
            p.manifests.push({
                apiVersion: "argoproj.io/v1alpha1",
                kind: "Application",
                metadata: { name: "child", namespace: "argocd" },
                spec: { source: { repoURL: "oci://localhost:5000/modelship/child", targetRevision: "main" } },
            }),
        );
        await expectOneViolation(policy, stack, ["Application argocd/child in bundle iris-bundle manifests[2]"]);
    });

    it("ignores git sources and honours exemptRepoURLs", async () => {
        await expectPasses(
            policy,
            mutate("iris-app", (p) => (p.spec.source = { repoURL: "https://github.com/acme/deploy.git", targetRevision: "main" })),
        );
        const stack = mutate("iris-app", (p) => (p.spec.source.targetRevision = "v1"));
        await expectPasses(policy, stack, { exemptRepoURLs: ["oci://localhost:5000/modelship/*"] });
    });
});
