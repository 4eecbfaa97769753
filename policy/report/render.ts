// Renders a PolicyReport as Markdown (auditors), JSON (machines) and SARIF 2.1.0 (code scanning).
// Pure: strings in, strings out.
import { createHash } from "crypto";
import { PolicyReport, PolicyResult, STACK_SCOPE } from "./results";
import { renderSupplyChain } from "./supply-chain";
import { renderPromotions } from "./promotions";

const mdEscape = (text: string) => text.replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>");
const outcomeMark = { pass: "✅ pass", fail: "❌ fail", inconclusive: "❔ inconclusive" } as const;

function resourceLabel(r: PolicyResult): string {
    if (r.resourceUrn === STACK_SCOPE) return "(stack)";
    return `${r.resourceName ?? r.resourceUrn} (\`${r.resourceType ?? "?"}\`)`;
}

export function renderMarkdown(report: PolicyReport): string {
    const lines: string[] = [];
    const verdict = report.compliant
        ? "✅ compliant: no mandatory policy failed"
        : `❌ not compliant: ${report.totals.mandatoryFailed} mandatory failure(s)` + (report.engineErrors.length > 0 ? `, ${report.engineErrors.length} engine error(s)` : "");
    lines.push(`# Policy report: stack \`${report.stack}\``, "");
    lines.push("| | |", "|---|---|");
    lines.push(`| Result | ${verdict} |`);
    lines.push(`| Stack | \`${report.stack}\` |`);
    lines.push(`| Git revision | \`${report.gitRevision}\` |`);
    lines.push(`| Policy pack | \`${report.pack.name}\` ${report.pack.version} |`);
    lines.push(`| Generated | ${report.generatedAt} |`);
    if (report.source) lines.push(`| Source | ${mdEscape(report.source)} |`);
    lines.push(`| Resources analysed | ${report.preview.resources} |`);
    lines.push(`| Results | ${report.totals.results}: ${report.totals.passed} passed, ${report.totals.failed} failed, ${report.totals.inconclusive} inconclusive |`);
    lines.push("");
    lines.push("## Policies", "");
    lines.push("| Policy | Scope | Severity | Enforcement | Passed | Failed | Inconclusive |");
    lines.push("|---|---|---|---|---:|---:|---:|");
    for (const p of report.policies) {
        lines.push(`| \`${p.policy}\` | ${p.scope} | ${p.severity} | ${p.enforcementLevel} | ${p.passed} | ${p.failed} | ${p.inconclusive} |`);
    }
    lines.push("");
    const failures = report.results.filter((r) => r.outcome !== "pass");
    lines.push("## Failures", "");
    if (failures.length === 0) {
        lines.push("None.", "");
    }
    for (const r of failures) {
        lines.push(`### ${outcomeMark[r.outcome]} \`${r.policy}\` on ${resourceLabel(r)}`, "");
        lines.push(`- Enforcement: **${r.enforcementLevel}**, severity: ${r.severity}`);
        if (r.resourceUrn !== STACK_SCOPE) lines.push(`- URN: \`${r.resourceUrn}\``);
        for (const m of r.messages) lines.push(`- ${m.replace(/\r?\n/g, " ")}`);
        lines.push("");
    }
    if (report.engineErrors.length > 0) {
        lines.push("## Engine errors", "");
        for (const e of report.engineErrors) lines.push(`- ${e.replace(/\r?\n/g, " ")}`);
        lines.push("");
    }
    lines.push(...renderSupplyChain(report.supplyChain ?? []));
    lines.push(...renderPromotions(report.promotions));
    lines.push("## All results", "");
    lines.push("| Policy | Resource | Outcome | Enforcement | Severity |");
    lines.push("|---|---|---|---|---|");
    for (const r of report.results) {
        lines.push(`| \`${r.policy}\` | ${mdEscape(resourceLabel(r))} | ${outcomeMark[r.outcome]} | ${r.enforcementLevel} | ${r.severity} |`);
    }
    lines.push("");
    lines.push("## What the policies check", "");
    for (const p of report.policies) {
        if (p.description) lines.push(`- \`${p.policy}\`: ${p.description}`);
    }
    lines.push("");
    return lines.join("\n");
}

export function renderJson(report: PolicyReport): string {
    return JSON.stringify(report, null, 2) + "\n";
}

/** SARIF level from the enforcement level: mandatory → error, advisory → warning, else note. */
export function sarifLevel(r: Pick<PolicyResult, "outcome" | "enforcementLevel">): "error" | "warning" | "note" | "none" {
    if (r.outcome === "pass") return "none";
    if (r.outcome === "inconclusive") return "note";
    if (r.enforcementLevel === "mandatory" || r.enforcementLevel === "remediate") return "error";
    if (r.enforcementLevel === "advisory") return "warning";
    return "note";
}

const SECURITY_SEVERITY: Record<string, string> = { critical: "9.5", high: "8.0", medium: "5.5", low: "3.0" };

export interface SarifOptions {
    /**
     * A file every result is anchored to, because GitHub code scanning needs a physical location;
     * defaults to the stack's config file `Pulumi.<stack>.yaml`. The resource itself is the
     * result's logical location (its URN).
     */
    anchorFile?: string;
    informationUri?: string;
    /** The Git remote; with it the run records versionControlProvenance (revisionId = gitRevision). */
    repositoryUri?: string;
}

export function renderSarif(report: PolicyReport, options: SarifOptions = {}): string {
    const anchor = options.anchorFile ?? `Pulumi.${report.stack}.yaml`;
    const rules = report.policies.map((p) => ({
        id: p.policy,
        name: p.policy,
        shortDescription: { text: p.description.split(" Why: ")[0] || p.policy },
        fullDescription: { text: p.description || p.policy },
        help: { text: p.description || p.policy },
        defaultConfiguration: { level: sarifLevel({ outcome: "fail", enforcementLevel: p.enforcementLevel }) },
        properties: {
            severity: p.severity,
            enforcementLevel: p.enforcementLevel,
            scope: p.scope,
            ...(SECURITY_SEVERITY[p.severity] ? { "security-severity": SECURITY_SEVERITY[p.severity] } : {}),
            tags: ["supply-chain", "pulumi-crossguard"],
        },
    }));
    const ruleIndex = new Map(rules.map((r, i) => [r.id, i]));
    const results = report.results.map((r) => {
        const urn = r.resourceUrn === STACK_SCOPE ? `stack:${report.stack}` : r.resourceUrn;
        const text = r.outcome === "pass" ? `${r.policy} passed on ${r.resourceName ?? urn}.` : `${r.messages.join(" ") || r.policy} [${r.enforcementLevel}]`;
        return {
            ruleId: r.policy,
            ...(ruleIndex.has(r.policy) ? { ruleIndex: ruleIndex.get(r.policy) } : {}),
            kind: r.outcome === "pass" ? "pass" : r.outcome === "inconclusive" ? "review" : "fail",
            level: sarifLevel(r),
            message: { text },
            locations: [
                {
                    physicalLocation: { artifactLocation: { uri: anchor }, region: { startLine: 1 } },
                    logicalLocations: [
                        {
                            name: r.resourceName ?? urn,
                            fullyQualifiedName: urn,
                            kind: r.resourceUrn === STACK_SCOPE ? "module" : "resource",
                        },
                    ],
                },
            ],
            partialFingerprints: {
                "modelshipPolicyResult/v1": createHash("sha256").update(`${report.stack}\u0000${r.policy}\u0000${urn}`).digest("hex"),
            },
            properties: { enforcementLevel: r.enforcementLevel, severity: r.severity, resourceType: r.resourceType, outcome: r.outcome },
        };
    });
    const sarif = {
        $schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: [
            {
                tool: {
                    driver: {
                        name: report.pack.name,
                        version: report.pack.version,
                        semanticVersion: report.pack.version,
                        informationUri: options.informationUri ?? "https://www.pulumi.com/docs/iac/crossguard/",
                        rules,
                    },
                },
                automationDetails: { id: `modelship-policy/${report.stack}/` },
                ...(options.repositoryUri ? { versionControlProvenance: [{ repositoryUri: options.repositoryUri, revisionId: report.gitRevision }] } : {}),
                invocations: [
                    {
                        executionSuccessful: report.engineErrors.length === 0,
                        properties: { stack: report.stack, generatedAt: report.generatedAt, totals: report.totals, compliant: report.compliant },
                        toolExecutionNotifications: report.engineErrors.map((e) => ({ level: "error", message: { text: e } })),
                    },
                ],
                results,
                properties: { stack: report.stack, gitRevision: report.gitRevision, totals: report.totals },
            },
        ],
    };
    return JSON.stringify(sarif, null, 2) + "\n";
}
