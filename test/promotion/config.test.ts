import { expect } from "chai";
import { defaultPromotionQueries, promotionSchema } from "../../components/config/promotion-schema";
import { validateStackConfig } from "../../components/config/validate";
import { canaryStepsOf, parsePromotionConfig, PromotionConfigError } from "../../components/promotion/run";
import { noSecrets, validRaw } from "../config/fixtures";

const problems = (raw: unknown) => {
    try {
        parsePromotionConfig(raw, "Pulumi.dev.yaml");
    } catch (err) {
        expect(err).to.be.instanceOf(PromotionConfigError);
        return (err as Error).message.split("\n").slice(1);
    }
    throw new Error("expected problems");
};

describe("promotion config (modelship:promotion)", () => {
    it("defaults: Knative queue-proxy queries, 10m window, 100 samples, the documented thresholds", () => {
        const c = parsePromotionConfig({}, "f");
        expect(c).to.deep.equal({
            window: "10m",
            minSamples: 100,
            queryTimeoutSeconds: 10,
            revisionName: "{{model}}-predictor-{{version}}",
            queries: { ...defaultPromotionQueries },
            thresholds: { maxErrorRateRatio: 1.5, errorRateFloor: 0.001, maxLatencyP95Ratio: 1.2, maxLatencyP99Ratio: 1.3 },
        });
        expect(promotionSchema.safeParse(undefined).success).to.equal(false);
    });

    it("reports every problem with its path and the fix", () => {
        expect(
            problems({
                prometheusUrl: "prometheus:9090",
                window: "10 minutes",
                minSamples: 0,
                queries: { requests: "sum(rate(x[5m]))", errors: 'sum(increase(e{rev="{{revision}}",ns="{{ns}}"}[{{window}}]))' },
                thresholds: { maxLatencyP95Ratio: 0.9, minQuality: 0.9 },
            }),
        ).to.deep.equal([
            '  - promotion.prometheusUrl must be an http(s) URL of the Prometheus server, e.g. "http://prometheus.monitoring:9090"',
            '  - promotion.window must be a Prometheus duration such as "30s", "10m" or "1h"',
            "  - promotion.minSamples must be at least 1 (no decision without samples), e.g. 100",
            "  - promotion.queries.requests must contain {{revision}}: the query runs once for the stable and once for the canary revision (requests served over the window)",
            "  - promotion.queries.errors uses an unknown placeholder: the known ones are {{revision}}, {{window}}, {{model}}, {{namespace}}, {{version}}",
            "  - promotion.thresholds.maxLatencyP95Ratio must be 1 or more (1 allows no regression at all), e.g. 1.2: the canary's p95 latency over the stable one's",
            "  - promotion.queries.quality is required when thresholds.minQuality is set: give the PromQL query of the quality metric, or remove minQuality",
        ]);
    });

    it("is part of the stack config: pulumi up refuses a bad promotion section with its path, and accepts none or {}", () => {
        const bad = validateStackConfig({ ...validRaw(), promotion: { minSamples: 1.5, windw: "5m" } }, noSecrets);
        expect(bad.ok).to.equal(false);
        const messages = bad.ok ? [] : bad.problems.map((p) => p.message);
        expect(messages).to.include("promotion.minSamples must be a whole number of requests, e.g. 100");
        expect(messages.some((m) => m.startsWith("promotion") && m.includes("windw"))).to.equal(true);
        expect(validateStackConfig(validRaw(), noSecrets).ok).to.equal(true);
        const empty = validateStackConfig({ ...validRaw(), promotion: {} }, noSecrets);
        expect(empty.ok && empty.config.promotion?.minSamples).to.equal(100);
    });

    it("quality needs both its query and its minimum", () => {
        expect(problems({ thresholds: { minQuality: 0.9 } })).to.deep.equal([
            "  - promotion.queries.quality is required when thresholds.minQuality is set: give the PromQL query of the quality metric, or remove minQuality",
        ]);
        expect(problems({ queries: { quality: 'avg(acc{r="{{revision}}"})' } })).to.deep.equal([
            "  - promotion.thresholds.minQuality is required when queries.quality is set: the lowest acceptable quality, or remove queries.quality",
        ]);
    });

    it("reads the canary steps from the stack's policy config, sorted; the pack's defaults otherwise", () => {
        expect(canaryStepsOf({ "limit-canary-traffic": { allowedSteps: [50, 0, 25, 5, 10], maxTrafficPercent: 50 } })).to.deep.equal({
            allowedSteps: [0, 5, 10, 25, 50],
            maxTrafficPercent: 50,
        });
        expect(canaryStepsOf({})).to.deep.equal({ allowedSteps: [0, 5, 10, 25, 50], maxTrafficPercent: 50 });
    });
});
