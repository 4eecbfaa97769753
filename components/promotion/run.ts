// One promotion run: read the stack file, the promotion config and the policy pack's canary steps,
// ask Prometheus for both revisions' metrics, decide (decide.ts), write the stack file and the
// evidence record. scripts/promote.ts is the CLI around it; the integration test calls it directly.
import * as fs from "fs";
import * as path from "path";
import { PromotionConfig, promotionSchema } from "../config/promotion-schema";
import { formatPath } from "../config/validate";
import { canaryDefaults } from "../../policy/limit-canary-traffic";
import { CanarySteps, decidePromotion, MetricName, PromotionDecision, RevisionMetrics, RevisionRole } from "./decide";
import { buildEvidence, describeChange, evidenceFileName, EvidenceQuery, PromotionEvidence } from "./evidence";
import { queryInstant, renderQuery } from "./prometheus";
import { readModelRollout, readPromotionConfig, StackFileError, writeModelRollout } from "./stack-file";

/** Bad usage or configuration: nothing was decided (the CLI exits 2). */
export class PromotionConfigError extends Error {}

export interface PromotionOptions {
    stack: string;
    model: string;
    /** Where Pulumi.<stack>.yaml and policy/config/ are; default the current directory. */
    projectDir?: string;
    /** Default `<projectDir>/Pulumi.<stack>.yaml`. */
    stackFile?: string;
    /** Default `<projectDir>/policy/config/<stack>.json`. */
    policyConfig?: string;
    /** Default `<projectDir>/reports/<stack>/promotions`. */
    evidenceDir?: string;
    /** Decide and print; change no file. */
    dryRun?: boolean;
    /** Overrides `promotion.prometheusUrl`. */
    prometheusUrl?: string;
    /** The `{{revision}}` of each side, overriding `promotion.revisionName` (e.g. Knative's numbered revisions). */
    stableRevision?: string;
    canaryRevision?: string;
    /** The clock, for the evidence timestamp. */
    now?: () => Date;
}

export interface PromotionRun {
    decision: PromotionDecision;
    evidence: PromotionEvidence;
    /** Written evidence record, unless a dry run. */
    evidencePath?: string;
    /** What to print: a short account of the run. */
    lines: string[];
}

/** The promotion section validated; every problem with its path and the fix. */
export function parsePromotionConfig(raw: unknown, file: string): PromotionConfig {
    const result = promotionSchema.safeParse(raw ?? {});
    if (result.success) return result.data;
    const problems = result.error.issues.map((i) => `  - ${formatPath(["promotion", ...i.path])} ${i.message}`);
    throw new PromotionConfigError(`${file}: modelship:promotion has ${problems.length} problem(s):\n${problems.join("\n")}`);
}

/** `limit-canary-traffic` steps and maximum from the stack's policy config (the pack's defaults otherwise). */
export function canaryStepsOf(policyConfig: unknown): CanarySteps {
    const entry = (policyConfig as Record<string, unknown> | undefined)?.["limit-canary-traffic"] as Partial<CanarySteps> | undefined;
    return {
        allowedSteps: Array.isArray(entry?.allowedSteps) ? [...entry.allowedSteps].sort((a, b) => a - b) : [...canaryDefaults.allowedSteps],
        maxTrafficPercent: typeof entry?.maxTrafficPercent === "number" ? entry.maxTrafficPercent : canaryDefaults.maxTrafficPercent,
    };
}

function readText(file: string, what: string): string {
    try {
        return fs.readFileSync(file, "utf8");
    } catch (err) {
        throw new PromotionConfigError(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
}

const fmt = (v: number | null | undefined) => (typeof v === "number" ? String(Math.round(v * 10000) / 10000) : "—");

export async function runPromotion(opts: PromotionOptions): Promise<PromotionRun> {
    const projectDir = path.resolve(opts.projectDir ?? process.cwd());
    const stackName = opts.stack.split("/").pop()!;
    const stackFile = path.resolve(projectDir, opts.stackFile ?? `Pulumi.${stackName}.yaml`);
    const policyFile = path.resolve(projectDir, opts.policyConfig ?? path.join("policy", "config", `${stackName}.json`));
    const evidenceDir = path.resolve(projectDir, opts.evidenceDir ?? path.join("reports", stackName, "promotions"));
    const shown = (f: string) => path.relative(projectDir, f) || f;

    const text = readText(stackFile, "the stack file");
    let rollout;
    let rawPromotion;
    try {
        rollout = readModelRollout(text, opts.model, shown(stackFile));
        rawPromotion = readPromotionConfig(text, shown(stackFile));
    } catch (err) {
        if (err instanceof StackFileError) throw new PromotionConfigError(err.message);
        throw err;
    }
    const config = parsePromotionConfig(rawPromotion, shown(stackFile));
    const prometheusUrl = opts.prometheusUrl ?? config.prometheusUrl;
    if (!prometheusUrl) {
        throw new PromotionConfigError(
            `${shown(stackFile)}: modelship:promotion.prometheusUrl is not set: set it to the Prometheus that scrapes the model's revisions (e.g. http://prometheus.monitoring:9090), or pass --prometheus-url`,
        );
    }
    let policyConfig: unknown;
    try {
        policyConfig = JSON.parse(readText(policyFile, "the policy config"));
    } catch (err) {
        if (err instanceof PromotionConfigError) throw err;
        throw new PromotionConfigError(`${shown(policyFile)} is not valid JSON: ${(err as Error).message}`);
    }
    const steps = canaryStepsOf(policyConfig);

    const metricNames: MetricName[] = ["requests", "errors", "latencyP95", "latencyP99", ...(config.queries.quality ? (["quality"] as const) : [])];
    const metrics: Record<RevisionRole, RevisionMetrics> = { stable: {}, canary: {} };
    const queries: EvidenceQuery[] = [];
    const revisions: PromotionEvidence["revisions"] = { stable: null, canary: null };
    if (rollout.canary && rollout.canary.trafficPercent > 0) {
        const sides = [
            ["stable", rollout.version, opts.stableRevision],
            ["canary", rollout.canary.version, opts.canaryRevision],
        ] as const;
        const jobs: Promise<void>[] = [];
        for (const [role, version, override] of sides) {
            const revision = override ?? renderQuery(config.revisionName, { model: rollout.name, version });
            revisions[role] = { version, revision };
            for (const metric of metricNames) {
                const template = config.queries[metric]!;
                const query = renderQuery(template, {
                    revision,
                    window: config.window,
                    model: rollout.name,
                    version,
                    namespace: rollout.namespace ?? "models" /* models[].namespace default */,
                });
                jobs.push(
                    queryInstant(prometheusUrl, query, config.queryTimeoutSeconds * 1000).then((r) => {
                        metrics[role][metric] = r.measurement;
                        queries.push({ metric, role, revision, query, ...(r.measurement.ok ? { value: r.measurement.value } : { error: r.measurement.error }) });
                    }),
                );
            }
        }
        await Promise.all(jobs);
        // Stable order in the evidence whatever order the answers came in.
        queries.sort((a, b) => (a.role === b.role ? metricNames.indexOf(a.metric) - metricNames.indexOf(b.metric) : a.role === "stable" ? -1 : 1));
    }

    const decision = decidePromotion({
        model: rollout,
        steps,
        metrics,
        required: metricNames,
        thresholds: config.thresholds,
        minSamples: config.minSamples,
    });

    const changes = decision.decision !== "hold";
    let newText: string | undefined;
    if (changes) {
        // Read the file again: it may have changed while Prometheus answered, and writeModelRollout's
        // "changed since the decision" guard must compare against what is there now.
        const currentText = readText(stackFile, "the stack file");
        try {
            newText = writeModelRollout(currentText, opts.model, decision.from, decision.to, shown(stackFile));
        } catch (err) {
            if (err instanceof StackFileError) throw new PromotionConfigError(err.message);
            throw err;
        }
    }
    const timestamp = (opts.now ?? (() => new Date()))().toISOString();
    const evidence = buildEvidence({
        timestamp,
        stack: opts.stack,
        model: opts.model,
        decision: decision.decision,
        from: decision.from,
        to: decision.to,
        reasons: decision.reasons,
        prometheusUrl,
        window: config.window,
        minSamples: config.minSamples,
        thresholds: config.thresholds,
        steps: { ...steps, source: `${shown(policyFile)} limit-canary-traffic` },
        revisions,
        queries,
        observed: decision.observed,
        stackFile: shown(stackFile),
        stackFileChanged: changes && !opts.dryRun,
        dryRun: opts.dryRun === true,
    });

    const lines: string[] = [];
    const canary = rollout.canary;
    lines.push(
        `promote: stack ${opts.stack}, model ${opts.model}: ` +
            (canary ? `canary ${canary.version} at ${canary.trafficPercent} % beside ${rollout.version}` : `${rollout.version}, no canary`) +
            ` (Prometheus ${prometheusUrl}, window ${config.window}, minSamples ${config.minSamples})`,
    );
    for (const role of ["stable", "canary"] as const) {
        const rev = revisions[role];
        if (!rev) continue;
        const v = (m: MetricName) => {
            const q = queries.find((x) => x.role === role && x.metric === m);
            return q?.error ? "failed" : fmt(q?.value);
        };
        lines.push(
            `  ${role.padEnd(6)} ${rev.revision}: requests ${v("requests")}, errors ${v("errors")}, p95 ${v("latencyP95")}, p99 ${v("latencyP99")}` +
                (metricNames.includes("quality") ? `, quality ${v("quality")}` : ""),
        );
    }
    lines.push(`decision: ${decision.decision}${changes ? ` (${describeChange(decision.from, decision.to)})` : ""}`);
    for (const r of decision.reasons) lines.push(`  - ${r}`);

    let evidencePath: string | undefined;
    if (opts.dryRun) {
        lines.push("dry run: no file written");
    } else {
        if (newText !== undefined) {
            fs.writeFileSync(stackFile, newText);
            lines.push(`wrote ${shown(stackFile)}`);
        }
        fs.mkdirSync(evidenceDir, { recursive: true });
        evidencePath = path.join(evidenceDir, evidenceFileName(timestamp, opts.model));
        fs.writeFileSync(evidencePath, JSON.stringify(evidence, null, 2) + "\n");
        lines.push(`evidence: ${shown(evidencePath)}`);
    }
    return { decision, evidence, evidencePath, lines };
}
