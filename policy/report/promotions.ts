// The "Promotions" section of the audit report: every metrics-gated promotion decision recorded for
// the stack (`npm run promote` writes them to reports/<stack>/promotions/), newest first, with the
// queries Prometheus answered, the thresholds and the reasons. Pure: records in, Markdown lines out;
// scripts/audit.ts reads the files.
import type { PromotionEvidence, EvidenceQuery } from "../../components/promotion/evidence";

export type { PromotionEvidence };

const mdCell = (text: string) => text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
const num = (v: number | null | undefined) => (typeof v === "number" ? String(Math.round(v * 10000) / 10000) : "—");

function share(s: PromotionEvidence["from"]): string {
    return s.canary ? `${s.version} + ${s.canary.version} at ${s.canary.trafficPercent} %` : `${s.version} at 100 %`;
}

function queryValue(q: EvidenceQuery): string {
    return q.error !== undefined ? `failed: ${q.error}` : num(q.value);
}

/** Is `value` shaped like an evidence record (the audit skips other JSON files with a note)? */
export function isPromotionEvidence(value: unknown): value is PromotionEvidence {
    const v = value as Partial<PromotionEvidence> | null;
    return (
        typeof v === "object" &&
        v !== null &&
        v.evidenceVersion === 1 &&
        typeof v.timestamp === "string" &&
        typeof v.model === "string" &&
        typeof v.decision === "string" &&
        Array.isArray(v.reasons) &&
        Array.isArray(v.queries)
    );
}

/** The section; nothing when the caller did not look for evidence (`undefined`), a note when there is none. */
export function renderPromotions(records: readonly PromotionEvidence[] | undefined): string[] {
    if (records === undefined) return [];
    const lines = ["## Promotions", ""];
    if (records.length === 0) {
        lines.push("No promotion evidence in reports/<stack>/promotions/ (`npm run promote` writes it).", "");
        return lines;
    }
    const sorted = [...records].sort((a, b) => (a.timestamp < b.timestamp ? 1 : a.timestamp > b.timestamp ? -1 : a.model.localeCompare(b.model)));
    lines.push("| Time | Model | Decision | From | To | Samples (stable / canary) | Stack file changed |");
    lines.push("|---|---|---|---|---|---|---|");
    for (const r of sorted) {
        lines.push(
            `| ${r.timestamp} | \`${r.model}\` | **${r.decision}** | ${share(r.from)} | ${share(r.to)} | ${num(r.samples.stable)} / ${num(r.samples.canary)} (min ${r.minSamples}) | ${r.stackFileChanged ? "yes" : r.dryRun ? "no (dry run)" : "no"} |`,
        );
    }
    lines.push("");
    for (const r of sorted) {
        lines.push(`### ${r.timestamp} \`${r.model}\`: ${r.decision}`, "");
        lines.push(`- Prometheus: ${r.prometheusUrl}, window ${r.window}, minSamples ${r.minSamples}`);
        const t = r.thresholds;
        lines.push(
            `- Thresholds: maxErrorRateRatio ${t.maxErrorRateRatio} (floor ${t.errorRateFloor}), maxLatencyP95Ratio ${t.maxLatencyP95Ratio}, maxLatencyP99Ratio ${t.maxLatencyP99Ratio}` +
                (t.minQuality !== undefined ? `, minQuality ${t.minQuality}` : ""),
        );
        lines.push(`- Steps: ${r.steps.allowedSteps.join(", ") || "any"} (max ${r.steps.maxTrafficPercent}; from ${r.steps.source})`);
        for (const reason of r.reasons) lines.push(`- ${mdCell(reason)}`);
        if (r.queries.length > 0) {
            lines.push("", "| Revision | Metric | Query | Value |", "|---|---|---|---|");
            for (const q of r.queries) {
                lines.push(`| ${q.role} \`${q.revision}\` | ${q.metric} | \`${mdCell(q.query)}\` | ${mdCell(queryValue(q))} |`);
            }
        }
        lines.push("");
    }
    return lines;
}
