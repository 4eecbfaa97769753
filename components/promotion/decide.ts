// The promotion decision: a canary's measured health against the stable revision's, and the policy
// pack's canary steps, in; one of step-up / promote / hold / rollback out, with every reason. Pure:
// no I/O, no clock, so every rule is a small test (test/promotion/decide.test.ts).
//
// Rules, in order:
// 1. No canary, or a canary at 0 % (rolled back): nothing to decide (hold).
// 2. Any query failed or returned no value: hold. A failed query never promotes.
// 3. Either revision served fewer than minSamples requests in the window: hold.
// 4. A regression (error-rate ratio, p95 or p99 latency ratio, quality below its minimum): rollback to 0 %.
// 5. Healthy: the next allowed step above the current share (never skipping one); at the last
//    allowed step (or the maximum), promote: the canary becomes the model's version.

export type Decision = "step-up" | "promote" | "hold" | "rollback";
export type RevisionRole = "stable" | "canary";
export type MetricName = "requests" | "errors" | "latencyP95" | "latencyP99" | "quality";

/** Where a version's model comes from: a directory or an MLflow `models:/…` URI (exactly one, as in the config). */
export interface ModelLocation {
    modelDir?: string;
    modelSource?: string;
}

export type CanaryRollout = { version: string; trafficPercent: number } & ModelLocation;

/** The part of a model's config a decision reads and changes. */
export interface ModelRollout extends ModelLocation {
    name: string;
    version: string;
    /** The InferenceService's namespace (the `{{namespace}}` of the queries). */
    namespace?: string;
    canary?: CanaryRollout;
}

/** `limit-canary-traffic` settings of the stack's policy config. */
export interface CanarySteps {
    /** Allowed shares; empty allows every integer between the bounds. */
    allowedSteps: number[];
    maxTrafficPercent: number;
}

/** One metric of one revision: its value, or why there is none. */
export type Measurement = { ok: true; value: number } | { ok: false; error: string };

export type RevisionMetrics = Partial<Record<MetricName, Measurement>>;

export interface PromotionThresholds {
    maxErrorRateRatio: number;
    errorRateFloor: number;
    maxLatencyP95Ratio: number;
    maxLatencyP99Ratio: number;
    minQuality?: number;
}

export interface DecisionInput {
    model: ModelRollout;
    steps: CanarySteps;
    metrics: Record<RevisionRole, RevisionMetrics>;
    /** Metrics that must be present (quality only when configured). */
    required: MetricName[];
    thresholds: PromotionThresholds;
    minSamples: number;
}

/** The rollout state before or after a decision. */
export interface RolloutState extends ModelLocation {
    version: string;
    /** Undefined: no canary (after a promotion). */
    canary?: CanaryRollout;
}

/** Only the location field that is set. */
export function locationOf(l: ModelLocation): ModelLocation {
    return l.modelSource !== undefined ? { modelSource: l.modelSource } : { modelDir: l.modelDir };
}

export interface PromotionDecision {
    decision: Decision;
    from: RolloutState;
    to: RolloutState;
    reasons: string[];
    /** The ratios compared, when the metrics were complete. */
    observed?: { errorRate: Record<RevisionRole, number>; errorRateRatio: number; latencyP95Ratio: number; latencyP99Ratio: number; quality?: number };
}

function stateOf(model: ModelRollout): RolloutState {
    return { version: model.version, ...locationOf(model), ...(model.canary ? { canary: { ...model.canary } } : {}) };
}

/**
 * The next share above `current` the policy allows: the smallest allowed step above it, within the
 * maximum; undefined at the last step. With no steps configured, every integer is a step.
 */
export function nextCanaryStep(current: number, steps: CanarySteps): number | undefined {
    const candidates = steps.allowedSteps.length > 0 ? steps.allowedSteps : [current + 1];
    const above = candidates.filter((s) => Number.isInteger(s) && s > current && s <= steps.maxTrafficPercent);
    return above.length > 0 ? Math.min(...above) : undefined;
}

const fmt = (n: number) => (Number.isFinite(n) ? String(Math.round(n * 10000) / 10000) : String(n));
const pct = (rate: number) => `${fmt(rate * 100)} %`;

export function decidePromotion(input: DecisionInput): PromotionDecision {
    const { model, steps, metrics, thresholds } = input;
    const from = stateOf(model);
    const hold = (reasons: string[], observed?: PromotionDecision["observed"]): PromotionDecision => ({
        decision: "hold",
        from,
        to: from,
        reasons,
        ...(observed ? { observed } : {}),
    });

    const canary = model.canary;
    if (!canary) {
        return hold([`model "${model.name}" has no canary: nothing to promote`]);
    }
    if (canary.trafficPercent === 0) {
        return hold([
            `model "${model.name}"'s canary ${canary.version} is at 0 % (rolled back): nothing to decide; raise canary.trafficPercent to restart the rollout or remove the canary`,
        ]);
    }

    // 2. Every required metric of both revisions must have a value.
    const missing: string[] = [];
    const value = (role: RevisionRole, name: MetricName): number => {
        const m = metrics[role][name];
        return m && m.ok ? m.value : NaN;
    };
    for (const role of ["stable", "canary"] as const) {
        for (const name of input.required) {
            const m = metrics[role][name];
            if (!m) missing.push(`${role} ${name}: not measured`);
            else if (!m.ok) missing.push(`${role} ${name}: ${m.error}`);
            else if (!Number.isFinite(m.value)) missing.push(`${role} ${name}: the query returned ${m.value}, not a number`);
        }
    }
    if (missing.length > 0) {
        return hold(missing.map((m) => `no decision without every metric: ${m}`));
    }

    // 3. Enough samples on both sides.
    const lacking = (["stable", "canary"] as const)
        .filter((role) => value(role, "requests") < input.minSamples)
        .map((role) => `${role} served ${fmt(value(role, "requests"))} requests in the window, fewer than minSamples ${input.minSamples}: too few samples to decide`);
    if (lacking.length > 0) {
        return hold(lacking);
    }

    // 4. Regressions.
    const errorRate = {
        stable: value("stable", "errors") / value("stable", "requests"),
        canary: value("canary", "errors") / value("canary", "requests"),
    };
    const floor = thresholds.errorRateFloor;
    const errorRateRatio = Math.max(errorRate.canary, floor) / Math.max(errorRate.stable, floor);
    const latencyRatio = (name: "latencyP95" | "latencyP99") => {
        const stable = value("stable", name);
        return stable > 0 ? value("canary", name) / stable : value("canary", name) > 0 ? Infinity : 1;
    };
    const latencyP95Ratio = latencyRatio("latencyP95");
    const latencyP99Ratio = latencyRatio("latencyP99");
    const quality = input.required.includes("quality") ? value("canary", "quality") : undefined;
    const observed = { errorRate, errorRateRatio, latencyP95Ratio, latencyP99Ratio, ...(quality !== undefined ? { quality } : {}) };

    const regressions: string[] = [];
    if (errorRateRatio > thresholds.maxErrorRateRatio) {
        regressions.push(
            `error rate regressed: canary ${pct(errorRate.canary)} vs stable ${pct(errorRate.stable)}, ratio ${fmt(errorRateRatio)} > maxErrorRateRatio ${thresholds.maxErrorRateRatio}`,
        );
    }
    for (const [name, ratio, max, key] of [
        ["p95", latencyP95Ratio, thresholds.maxLatencyP95Ratio, "maxLatencyP95Ratio"],
        ["p99", latencyP99Ratio, thresholds.maxLatencyP99Ratio, "maxLatencyP99Ratio"],
    ] as const) {
        if (ratio > max) {
            const metric = name === "p95" ? "latencyP95" : "latencyP99";
            regressions.push(`${name} latency regressed: canary ${fmt(value("canary", metric))} vs stable ${fmt(value("stable", metric))}, ratio ${fmt(ratio)} > ${key} ${max}`);
        }
    }
    if (quality !== undefined && thresholds.minQuality !== undefined && quality < thresholds.minQuality) {
        regressions.push(`quality too low: canary ${fmt(quality)} < minQuality ${thresholds.minQuality}`);
    }
    if (regressions.length > 0) {
        return {
            decision: "rollback",
            from,
            to: { ...from, canary: { ...canary, trafficPercent: 0 } },
            reasons: [...regressions, `rolled back: canary ${canary.version} to 0 %, all traffic to ${model.version}`],
            observed,
        };
    }

    // 5. Healthy: one step, never more.
    const healthy =
        `healthy: error-rate ratio ${fmt(errorRateRatio)} ≤ ${thresholds.maxErrorRateRatio}, p95 ratio ${fmt(latencyP95Ratio)} ≤ ${thresholds.maxLatencyP95Ratio}, ` +
        `p99 ratio ${fmt(latencyP99Ratio)} ≤ ${thresholds.maxLatencyP99Ratio}` +
        (quality !== undefined ? `, quality ${fmt(quality)} ≥ ${thresholds.minQuality}` : "") +
        `; samples stable ${fmt(value("stable", "requests"))}, canary ${fmt(value("canary", "requests"))} ≥ ${input.minSamples}`;
    const next = nextCanaryStep(canary.trafficPercent, steps);
    if (next !== undefined) {
        return {
            decision: "step-up",
            from,
            to: { ...from, canary: { ...canary, trafficPercent: next } },
            reasons: [healthy, `next allowed step: ${canary.trafficPercent} % → ${next} % (allowed steps ${describeSteps(steps)})`],
            observed,
        };
    }
    return {
        decision: "promote",
        from,
        to: { version: canary.version, ...locationOf(canary) },
        reasons: [healthy, `${canary.trafficPercent} % is the last allowed step (${describeSteps(steps)}): promote ${canary.version} to 100 %, canary removed`],
        observed,
    };
}

function describeSteps(steps: CanarySteps): string {
    return steps.allowedSteps.length > 0
        ? `${steps.allowedSteps.filter((s) => s <= steps.maxTrafficPercent).join(", ")}; max ${steps.maxTrafficPercent}`
        : `any integer up to ${steps.maxTrafficPercent}`;
}
