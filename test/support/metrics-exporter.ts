// A small in-process exporter of synthetic serving metrics in the Prometheus text format, shaped like
// Knative's queue-proxy (the names modelship's default promotion queries read):
//   revision_request_count{revision_name, response_code_class}         counter
//   revision_request_latencies_bucket{revision_name, le} / _sum / _count histogram, milliseconds
// Each revision has a traffic profile (requests per second, error fraction, latency); counters grow
// with the time since the profile was set, as a live revision's would. Scenarios are revisions: the
// tests give each scenario its own stable/canary pair, so one Prometheus scrape serves them all and no
// scenario's window holds another's samples. setProfile() switches a revision's behaviour live.
import * as http from "http";
import * as net from "net";

export interface TrafficProfile {
    /** Requests per second. */
    rps: number;
    /** Share of requests answered 5xx, 0..1. */
    errorRate: number;
    /** Every request's latency in milliseconds (a single bucket keeps quantiles predictable). */
    latencyMs: number;
}

/** Upper bounds of the latency buckets (ms), Knative's own. */
export const LATENCY_BUCKETS_MS = [5, 10, 20, 40, 60, 80, 100, 150, 200, 250, 300, 350, 400, 450, 500, 600, 700, 800, 900, 1000, 2000, 5000, 10000];

export interface MetricsExporter {
    /** `127.0.0.1:PORT`, the scrape target. */
    target: string;
    setProfile(revision: string, profile: TrafficProfile): void;
    /** The exposition text as served now (for debugging a failed test). */
    render(): string;
    stop(): Promise<void>;
}

interface Series {
    profile: TrafficProfile;
    /** Counts accumulated under earlier profiles, so counters never go down. */
    base: { ok: number; errors: number; latencySum: number; buckets: number[] };
    since: number;
}

export async function startMetricsExporter(profiles: Record<string, TrafficProfile>, now: () => number = Date.now): Promise<MetricsExporter> {
    const series = new Map<string, Series>();
    const counts = (s: Series) => {
        const seconds = (now() - s.since) / 1000;
        const total = Math.floor(s.profile.rps * seconds);
        const errors = Math.floor(total * s.profile.errorRate);
        const buckets = LATENCY_BUCKETS_MS.map((le, i) => s.base.buckets[i] + (s.profile.latencyMs <= le ? total : 0));
        return {
            ok: s.base.ok + total - errors,
            errors: s.base.errors + errors,
            latencySum: s.base.latencySum + total * s.profile.latencyMs,
            buckets,
            count: s.base.ok + s.base.errors + total,
        };
    };
    const setProfile = (revision: string, profile: TrafficProfile) => {
        const old = series.get(revision);
        const base = old
            ? (({ ok, errors, latencySum, buckets }) => ({ ok, errors, latencySum, buckets }))(counts(old))
            : { ok: 0, errors: 0, latencySum: 0, buckets: LATENCY_BUCKETS_MS.map(() => 0) };
        series.set(revision, { profile, base, since: now() });
    };
    for (const [revision, profile] of Object.entries(profiles)) setProfile(revision, profile);

    const render = () => {
        const lines = ["# HELP revision_request_count The number of requests that are routed to queue-proxy", "# TYPE revision_request_count counter"];
        const all = [...series.entries()].map(([revision, s]) => ({ revision, c: counts(s) }));
        for (const { revision, c } of all) {
            lines.push(`revision_request_count{revision_name="${revision}",response_code_class="2xx"} ${c.ok}`);
            lines.push(`revision_request_count{revision_name="${revision}",response_code_class="5xx"} ${c.errors}`);
        }
        lines.push("# HELP revision_request_latencies The response latencies of the requests (ms)", "# TYPE revision_request_latencies histogram");
        for (const { revision, c } of all) {
            LATENCY_BUCKETS_MS.forEach((le, i) => lines.push(`revision_request_latencies_bucket{revision_name="${revision}",le="${le}"} ${c.buckets[i]}`));
            lines.push(`revision_request_latencies_bucket{revision_name="${revision}",le="+Inf"} ${c.count}`);
            lines.push(`revision_request_latencies_sum{revision_name="${revision}"} ${c.latencySum}`);
            lines.push(`revision_request_latencies_count{revision_name="${revision}"} ${c.count}`);
        }
        return lines.join("\n") + "\n";
    };

    const server = http.createServer((req, res) => {
        if (req.url !== "/metrics") {
            res.writeHead(404).end();
            return;
        }
        res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(render());
    });
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolve());
    });
    const port = (server.address() as net.AddressInfo).port;
    return {
        target: `127.0.0.1:${port}`,
        setProfile,
        render,
        stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
}
