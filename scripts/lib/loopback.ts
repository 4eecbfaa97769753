// Local servers for the tests and the bench, on 127.0.0.1: a free port, a "does it answer 200 yet"
// probe, waiting for a spawned server to serve and killing it, and the config of Debian's docker-registry (distribution 2.8) they run. Shared by
// test/support and bench/ (the bench must not import the test tree).
import type { ChildProcess } from "child_process";
import * as http from "http";
import * as net from "net";

export async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.unref();
        server.on("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const port = (server.address() as net.AddressInfo).port;
            server.close(() => resolve(port));
        });
    });
}

/** Is a server on 127.0.0.1:`port` answering `path` with 200? (Polled while a server starts.) */
export function answers200(port: number, path: string, timeoutMs = 1000): Promise<boolean> {
    return new Promise((resolve) => {
        const req = http.get({ host: "127.0.0.1", port, path, timeout: timeoutMs }, (res) => {
            res.resume();
            resolve(res.statusCode === 200);
        });
        req.on("error", () => resolve(false));
        req.on("timeout", () => {
            req.destroy();
            resolve(false);
        });
    });
}

/**
 * docker-registry's config for a loopback registry: filesystem storage, deletes on, the upload
 * purger off, and a fixed http.secret, which keeps upload sessions valid across restarts.
 */
export function registryConfigYaml(opts: { port: number; storageDir: string; accessLog: boolean; secret: string }): string {
    return [
        "version: 0.1",
        "log:",
        "  level: error",
        "  accesslog:",
        `    disabled: ${opts.accessLog ? "false" : "true"}`,
        "storage:",
        "  filesystem:",
        `    rootdirectory: ${opts.storageDir}`,
        "  delete:",
        "    enabled: true",
        "  maintenance:",
        "    uploadpurging:",
        "      enabled: false",
        "http:",
        `  addr: 127.0.0.1:${opts.port}`,
        `  secret: ${opts.secret}`,
        "",
    ].join("\n");
}

/**
 * Waits until `proc` (a server just spawned) answers 200 on 127.0.0.1:`port` `path`, polling every
 * 100 ms; throws with `log()` (its output so far) when it exits first or stays silent for `timeoutMs`,
 * killing it in the latter case.
 */
export async function waitUntilServing(proc: ChildProcess, opts: { name: string; port: number; path: string; timeoutMs?: number; log: () => string }): Promise<void> {
    const timeoutMs = opts.timeoutMs ?? 15_000;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (proc.exitCode !== null) throw new Error(`${opts.name} exited with ${proc.exitCode}: ${opts.log()}`);
        if (await answers200(opts.port, opts.path)) return;
        await new Promise((r) => setTimeout(r, 100));
    }
    proc.kill("SIGKILL");
    throw new Error(`${opts.name} did not answer on 127.0.0.1:${opts.port} within ${timeoutMs / 1000} s: ${opts.log()}`);
}

/** SIGKILLs `proc` unless it has already ended, and waits (at most 5 s) for it to exit. */
export async function killAndWait(proc: ChildProcess | undefined): Promise<void> {
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGKILL");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
}
