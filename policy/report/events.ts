// The Pulumi engine's JSON event stream (`pulumi preview --json` with
// PULUMI_ENABLE_STREAMING_JSON_PREVIEW=true), typed after pulumi/pulumi
// sdk/go/common/apitype/events.go (EngineEvent and the event structs; JSON field names as there).
// Only the fields the report reads are typed; everything else passes through untouched. Pure.

export interface PolicyEvent {
    resourceUrn?: string;
    message: string;
    color?: string;
    policyName: string;
    policyPackName: string;
    policyPackVersion: string;
    policyPackVersionTag?: string;
    /** "advisory" | "mandatory" | "remediate" | "disabled"; older engines wrote "warning"/"none". */
    enforcementLevel: string;
    /** Newer engines forward the policy's severity ("low" | "medium" | "high" | "critical"). */
    severity?: string;
}

export interface PolicyAnalyzeSummaryEvent {
    resourceUrn: string;
    policyPackName: string;
    policyPackVersion: string;
    policyPackVersionTag?: string;
    passed?: string[];
    failed?: string[];
}

export interface PolicyAnalyzeStackSummaryEvent {
    policyPackName: string;
    policyPackVersion: string;
    policyPackVersionTag?: string;
    passed?: string[];
    failed?: string[];
}

export interface StepEventMetadata {
    op: string;
    urn: string;
    type: string;
    provider?: string;
}

export interface DiagnosticEvent {
    urn?: string;
    prefix?: string;
    message: string;
    color?: string;
    /** "info" | "info#err" | "warning" | "error". */
    severity: string;
}

export interface EngineEvent {
    sequence?: number;
    timestamp?: number;
    preludeEvent?: { config: Record<string, string> };
    summaryEvent?: {
        maybeCorrupt?: boolean;
        durationSeconds?: number;
        resourceChanges?: Record<string, number>;
        PolicyPacks?: Record<string, string>;
        isPreview?: boolean;
    };
    resourcePreEvent?: { metadata: StepEventMetadata; planning?: boolean };
    resOutputsEvent?: { metadata: StepEventMetadata; planning?: boolean };
    diagnosticEvent?: DiagnosticEvent;
    policyEvent?: PolicyEvent;
    policyAnalyzeSummaryEvent?: PolicyAnalyzeSummaryEvent;
    policyAnalyzeStackSummaryEvent?: PolicyAnalyzeStackSummaryEvent;
    cancelEvent?: Record<string, never>;
    errorEvent?: { error: string };
    [other: string]: unknown;
}

/** A JSON object from the stream, taken as an event: only the fields the report reads are typed. */
function isEngineEvent(value: unknown): value is EngineEvent {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Splits the engine's output into events. Accepts one JSON object per line (the streaming form),
 * pretty-printed objects one after another, or a single JSON array of events; text outside JSON
 * objects (a stray warning line) is skipped.
 */
export function parseEventStream(text: string): EngineEvent[] {
    const trimmed = text.trimStart();
    if (trimmed.startsWith("[")) {
        const parsed: unknown = JSON.parse(trimmed);
        // A saved array of events: its entries pass through as written, like the objects below.
        return Array.isArray(parsed) ? (parsed as EngineEvent[]) : [];
    }
    const events: EngineEvent[] = [];
    let depth = 0;
    let start = -1;
    let inString = false;
    let escaped = false;
    for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (inString) {
            if (escaped) escaped = false;
            else if (c === "\\") escaped = true;
            else if (c === '"') inString = false;
            continue;
        }
        if (c === '"' && depth > 0) {
            inString = true;
        } else if (c === "{") {
            if (depth === 0) start = i;
            depth++;
        } else if (c === "}" && depth > 0) {
            depth--;
            if (depth === 0) {
                // From `{` to its `}`: JSON.parse yields an object or throws.
                const value: unknown = JSON.parse(text.slice(start, i + 1));
                if (isEngineEvent(value)) events.push(value);
            }
        }
    }
    if (depth !== 0) {
        throw new Error("the engine event stream ends inside a JSON object (was the preview interrupted?)");
    }
    return events;
}
