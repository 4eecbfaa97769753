import { expect } from "chai";
import { buildEvidence } from "../../components/promotion/evidence";
import { isPromotionEvidence, renderPromotions } from "../../policy/report/promotions";

const evidence = (timestamp: string, decision: "step-up" | "hold", queries = true) =>
    buildEvidence({
        timestamp,
        stack: "dev",
        model: "iris",
        decision,
        from: { version: "v1", modelDir: "models/iris/v1", canary: { version: "v2", modelDir: "models/iris/v2", trafficPercent: 10 } },
        to: { version: "v1", modelDir: "models/iris/v1", canary: { version: "v2", modelDir: "models/iris/v2", trafficPercent: decision === "step-up" ? 25 : 10 } },
        reasons:
            decision === "step-up"
                ? ["healthy: …", "next allowed step: 10 % → 25 %"]
                : ["no decision without every metric: stable requests: Prometheus at http://p:9090: query `q` failed: ECONNREFUSED"],
        prometheusUrl: "http://p:9090",
        window: "10m",
        minSamples: 100,
        thresholds: { maxErrorRateRatio: 1.5, errorRateFloor: 0.001, maxLatencyP95Ratio: 1.2, maxLatencyP99Ratio: 1.3 },
        steps: { allowedSteps: [0, 5, 10, 25, 50], maxTrafficPercent: 50, source: "policy/config/dev.json limit-canary-traffic" },
        revisions: { stable: { version: "v1", revision: "iris-predictor-00001" }, canary: { version: "v2", revision: "iris-predictor-00002" } },
        queries: queries
            ? [
                  { metric: "requests", role: "stable", revision: "iris-predictor-00001", query: 'sum(increase(x{r="iris-predictor-00001"}[10m]))', value: 1200 },
                  { metric: "requests", role: "canary", revision: "iris-predictor-00002", query: 'sum(increase(x{r="iris-predictor-00002"}[10m]))', value: 130.5 },
                  { metric: "latencyP95", role: "canary", revision: "iris-predictor-00002", query: "a | b", error: "timed out" },
              ]
            : [],
        stackFile: "Pulumi.dev.yaml",
        stackFileChanged: decision === "step-up",
        dryRun: false,
    });

describe("audit report: Promotions section", () => {
    it("is absent when the audit did not look, and says so when there is no evidence", () => {
        expect(renderPromotions(undefined)).to.deep.equal([]);
        expect(renderPromotions([])).to.deep.equal(["## Promotions", "", "No promotion evidence in reports/<stack>/promotions/ (`npm run promote` writes it).", ""]);
    });

    it("lists every decision newest first, then each one's thresholds, reasons and queries", () => {
        const md = renderPromotions([evidence("2026-12-01T10:00:00.000Z", "hold", false), evidence("2026-12-02T10:00:00.000Z", "step-up")]).join("\n");
        expect(md).to.include(
            [
                "| Time | Model | Decision | From | To | Samples (stable / canary) | Stack file changed |",
                "|---|---|---|---|---|---|---|",
                "| 2026-12-02T10:00:00.000Z | `iris` | **step-up** | v1 + v2 at 10 % | v1 + v2 at 25 % | 1200 / 130.5 (min 100) | yes |",
                "| 2026-12-01T10:00:00.000Z | `iris` | **hold** | v1 + v2 at 10 % | v1 + v2 at 10 % | — / — (min 100) | no |",
            ].join("\n"),
        );
        expect(md).to.include("### 2026-12-02T10:00:00.000Z `iris`: step-up\n\n- Prometheus: http://p:9090, window 10m, minSamples 100\n");
        expect(md).to.include("- Thresholds: maxErrorRateRatio 1.5 (floor 0.001), maxLatencyP95Ratio 1.2, maxLatencyP99Ratio 1.3\n");
        expect(md).to.include("- Steps: 0, 5, 10, 25, 50 (max 50; from policy/config/dev.json limit-canary-traffic)\n");
        expect(md).to.include("| canary `iris-predictor-00002` | latencyP95 | `a \\| b` | failed: timed out |");
        expect(md).to.include("- no decision without every metric: stable requests: Prometheus at http://p:9090: query `q` failed: ECONNREFUSED");
        expect(md.indexOf("### 2026-12-02")).to.be.lessThan(md.indexOf("### 2026-12-01"));
    });

    it("tells an evidence record from other JSON", () => {
        expect(isPromotionEvidence(evidence("2026-12-01T10:00:00.000Z", "hold"))).to.equal(true);
        expect(isPromotionEvidence({ reportVersion: 1 })).to.equal(false);
        expect(isPromotionEvidence(null)).to.equal(false);
    });
});
