// Turns the engine's policy events into one result per policy × resource, with pass and fail
// counts, for auditors. Pure: no I/O, no clock (the caller passes generatedAt).
import { EngineEvent, PolicyEvent } from "./events";
import { ModelChain, supplyChainOf } from "./supply-chain";
import type { PromotionEvidence } from "./promotions";

export type Outcome = "pass" | "fail" | "inconclusive";
export type Level = "advisory" | "mandatory" | "remediate" | "disabled";

/** What the report knows about each policy besides the events (policy/policies.ts). */
export interface PolicyCatalogEntry {
    name: string;
    description: string;
    severity?: string;
    /** The policy's default level; the stack config may override it. */
    enforcementLevel?: string;
    scope: "resource" | "stack";
}

export interface ReportInput {
    events: EngineEvent[];
    catalog: PolicyCatalogEntry[];
    /** policy/config/<stack>.json, keyed by policy name. */
    stackConfig?: Record<string, { enforcementLevel?: string; [k: string]: unknown }>;
    stack: string;
    gitRevision: string;
    /** Fallbacks when the events name no pack (e.g. a stream with no policy events). */
    packName: string;
    packVersion: string;
    /** ISO time; passed in so rendering stays pure. */
    generatedAt: string;
    /** Where the events came from, e.g. "pulumi preview" or a fixture path. */
    source?: string;
}

export interface PolicyResult {
    policy: string;
    /** Resource URN; `stack` for a stack policy's overall result. */
    resourceUrn: string;
    resourceType?: string;
    resourceName?: string;
    outcome: Outcome;
    enforcementLevel: Level;
    severity: string;
    messages: string[];
}

export interface PolicySummary {
    policy: string;
    description: string;
    scope: "resource" | "stack";
    severity: string;
    enforcementLevel: Level;
    passed: number;
    failed: number;
    inconclusive: number;
}

export interface PolicyReport {
    reportVersion: 1;
    stack: string;
    gitRevision: string;
    pack: { name: string; version: string };
    generatedAt: string;
    source?: string;
    preview: { resourceChanges?: Record<string, number>; durationSeconds?: number; resources: number };
    totals: { results: number; passed: number; failed: number; inconclusive: number; mandatoryFailed: number };
    /** True when no mandatory policy failed and the engine reported no error. */
    compliant: boolean;
    policies: PolicySummary[];
    results: PolicyResult[];
    engineErrors: string[];
    /** Per model: image → signature → attestation, bundle → signature → Application. */
    supplyChain: ModelChain[];
    /** Promotion decisions recorded for the stack (reports/<stack>/promotions/), added by scripts/audit.ts. */
    promotions?: PromotionEvidence[];
}

export const STACK_SCOPE = "stack";
const UNKNOWN_PREFIX = /^can't run policy '[^']+' from policy pack .* during preview/;

export function normalizeLevel(level: string | undefined): Level | undefined {
    switch (level) {
        case "advisory":
        case "warning":
            return "advisory";
        case "mandatory":
            return "mandatory";
        case "remediate":
            return "remediate";
        case "disabled":
        case "none":
            return "disabled";
        default:
            return undefined;
    }
}

/** Strips the engine's colour markup (`<{%reset%}>`) some messages carry. */
export function stripColor(text: string): string {
    return text.replace(/<\{%[^%]*%\}>/g, "");
}

/** `urn:pulumi:stack::project::parent$type::name` → {type, name}. */
export function parseUrn(urn: string): { type?: string; name?: string } {
    const parts = urn.split("::");
    if (parts.length < 4) {
        return {};
    }
    const typeChain = parts[2];
    return { type: typeChain.slice(typeChain.lastIndexOf("$") + 1), name: parts.slice(3).join("::") };
}

function messageDetail(event: PolicyEvent, description: string | undefined): string {
    const message = stripColor(event.message ?? "").trim();
    if (description && message.startsWith(description)) {
        const rest = message.slice(description.length).trim();
        return rest === "" ? description : rest;
    }
    return message;
}

export function buildReport(input: ReportInput): PolicyReport {
    const catalog = new Map(input.catalog.map((c) => [c.name, c]));
    const types = new Map<string, string>();
    const results = new Map<string, PolicyResult>();
    const engineErrors: string[] = [];
    let packName: string | undefined;
    let packVersion: string | undefined;
    let resourceChanges: Record<string, number> | undefined;
    let durationSeconds: number | undefined;

    const levelOf = (policy: string, eventLevel?: string): Level =>
        normalizeLevel(eventLevel) ?? normalizeLevel(input.stackConfig?.[policy]?.enforcementLevel) ?? normalizeLevel(catalog.get(policy)?.enforcementLevel) ?? "mandatory";
    const severityOf = (policy: string, eventSeverity?: string) => eventSeverity || catalog.get(policy)?.severity || "unspecified";
    const row = (policy: string, urn: string, outcome: Outcome): PolicyResult => {
        const key = `${policy}\u0000${urn}`;
        let r = results.get(key);
        if (!r) {
            r = { policy, resourceUrn: urn, outcome, enforcementLevel: levelOf(policy), severity: severityOf(policy), messages: [] };
            results.set(key, r);
        } else if (outcome === "fail") {
            r.outcome = "fail";
        }
        return r;
    };

    // Summaries first, then violations: the engine may emit them in either order.
    const violations: PolicyEvent[] = [];
    const stackFailed = new Set<string>();
    for (const e of input.events) {
        if (e.resourcePreEvent?.metadata) {
            types.set(e.resourcePreEvent.metadata.urn, e.resourcePreEvent.metadata.type);
        } else if (e.resOutputsEvent?.metadata) {
            types.set(e.resOutputsEvent.metadata.urn, e.resOutputsEvent.metadata.type);
        } else if (e.policyAnalyzeSummaryEvent) {
            const s = e.policyAnalyzeSummaryEvent;
            packName ??= s.policyPackName;
            packVersion ??= s.policyPackVersion;
            for (const p of s.passed ?? []) row(p, s.resourceUrn, "pass");
            for (const p of s.failed ?? []) row(p, s.resourceUrn, "fail");
        } else if (e.policyAnalyzeStackSummaryEvent) {
            const s = e.policyAnalyzeStackSummaryEvent;
            packName ??= s.policyPackName;
            packVersion ??= s.policyPackVersion;
            for (const p of s.passed ?? []) row(p, STACK_SCOPE, "pass");
            for (const p of s.failed ?? []) stackFailed.add(p);
        } else if (e.policyEvent) {
            packName ??= e.policyEvent.policyPackName;
            packVersion ??= e.policyEvent.policyPackVersion;
            violations.push(e.policyEvent);
        } else if (e.summaryEvent) {
            resourceChanges = e.summaryEvent.resourceChanges;
            durationSeconds = e.summaryEvent.durationSeconds;
        } else if (e.diagnosticEvent?.severity === "error") {
            engineErrors.push(stripColor(e.diagnosticEvent.message).trim());
        } else if (e.errorEvent) {
            engineErrors.push(e.errorEvent.error);
        }
    }

    for (const v of violations) {
        const scope = catalog.get(v.policyName)?.scope;
        const urn = v.resourceUrn || STACK_SCOPE;
        const r = row(v.policyName, urn, "fail");
        const detail = messageDetail(v, catalog.get(v.policyName)?.description);
        r.messages.push(detail);
        r.enforcementLevel = levelOf(v.policyName, v.enforcementLevel);
        r.severity = severityOf(v.policyName, v.severity);
        if (UNKNOWN_PREFIX.test(detail) && r.messages.every((m) => UNKNOWN_PREFIX.test(m))) {
            r.outcome = "inconclusive";
        } else {
            r.outcome = "fail";
        }
        if (scope === "stack") stackFailed.delete(v.policyName);
    }
    // A stack policy the summary lists as failed without any violation event: keep the fact.
    for (const p of stackFailed) row(p, STACK_SCOPE, "fail").messages.push("failed (no violation detail in the event stream)");

    const sorted = [...results.values()].sort((a, b) => {
        const order = input.catalog.findIndex((c) => c.name === a.policy) - input.catalog.findIndex((c) => c.name === b.policy);
        return order !== 0 ? order : a.resourceUrn.localeCompare(b.resourceUrn);
    });
    for (const r of sorted) {
        const parsed = r.resourceUrn === STACK_SCOPE ? {} : parseUrn(r.resourceUrn);
        r.resourceType = types.get(r.resourceUrn) ?? parsed.type;
        r.resourceName = parsed.name;
    }

    const names = [...input.catalog.map((c) => c.name), ...sorted.map((r) => r.policy).filter((p) => !catalog.has(p))];
    const policies: PolicySummary[] = [...new Set(names)].map((name) => {
        const mine = sorted.filter((r) => r.policy === name);
        const c = catalog.get(name);
        return {
            policy: name,
            description: c?.description ?? "",
            scope: c?.scope ?? "resource",
            severity: severityOf(name),
            enforcementLevel: levelOf(name),
            passed: mine.filter((r) => r.outcome === "pass").length,
            failed: mine.filter((r) => r.outcome === "fail").length,
            inconclusive: mine.filter((r) => r.outcome === "inconclusive").length,
        };
    });

    const failed = sorted.filter((r) => r.outcome === "fail");
    const mandatoryFailed = failed.filter((r) => r.enforcementLevel === "mandatory" || r.enforcementLevel === "remediate").length;
    const resources = new Set([...types.keys(), ...sorted.map((r) => r.resourceUrn).filter((u) => u !== STACK_SCOPE)]);
    return {
        reportVersion: 1,
        stack: input.stack,
        gitRevision: input.gitRevision,
        pack: { name: packName ?? input.packName, version: packVersion ?? input.packVersion },
        generatedAt: input.generatedAt,
        source: input.source,
        preview: { resourceChanges, durationSeconds, resources: resources.size },
        totals: {
            results: sorted.length,
            passed: sorted.filter((r) => r.outcome === "pass").length,
            failed: failed.length,
            inconclusive: sorted.filter((r) => r.outcome === "inconclusive").length,
            mandatoryFailed,
        },
        compliant: mandatoryFailed === 0 && engineErrors.length === 0,
        policies,
        results: sorted,
        engineErrors,
        supplyChain: supplyChainOf(input.events),
    };
}
