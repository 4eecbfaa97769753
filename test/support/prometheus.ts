// A real Prometheus for integration tests: Debian's `prometheus` (2.42) on a free 127.0.0.1 port with
// a temporary config (scrape every second) and temporary storage, scraping the given targets. Never
// the packaged service's :9090. stop() kills it and removes its files; process exit kills it too.
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { killAndWait, waitUntilServing } from "../../scripts/lib/loopback";
import { freePort } from "./registry";

export const PROMETHEUS_BINARY = "/usr/bin/prometheus";

export interface LocalPrometheus {
    /** `http://127.0.0.1:PORT` */
    url: string;
    /** One instant query's value (first series), or undefined when it has none. */
    query(promql: string): Promise<number | undefined>;
    /** Waits until `promql` gives a value ≥ `atLeast` (bounded), e.g. until enough samples exist. */
    waitFor(promql: string, atLeast: number, timeoutMs: number): Promise<number>;
    stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on("exit", () => {
    for (const child of running) child.kill("SIGKILL");
});

export async function startPrometheus(targets: string[], opts: { scrapeIntervalSeconds?: number } = {}): Promise<LocalPrometheus> {
    const port = await freePort();
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "modelship-prometheus-"));
    const interval = `${opts.scrapeIntervalSeconds ?? 1}s`;
    const configFile = path.join(workDir, "prometheus.yml");
    fs.writeFileSync(
        configFile,
        [
            "global:",
            `  scrape_interval: ${interval}`,
            `  evaluation_interval: ${interval}`,
            "scrape_configs:",
            "  - job_name: modelship-test",
            "    static_configs:",
            `      - targets: [${targets.map((t) => JSON.stringify(t)).join(", ")}]`,
            "",
        ].join("\n"),
    );
    const child = spawn(
        PROMETHEUS_BINARY,
        [`--config.file=${configFile}`, `--storage.tsdb.path=${path.join(workDir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"],
        { stdio: ["ignore", "ignore", "pipe"] },
    );
    running.add(child);
    let stderr = "";
    child.stderr.on("data", (d) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.on("exit", () => running.delete(child));
    const url = `http://127.0.0.1:${port}`;

    const stop = async () => {
        await killAndWait(child);
        fs.rmSync(workDir, { recursive: true, force: true });
    };

    const query = async (promql: string): Promise<number | undefined> => {
        const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: promql }).toString()}`, { signal: AbortSignal.timeout(2000) });
        const body = (await res.json()) as { data?: { result?: { value: [number, string] }[] } };
        const first = body.data?.result?.[0];
        return first ? Number(first.value[1]) : undefined;
    };
    const waitFor = async (promql: string, atLeast: number, timeoutMs: number): Promise<number> => {
        const deadline = Date.now() + timeoutMs;
        let last: number | undefined;
        while (Date.now() < deadline) {
            if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}: ${stderr}`);
            last = await query(promql).catch(() => undefined);
            if (last !== undefined && last >= atLeast) return last;
            await new Promise((r) => setTimeout(r, 250));
        }
        throw new Error(`Prometheus at ${url}: \`${promql}\` did not reach ${atLeast} within ${timeoutMs} ms (last ${last}): ${stderr}`);
    };

    // Ready, then every target scraped successfully (bounded).
    try {
        await waitUntilServing(child, { name: "prometheus", port, path: "/-/ready", timeoutMs: 20_000, log: () => stderr });
        await waitFor('sum(up{job="modelship-test"})', targets.length, 20_000);
    } catch (err) {
        await stop();
        throw err;
    }
    return { url, query, waitFor, stop };
}
