// The evidence record of one promotion decision: what was asked of Prometheus, what it answered,
// the thresholds, and what was decided. Written to reports/<stack>/promotions/ next to the changed
// stack file (the PR carries both) and listed by the audit report (policy/report/promotions.ts).
// Pure: the caller supplies the clock and does the writing.
import { Decision, MetricName, PromotionDecision, PromotionThresholds, RevisionRole, RolloutState } from "./decide";

export const EVIDENCE_VERSION = 1;

export interface EvidenceQuery {
    metric: MetricName;
    role: RevisionRole;
    /** The `{{revision}}` the query ran for. */
    revision: string;
    /** The query as sent. */
    query: string;
    value?: number | null;
    error?: string;
}

export interface PromotionEvidence {
    evidenceVersion: typeof EVIDENCE_VERSION;
    timestamp: string;
    stack: string;
    model: string;
    decision: Decision;
    from: RolloutState;
    to: RolloutState;
    reasons: string[];
    prometheusUrl: string;
    window: string;
    minSamples: number;
    samples: Record<RevisionRole, number | null>;
    thresholds: PromotionThresholds;
    steps: { allowedSteps: number[]; maxTrafficPercent: number; source: string };
    revisions: Record<RevisionRole, { version: string; revision: string } | null>;
    queries: EvidenceQuery[];
    observed?: PromotionDecision["observed"];
    /** The stack file and whether it was changed (false for hold, and for a dry run). */
    stackFile: string;
    stackFileChanged: boolean;
    dryRun: boolean;
}

/** JSON has no Infinity/NaN: such values are written as null. */
function finiteOrNull(n: number): number | null {
    return Number.isFinite(n) ? n : null;
}

export function buildEvidence(
    input: Omit<PromotionEvidence, "evidenceVersion" | "samples" | "queries" | "observed"> & {
        queries: EvidenceQuery[];
        observed?: PromotionDecision["observed"];
    },
): PromotionEvidence {
    const samples = (role: RevisionRole) => {
        const q = input.queries.find((x) => x.metric === "requests" && x.role === role);
        return q && typeof q.value === "number" ? q.value : null;
    };
    const observed = input.observed && {
        errorRate: { stable: finiteOrNull(input.observed.errorRate.stable) as number, canary: finiteOrNull(input.observed.errorRate.canary) as number },
        errorRateRatio: finiteOrNull(input.observed.errorRateRatio) as number,
        latencyP95Ratio: finiteOrNull(input.observed.latencyP95Ratio) as number,
        latencyP99Ratio: finiteOrNull(input.observed.latencyP99Ratio) as number,
        ...(input.observed.quality !== undefined ? { quality: finiteOrNull(input.observed.quality) as number } : {}),
    };
    return {
        evidenceVersion: EVIDENCE_VERSION,
        timestamp: input.timestamp,
        stack: input.stack,
        model: input.model,
        decision: input.decision,
        from: input.from,
        to: input.to,
        reasons: input.reasons,
        prometheusUrl: input.prometheusUrl,
        window: input.window,
        minSamples: input.minSamples,
        samples: { stable: samples("stable"), canary: samples("canary") },
        thresholds: input.thresholds,
        steps: input.steps,
        revisions: input.revisions,
        queries: input.queries.map((q) => ({ ...q, ...(q.value !== undefined ? { value: typeof q.value === "number" ? finiteOrNull(q.value) : null } : {}) })),
        ...(observed ? { observed } : {}),
        stackFile: input.stackFile,
        stackFileChanged: input.stackFileChanged,
        dryRun: input.dryRun,
    };
}

/** `10 % → 25 %`, `v2 at 50 % → v2 at 100 %`: the change a decision makes, in one line. */
export function describeChange(from: RolloutState, to: RolloutState): string {
    const side = (s: RolloutState) => (s.canary ? `${s.version} + canary ${s.canary.version} at ${s.canary.trafficPercent} %` : `${s.version} at 100 %, no canary`);
    return `${side(from)} → ${side(to)}`;
}

/** File name of an evidence record: sortable by time, one per model and decision. */
export function evidenceFileName(timestamp: string, model: string): string {
    return `${timestamp.replace(/[:.]/g, "-")}-${model}.json`;
}
