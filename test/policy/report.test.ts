// The report writer over engine event streams. documented-*.jsonl are built from the documented
// event shapes (see test/fixtures/engine-events/README.md); every recorded-*.jsonl present is
// picked up too and checked against the same invariants.
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { EngineEvent, PolicyReport, buildReport, parseEventStream, policyCatalog, renderJson, renderMarkdown, renderSarif } from "../../policy/report";
import { stackConfig } from "./helpers";

const fixtureDir = path.join(__dirname, "..", "fixtures", "engine-events");
const streams = fs.readdirSync(fixtureDir).filter((f) => /^(documented|recorded)-.*\.jsonl$/.test(f));

function reportFor(file: string): { events: EngineEvent[]; report: PolicyReport } {
    const events = parseEventStream(fs.readFileSync(path.join(fixtureDir, file), "utf8"));
    const report = buildReport({
        events,
        catalog: policyCatalog(),
        stackConfig: stackConfig("dev"),
        stack: "dev",
        gitRevision: "0123456789abcdef0123456789abcdef01234567",
        packName: "modelship",
        packVersion: "0.1.0",
        generatedAt: "2026-01-01T00:00:00.000Z",
        source: file,
    });
    return { events, report };
}

describe("policy report: invariants on every event stream", () => {
    it("finds the documented fixtures (and any recorded ones)", () => {
        expect(streams).to.include.members(["documented-compliant.jsonl", "documented-violations.jsonl"]);
    });

    for (const file of streams) {
        describe(file, () => {
            it(file.startsWith("documented-") ? "is marked as built from documented shapes, not recorded" : "is a recording (no fixture marker)", () => {
                const first = JSON.parse(fs.readFileSync(path.join(fixtureDir, file), "utf8").split("\n")[0]);
                if (file.startsWith("documented-")) {
                    expect(first._fixture.recorded).to.equal(false);
                    expect(first._fixture.builtFrom).to.contain("events.go");
                } else {
                    expect(first._fixture).to.equal(undefined);
                }
            });

            it("reports one result per policy × resource named in the summaries, and every violation as a failure", () => {
                const { events, report } = reportFor(file);
                let expected = 0;
                for (const e of events) {
                    const s = e.policyAnalyzeSummaryEvent;
                    if (s) expected += (s.passed ?? []).length + (s.failed ?? []).length;
                }
                const resourceRows = report.results.filter((r) => r.resourceUrn !== "stack" && report.policies.find((p) => p.policy === r.policy)?.scope === "resource");
                expect(resourceRows).to.have.lengthOf(expected);
                for (const e of events) {
                    const v = e.policyEvent;
                    if (!v) continue;
                    const row = report.results.find((r) => r.policy === v.policyName && r.resourceUrn === (v.resourceUrn || "stack"));
                    expect(row, `${v.policyName} on ${v.resourceUrn}`).to.not.equal(undefined);
                    expect(row!.outcome).to.not.equal("pass");
                }
                const t = report.totals;
                expect(t.passed + t.failed + t.inconclusive).to.equal(t.results);
                expect(report.policies.reduce((n, p) => n + p.passed + p.failed + p.inconclusive, 0)).to.equal(t.results);
            });

            it("is not compliant exactly when a mandatory policy event is present", () => {
                const { events, report } = reportFor(file);
                const mandatory = events.some((e) => e.policyEvent && e.policyEvent.enforcementLevel === "mandatory" && !/during preview/.test(e.policyEvent.message));
                expect(report.compliant).to.equal(!mandatory && report.engineErrors.length === 0);
            });

            it("renders Markdown, JSON and SARIF 2.1.0 naming stack, revision and pack version", () => {
                const { report } = reportFor(file);
                const md = renderMarkdown(report);
                expect(md).to.contain("# Policy report: stack `dev`");
                expect(md).to.contain("`0123456789abcdef0123456789abcdef01234567`");
                expect(md).to.contain(report.pack.version);
                expect(JSON.parse(renderJson(report))).to.deep.equal(JSON.parse(JSON.stringify(report)));
                const sarif = JSON.parse(renderSarif(report));
                expect(sarif.version).to.equal("2.1.0");
                const run = sarif.runs[0];
                expect(run.tool.driver.version).to.equal(report.pack.version);
                expect(run.results).to.have.lengthOf(report.results.length);
                const ruleIds = run.tool.driver.rules.map((r: any) => r.id);
                for (const res of run.results) {
                    expect(ruleIds).to.include(res.ruleId);
                    expect(res.locations[0].logicalLocations[0].fullyQualifiedName).to.match(/^(urn:pulumi:|stack:)/);
                }
            });
        });
    }
});

describe("policy report: documented-compliant.jsonl", () => {
    const { report } = reportFor("documented-compliant.jsonl");

    it("is compliant with only passing results", () => {
        expect(report.compliant).to.equal(true);
        expect(report.totals.failed).to.equal(0);
        expect(report.totals.passed).to.equal(report.totals.results);
        expect(report.pack).to.deep.equal({ name: "modelship", version: "0.1.0" });
        expect(report.preview.resources).to.equal(12);
        expect(report.preview.resourceChanges).to.deep.equal({ create: 12 });
    });

    it("counts ten resource policies over twelve resources plus both stack policies", () => {
        expect(report.totals.results).to.equal(10 * 12 + 2);
        const kyverno = report.policies.find((p) => p.policy === "require-kyverno-signature-policy")!;
        expect(kyverno).to.include({ scope: "stack", passed: 1, failed: 0, severity: "critical", enforcementLevel: "mandatory" });
    });

    it("SARIF marks every result as a pass with level none", () => {
        const sarif = JSON.parse(renderSarif(report));
        expect(new Set(sarif.runs[0].results.map((r: any) => `${r.kind}/${r.level}`))).to.deep.equal(new Set(["pass/none"]));
        expect(sarif.runs[0].invocations[0].executionSuccessful).to.equal(true);
    });
});

describe("policy report: documented-violations.jsonl", () => {
    const { report } = reportFor("documented-violations.jsonl");
    const bundleUrn = "urn:pulumi:dev::modelship::pulumi-nodejs:dynamic/modelship:OciArtifact::iris-bundle";
    const wineImageUrn = "urn:pulumi:dev::modelship::pulumi-nodejs:dynamic/modelship:OciArtifact::wine-image";
    const appUrn = "urn:pulumi:dev::modelship::kubernetes:argoproj.io/v1alpha1:Application::iris-app";

    it("is not compliant: a mandatory resource failure and a mandatory stack failure", () => {
        expect(report.compliant).to.equal(false);
        expect(report.totals.mandatoryFailed).to.equal(2);
    });

    it("keeps the violation detail without the repeated description, with severity from the pack", () => {
        const row = report.results.find((r) => r.policy === "require-digest-pinned-storage-uri" && r.resourceUrn === bundleUrn)!;
        expect(row).to.deep.include({ outcome: "fail", enforcementLevel: "mandatory", severity: "critical", resourceName: "iris-bundle" });
        expect(row.resourceType).to.equal("pulumi-nodejs:dynamic/modelship:OciArtifact");
        expect(row.messages).to.deep.equal([
            'InferenceService models/iris in bundle iris-bundle manifests[0]: spec.predictor.model.storageUri "oci://localhost:5000/modelship/iris:v1" is not pinned by digest; use oci://localhost:5000/modelship/iris@sha256:<digest>.',
        ]);
    });

    it("reports an advisory failure as a failure that does not break compliance", () => {
        const row = report.results.find((r) => r.policy === "require-provenance-annotations" && r.resourceUrn === bundleUrn)!;
        expect(row).to.deep.include({ outcome: "fail", enforcementLevel: "advisory", severity: "low" });
    });

    it("reports a stack policy failure on the offending model image", () => {
        const row = report.results.find((r) => r.policy === "require-kyverno-signature-policy")!;
        expect(row).to.deep.include({ resourceUrn: wineImageUrn, outcome: "fail", enforcementLevel: "mandatory" });
        expect(report.results.filter((r) => r.policy === "require-kyverno-signature-policy")).to.have.lengthOf(1);
    });

    it("reports a policy that read an unknown value as inconclusive, not as pass or fail", () => {
        const row = report.results.find((r) => r.policy === "require-digest-pinned-argocd-source" && r.resourceUrn === appUrn)!;
        expect(row).to.deep.include({ outcome: "inconclusive", enforcementLevel: "advisory" });
    });

    it("SARIF: error for mandatory, warning for advisory, note for inconclusive; the URN as logical location", () => {
        const sarif = JSON.parse(renderSarif(report, { repositoryUri: "https://github.com/acme/modelship" }));
        const run = sarif.runs[0];
        const byRule = (id: string, urn: string) => run.results.find((r: any) => r.ruleId === id && r.locations[0].logicalLocations[0].fullyQualifiedName === urn);
        expect(byRule("require-digest-pinned-storage-uri", bundleUrn)).to.deep.include({ level: "error", kind: "fail" });
        expect(byRule("require-provenance-annotations", bundleUrn)).to.deep.include({ level: "warning", kind: "fail" });
        expect(byRule("require-digest-pinned-argocd-source", appUrn)).to.deep.include({ level: "note", kind: "review" });
        expect(byRule("require-digest-pinned-storage-uri", bundleUrn).locations[0].physicalLocation.artifactLocation.uri).to.equal("Pulumi.dev.yaml");
        expect(run.versionControlProvenance).to.deep.equal([{ repositoryUri: "https://github.com/acme/modelship", revisionId: "0123456789abcdef0123456789abcdef01234567" }]);
        const rule = run.tool.driver.rules.find((r: any) => r.id === "require-model-signature");
        expect(rule.properties).to.include({ severity: "critical", enforcementLevel: "mandatory", "security-severity": "9.5" });
        expect(rule.defaultConfiguration.level).to.equal("error");
    });

    it("Markdown lists the failures with resource, level and message", () => {
        const md = renderMarkdown(report);
        expect(md).to.contain("❌ not compliant: 2 mandatory failure(s)");
        expect(md).to.contain("### ❌ fail `require-digest-pinned-storage-uri` on iris-bundle (`pulumi-nodejs:dynamic/modelship:OciArtifact`)");
        expect(md).to.contain("| `require-kyverno-signature-policy` | stack | critical | mandatory | 0 | 1 | 0 |");
    });
});

describe("policy report: event stream parsing", () => {
    it("accepts pretty-printed objects one after another, a JSON array, and skips stray text", () => {
        const a = { sequence: 1, policyEvent: { message: 'x {with} "braces"', policyName: "p" } };
        const b = { sequence: 2, summaryEvent: { resourceChanges: {} } };
        expect(parseEventStream(`warning: something\n${JSON.stringify(a, null, 2)}\n${JSON.stringify(b, null, 2)}\n`)).to.deep.equal([a, b]);
        expect(parseEventStream(JSON.stringify([a, b]))).to.deep.equal([a, b]);
        expect(() => parseEventStream('{"sequence": 1, "policyEvent": {')).to.throw(/ends inside a JSON object/);
    });

    it("understands older engines' level names and engine errors", () => {
        const report = buildReport({
            events: [
                {
                    policyEvent: {
                        resourceUrn: "urn:pulumi:dev::modelship::kubernetes:apps/v1:Deployment::web",
                        message: "m",
                        policyName: "require-digest-pinned-images",
                        policyPackName: "modelship",
                        policyPackVersion: "0.1.0",
                        enforcementLevel: "warning",
                    },
                },
                { diagnosticEvent: { message: "<{%fg 1%}>error: boom<{%reset%}>", severity: "error" } },
            ],
            catalog: policyCatalog(),
            stack: "dev",
            gitRevision: "abc",
            packName: "modelship",
            packVersion: "0.1.0",
            generatedAt: "2026-01-01T00:00:00.000Z",
        });
        expect(report.results[0]).to.deep.include({ enforcementLevel: "advisory", outcome: "fail", resourceName: "web", resourceType: "kubernetes:apps/v1:Deployment" });
        expect(report.engineErrors).to.deep.equal(["error: boom"]);
        expect(report.compliant).to.equal(false);
    });
});
