// A real registry for integration tests: Debian's `docker-registry` (distribution 2.8) on a free
// 127.0.0.1 port with its own config and temporary storage, plus a busybox base image seeded from
// Debian's busybox-static. Everything is torn down by stop() and, failing that, on process exit.
import { freePort, killAndWait, registryConfigYaml, waitUntilServing } from "../../scripts/lib/loopback";
import { requireInput } from "./required-input";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { publishBusyboxBase } from "../../components/oci/busybox-base";

export const REGISTRY_BINARY = "/usr/bin/docker-registry";
export interface LocalRegistry {
    /** `127.0.0.1:PORT` */
    host: string;
    port: number;
    storageDir: string;
    stop(): Promise<void>;
    /** Stops and starts again on the same port and storage. */
    restart(): Promise<void>;
    /** Stops without cleaning up storage (for stop-mid-upload tests). */
    kill(): Promise<void>;
    start(): Promise<void>;
    /** Write requests (PUT, POST, PATCH, DELETE under /v2/) served so far; counted only with `accessLog: true`. */
    writeRequests(): number;
}

const running = new Set<ChildProcess>();
process.on("exit", () => {
    for (const child of running) child.kill("SIGKILL");
});

/** Is a command available? Under CI a missing tool is a failure, elsewhere a skip with its name. */
export function requireTool(ctx: Mocha.Context, tool: string): void {
    const found = tool.startsWith("/") ? fs.existsSync(tool) : spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;
    if (found) return;
    const fixes: Record<string, string> = {
        cosign: "bash scripts/install-go-tools builds it into ~/.cache/modelship/bin",
        "kube-apiserver": "bash scripts/install-control-plane builds it into ~/.cache/modelship/bin",
        pulumi: "bash scripts/toolchain builds it into ~/.cache/modelship/bin",
    };
    for (const t of ["cosign3", "oras", "crane"]) fixes[t] = fixes.cosign;
    fixes["kube-controller-manager"] = fixes["kube-apiserver"];
    for (const t of ["pulumi-resource-kubernetes", "pulumi-language-nodejs"]) fixes[t] = fixes.pulumi;
    requireInput(ctx, `${tool} is not installed`, fixes[tool] ?? "bash scripts/install-system-packages");
}

export async function startRegistry(opts: { port?: number; storageDir?: string; accessLog?: boolean } = {}): Promise<LocalRegistry> {
    const port = opts.port ?? (await freePort());
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "modelship-registry-"));
    const storageDir = opts.storageDir ?? path.join(workDir, "storage");
    fs.mkdirSync(storageDir, { recursive: true });
    const configPath = path.join(workDir, "config.yml");
    fs.writeFileSync(configPath, registryConfigYaml({ port, storageDir, accessLog: opts.accessLog ?? false, secret: `modelship-test-${port}` }));
    let child: ChildProcess | undefined;
    let stderr = "";
    let writes = 0;
    let partialLine = "";
    const countWrites = (chunk: Buffer) => {
        const lines = (partialLine + chunk.toString()).split("\n");
        partialLine = lines.pop() ?? "";
        for (const line of lines) if (/"(PUT|POST|PATCH|DELETE) \/v2\//.test(line)) writes++;
    };

    const start = async () => {
        stderr = "";
        const proc = spawn(REGISTRY_BINARY, ["serve", configPath], { stdio: ["ignore", opts.accessLog ? "pipe" : "ignore", "pipe"] });
        child = proc;
        running.add(proc);
        proc.stdout?.on("data", countWrites);
        proc.stderr!.on("data", (d) => (stderr = (stderr + d.toString()).slice(-4000)));
        proc.on("exit", () => running.delete(proc));
        await waitUntilServing(proc, { name: "docker-registry", port, path: "/v2/", log: () => stderr });
    };
    const kill = async () => {
        const proc = child;
        child = undefined;
        await killAndWait(proc);
    };
    await start();
    return {
        host: `127.0.0.1:${port}`,
        port,
        storageDir,
        start,
        kill,
        writeRequests: () => writes,
        async stop() {
            await kill();
            fs.rmSync(workDir, { recursive: true, force: true });
        },
        async restart() {
            await kill();
            await start();
        },
    };
}

export { freePort };

/**
 * Pushes a busybox image built from Debian's static busybox into the registry and returns its
 * pinned reference `host/repo@sha256:…` (the same image `npm run base-image` publishes).
 */
export async function seedBusyboxBase(host: string, repository = "library/busybox"): Promise<string> {
    return publishBusyboxBase({ registry: host, repository, connection: { plainHttp: true } });
}
