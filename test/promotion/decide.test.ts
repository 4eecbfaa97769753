import { expect } from "chai";
import { CanarySteps, decidePromotion, DecisionInput, MetricName, Measurement, nextCanaryStep, RevisionMetrics } from "../../components/promotion/decide";

const devSteps: CanarySteps = { allowedSteps: [0, 1, 5, 10, 25, 50, 75, 99], maxTrafficPercent: 99 };
const prodSteps: CanarySteps = { allowedSteps: [0, 5, 10, 25, 50], maxTrafficPercent: 50 };
const thresholds = { maxErrorRateRatio: 1.5, errorRateFloor: 0.001, maxLatencyP95Ratio: 1.2, maxLatencyP99Ratio: 1.3 };
const required: MetricName[] = ["requests", "errors", "latencyP95", "latencyP99"];

const ok = (value: number): Measurement => ({ ok: true, value });
const revision = (requests: number, errors: number, p95: number, p99: number): RevisionMetrics => ({
    requests: ok(requests),
    errors: ok(errors),
    latencyP95: ok(p95),
    latencyP99: ok(p99),
});
const healthy = revision(1000, 10, 50, 80);

function input(over: Partial<DecisionInput> & { trafficPercent?: number; canary?: RevisionMetrics } = {}): DecisionInput {
    const { trafficPercent = 10, canary, ...rest } = over;
    return {
        model: { name: "iris", version: "v1", modelDir: "models/iris/v1", canary: { version: "v2", modelDir: "models/iris/v2", trafficPercent } },
        steps: devSteps,
        metrics: { stable: healthy, canary: canary ?? healthy },
        required,
        thresholds,
        minSamples: 100,
        ...rest,
    };
}

describe("promotion decision (pure)", () => {
    describe("nextCanaryStep", () => {
        it("is the next allowed step above the current share, never one further", () => {
            expect([1, 5, 10, 25, 50, 75].map((s) => nextCanaryStep(s, devSteps))).to.deep.equal([5, 10, 25, 50, 75, 99]);
            expect([5, 10, 25].map((s) => nextCanaryStep(s, prodSteps))).to.deep.equal([10, 25, 50]);
        });
        it("a share between steps goes to the next step above it", () => {
            expect(nextCanaryStep(7, prodSteps)).to.equal(10);
        });
        it("is undefined at the last step and at the maximum, steps above the maximum are not used", () => {
            expect(nextCanaryStep(99, devSteps)).to.equal(undefined);
            expect(nextCanaryStep(50, prodSteps)).to.equal(undefined);
            expect(nextCanaryStep(25, { allowedSteps: [0, 25, 75], maxTrafficPercent: 50 })).to.equal(undefined);
        });
        it("with no steps configured (any integer allowed) it moves by one", () => {
            expect(nextCanaryStep(10, { allowedSteps: [], maxTrafficPercent: 50 })).to.equal(11);
            expect(nextCanaryStep(50, { allowedSteps: [], maxTrafficPercent: 50 })).to.equal(undefined);
        });
        it("ignores the order the steps are listed in", () => {
            expect(nextCanaryStep(10, { allowedSteps: [50, 25, 5, 10], maxTrafficPercent: 50 })).to.equal(25);
        });
    });

    describe("healthy canary", () => {
        it("steps up 10 → 25 with dev's steps, and only the traffic share changes", () => {
            const d = decidePromotion(input());
            expect(d.decision).to.equal("step-up");
            expect(d.from).to.deep.equal({ version: "v1", modelDir: "models/iris/v1", canary: { version: "v2", modelDir: "models/iris/v2", trafficPercent: 10 } });
            expect(d.to).to.deep.equal({ version: "v1", modelDir: "models/iris/v1", canary: { version: "v2", modelDir: "models/iris/v2", trafficPercent: 25 } });
            expect(d.reasons).to.deep.equal([
                "healthy: error-rate ratio 1 ≤ 1.5, p95 ratio 1 ≤ 1.2, p99 ratio 1 ≤ 1.3; samples stable 1000, canary 1000 ≥ 100",
                "next allowed step: 10 % → 25 % (allowed steps 0, 1, 5, 10, 25, 50, 75, 99; max 99)",
            ]);
        });
        it("walks every step of prod one at a time: 5 → 10 → 25 → 50 → promote", () => {
            const seen: string[] = [];
            let share = 5;
            for (;;) {
                const d = decidePromotion(input({ trafficPercent: share, steps: prodSteps }));
                seen.push(d.decision === "step-up" ? `${share}→${d.to.canary!.trafficPercent}` : d.decision);
                if (d.decision !== "step-up") break;
                share = d.to.canary!.trafficPercent;
            }
            expect(seen).to.deep.equal(["5→10", "10→25", "25→50", "promote"]);
        });
        it("at the last allowed step promotes: the canary becomes the version and modelDir, canary removed", () => {
            const d = decidePromotion(input({ trafficPercent: 99 }));
            expect(d.decision).to.equal("promote");
            expect(d.to).to.deep.equal({ version: "v2", modelDir: "models/iris/v2" });
            expect(d.reasons[1]).to.equal("99 % is the last allowed step (0, 1, 5, 10, 25, 50, 75, 99; max 99): promote v2 to 100 %, canary removed");
        });
        it("a regression within the thresholds still steps up", () => {
            const d = decidePromotion(input({ canary: revision(1000, 14, 59, 103) }));
            expect(d.decision).to.equal("step-up");
        });
        it("one error against a stable with none is within the error-rate floor", () => {
            const d = decidePromotion(input({ metrics: { stable: revision(1000, 0, 50, 80), canary: revision(1000, 1, 50, 80) } }));
            expect(d.decision).to.equal("step-up");
            expect(d.observed!.errorRateRatio).to.equal(1);
        });
    });

    describe("regressions roll back to 0 %", () => {
        const rollback = (canary: RevisionMetrics, extra: Partial<DecisionInput> = {}) => {
            const d = decidePromotion(input({ canary, ...extra }));
            expect(d.decision).to.equal("rollback");
            expect(d.to).to.deep.equal({ ...d.from, canary: { ...d.from.canary!, trafficPercent: 0 } });
            expect(d.reasons[d.reasons.length - 1]).to.equal("rolled back: canary v2 to 0 %, all traffic to v1");
            return d.reasons.slice(0, -1);
        };
        it("error rate above maxErrorRateRatio", () => {
            expect(rollback(revision(1000, 16, 50, 80))).to.deep.equal(["error rate regressed: canary 1.6 % vs stable 1 %, ratio 1.6 > maxErrorRateRatio 1.5"]);
        });
        it("p95 latency above maxLatencyP95Ratio", () => {
            expect(rollback(revision(1000, 10, 61, 80))).to.deep.equal(["p95 latency regressed: canary 61 vs stable 50, ratio 1.22 > maxLatencyP95Ratio 1.2"]);
        });
        it("p99 latency above maxLatencyP99Ratio", () => {
            expect(rollback(revision(1000, 10, 50, 105))).to.deep.equal(["p99 latency regressed: canary 105 vs stable 80, ratio 1.3125 > maxLatencyP99Ratio 1.3"]);
        });
        it("every regression is listed", () => {
            expect(rollback(revision(1000, 100, 500, 800))).to.have.length(3);
        });
        it("quality below minQuality", () => {
            const withQuality = (q: number): RevisionMetrics => ({ ...healthy, quality: ok(q) });
            const reasons = rollback(withQuality(0.81), {
                required: [...required, "quality"],
                thresholds: { ...thresholds, minQuality: 0.9 },
                metrics: { stable: withQuality(0.95), canary: withQuality(0.81) },
            });
            expect(reasons).to.deep.equal(["quality too low: canary 0.81 < minQuality 0.9"]);
        });
        it("also at the last step: a regression never promotes", () => {
            const d = decidePromotion(input({ trafficPercent: 99, canary: revision(1000, 50, 50, 80) }));
            expect(d.decision).to.equal("rollback");
        });
    });

    describe("holds", () => {
        const holds = (over: Parameters<typeof input>[0]) => {
            const d = decidePromotion(input(over));
            expect(d.decision).to.equal("hold");
            expect(d.to).to.deep.equal(d.from);
            return d.reasons;
        };
        it("no canary: nothing to decide", () => {
            const d = decidePromotion({ ...input(), model: { name: "iris", version: "v1", modelDir: "models/iris/v1" } });
            expect(d.decision).to.equal("hold");
            expect(d.reasons).to.deep.equal(['model "iris" has no canary: nothing to promote']);
            expect(d.to).to.deep.equal({ version: "v1", modelDir: "models/iris/v1" });
        });
        it("a canary at 0 % (rolled back): nothing to decide, even with healthy metrics", () => {
            expect(holds({ trafficPercent: 0 })).to.deep.equal([
                `model "iris"'s canary v2 is at 0 % (rolled back): nothing to decide; raise canary.trafficPercent to restart the rollout or remove the canary`,
            ]);
        });
        it("too few canary samples", () => {
            expect(holds({ canary: revision(99, 0, 50, 80) })).to.deep.equal(["canary served 99 requests in the window, fewer than minSamples 100: too few samples to decide"]);
        });
        it("too few stable samples", () => {
            expect(holds({ metrics: { stable: revision(3, 0, 50, 80), canary: healthy } })).to.deep.equal([
                "stable served 3 requests in the window, fewer than minSamples 100: too few samples to decide",
            ]);
        });
        it("too few samples wins over a visible regression (no decision without enough samples)", () => {
            expect(holds({ canary: revision(50, 40, 500, 900) })[0]).to.match(/^canary served 50 requests/);
        });
        it("a failed query holds, even when everything else would promote", () => {
            const canary = { ...healthy, latencyP99: { ok: false, error: "Prometheus at http://p:9090: query `q` timed out after 10000 ms" } as Measurement };
            expect(holds({ trafficPercent: 99, canary })).to.deep.equal([
                "no decision without every metric: canary latencyP99: Prometheus at http://p:9090: query `q` timed out after 10000 ms",
            ]);
        });
        it("a failed query holds, even over a visible regression", () => {
            const canary = { ...revision(1000, 500, 50, 80), latencyP95: { ok: false, error: "boom" } as Measurement };
            expect(holds({ canary })).to.deep.equal(["no decision without every metric: canary latencyP95: boom"]);
        });
        it("a metric not measured at all holds", () => {
            const { errors: _omit, ...stable } = healthy;
            void _omit;
            expect(holds({ metrics: { stable, canary: healthy } })).to.deep.equal(["no decision without every metric: stable errors: not measured"]);
        });
        it("NaN (e.g. histogram_quantile of no traffic) holds", () => {
            expect(holds({ canary: revision(1000, 0, NaN, 80) })).to.deep.equal(["no decision without every metric: canary latencyP95: the query returned NaN, not a number"]);
        });
        it("a configured quality metric that failed holds", () => {
            const reasons = holds({
                required: [...required, "quality"],
                thresholds: { ...thresholds, minQuality: 0.9 },
                metrics: { stable: { ...healthy, quality: ok(0.95) }, canary: healthy },
            });
            expect(reasons).to.deep.equal(["no decision without every metric: canary quality: not measured"]);
        });
    });
});
