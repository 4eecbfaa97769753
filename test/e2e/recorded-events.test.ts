// The event streams recorded by an earlier e2e (test/fixtures/engine-events/recorded-e2e-*.jsonl; see its README)
// say what the e2e run showed: the compliant preview has the exact digests and no mandatory failure;
// the unpinned one fails exactly the three mandatory pinning/registry policies on the bundle.
// test/policy/report.test.ts checks the report's invariants on them as on every recorded stream.
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { buildReport, parseEventStream, policyCatalog } from "../../policy/report";

const dir = path.join(__dirname, "..", "fixtures", "engine-events");
const stackConfig = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "policy", "config", "dev.json"), "utf8"));

function load(name: string) {
    const events = parseEventStream(fs.readFileSync(path.join(dir, name), "utf8"));
    const report = buildReport({
        events,
        catalog: policyCatalog(),
        stackConfig,
        stack: "e2e",
        gitRevision: "0123456789abcdef0123456789abcdef01234567",
        packName: "modelship",
        packVersion: "0.1.0",
        generatedAt: "2026-01-01T00:00:00.000Z",
        source: name,
    });
    return { events, report };
}

const OCI = "pulumi-nodejs:dynamic/modelship:OciArtifact";

describe("recorded e2e event streams", () => {
    it("compliant: the preview shows a sha256 digest for every image and bundle push, and is compliant", () => {
        const { events, report } = load("recorded-e2e-compliant.jsonl");
        const pushes = events.filter((e) => e.resourcePreEvent?.metadata.type === OCI).map((e) => (e.resourcePreEvent!.metadata as any).new.inputs);
        expect(pushes.map((i) => i.kind).sort()).to.deep.equal(["manifest-bundle", "modelcar-image", "modelcar-image"]);
        for (const i of pushes) {
            expect(i.digest).to.match(/^sha256:[a-f0-9]{64}$/);
            expect(i.reference).to.equal(`127.0.0.1:5000/${i.repository}@${i.digest}`);
        }
        expect(report.compliant).to.equal(true);
        expect(report.totals.mandatoryFailed).to.equal(0);
        const advisory = events.filter((e) => e.policyEvent).map((e) => `${e.policyEvent!.policyName}:${e.policyEvent!.enforcementLevel}`);
        expect(advisory.every((a) => a.endsWith(":advisory"))).to.equal(true);
    });

    it("violations: the unpinned Deployment in the bundle fails the three mandatory policies, nothing else mandatory", () => {
        const { events, report } = load("recorded-e2e-violations.jsonl");
        const mandatory = events
            .filter((e) => e.policyEvent?.enforcementLevel === "mandatory")
            .map((e) => e.policyEvent!.policyName)
            .sort();
        expect(mandatory).to.deep.equal(["disallow-mutable-image-tags", "require-digest-pinned-images", "restrict-image-registries"]);
        for (const e of events.filter((x) => x.policyEvent?.enforcementLevel === "mandatory")) {
            expect(e.policyEvent!.resourceUrn).to.match(/OciArtifact::iris-bundle-push$/);
            expect(e.policyEvent!.message).to.contain("nginx:latest");
        }
        expect(report.compliant).to.equal(false);
        expect(report.totals.mandatoryFailed).to.equal(3);
    });
});
