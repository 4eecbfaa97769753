// Prometheus instant queries over the HTTP API (`GET /api/v1/query`), each bounded by a timeout.
// A query that fails (unreachable, timeout, HTTP error, PromQL error) or does not give exactly one
// number is a failed Measurement naming the URL and the query: the decision then holds.
import { Measurement } from "./decide";

export interface QueryResult {
    /** The query as sent (placeholders filled in). */
    query: string;
    measurement: Measurement;
}

/** Fills `{{name}}` placeholders; an unknown one is left as is (the schema refuses those up front). */
export function renderQuery(template: string, values: Record<string, string>): string {
    return template.replace(/\{\{\s*([A-Za-z]+)\s*\}\}/g, (whole, name: string) => (name in values ? values[name] : whole));
}

function describeError(err: unknown): string {
    if (err instanceof Error) {
        const cause = err.cause;
        const code = typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : undefined;
        if (err.name === "TimeoutError") return "timed out";
        if (code) return `${code} (${cause instanceof Error ? cause.message : err.message})`;
        // fetch's own "fetch failed" says nothing; its cause does (e.g. "bad port").
        return cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
    }
    return String(err);
}

/** One instant query; never throws. */
export async function queryInstant(prometheusUrl: string, query: string, timeoutMs: number): Promise<QueryResult> {
    const url = `${prometheusUrl.replace(/\/+$/, "")}/api/v1/query`;
    const fail = (why: string): QueryResult => ({ query, measurement: { ok: false, error: `Prometheus at ${prometheusUrl}: query \`${query}\` ${why}` } });
    let response: Response;
    let text: string;
    try {
        response = await fetch(`${url}?${new URLSearchParams({ query }).toString()}`, { signal: AbortSignal.timeout(timeoutMs) });
        text = await response.text();
    } catch (err) {
        const why = describeError(err);
        return fail(why === "timed out" ? `timed out after ${timeoutMs} ms` : `failed: ${why} (is Prometheus running and reachable?)`);
    }
    let body: { status?: string; error?: string; errorType?: string; data?: { resultType?: string; result?: unknown } };
    try {
        body = JSON.parse(text) as typeof body;
    } catch {
        return fail(`failed: HTTP ${response.status}, not a Prometheus API answer: ${text.slice(0, 200)}`);
    }
    if (!response.ok || body.status !== "success") {
        return fail(`failed: HTTP ${response.status}${body.errorType ? ` ${body.errorType}` : ""}: ${body.error ?? text.slice(0, 200)}`);
    }
    const data = body.data ?? {};
    if (data.resultType === "scalar" && Array.isArray(data.result)) {
        return { query, measurement: { ok: true, value: Number(data.result[1]) } };
    }
    if (data.resultType !== "vector" || !Array.isArray(data.result)) {
        return fail(`returned a ${data.resultType ?? "malformed"} result; it must return one number (an instant vector of one series)`);
    }
    const series = data.result as { value?: [number, string] }[];
    if (series.length === 0) {
        return fail("returned no series: no such metric for this revision in the window (wrong revision name or query, or no traffic yet)");
    }
    if (series.length > 1) {
        return fail(`returned ${series.length} series; it must aggregate to one, e.g. sum(...) or sum by (le) for histograms`);
    }
    return { query, measurement: { ok: true, value: Number(series[0].value?.[1]) } };
}
