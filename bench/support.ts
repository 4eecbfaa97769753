// What `npm run bench` needs around the tools it compares: finding the tools, a local registry
// (Debian's docker-registry, distribution 2.8) whose storage can be emptied between tools, the
// bytes and CPU time that registry spent, and a runner that gives each tool's wall time, CPU time
// and peak RSS.
// Nothing here comes from test/: the bench must run without the test tree.
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { freePort, killAndWait, registryConfigYaml, waitUntilServing } from "../scripts/lib/loopback";
import { findExecutable } from "../scripts/lib/program";

export const REGISTRY_BINARY = "/usr/bin/docker-registry";
/** Absolute path of a tool: as given when absolute, else on PATH, else where scripts/install-go-tools puts oras, crane and cosign ($MODELSHIP_CACHE/bin); undefined when missing. */
export function findTool(tool: string): string | undefined {
    if (tool.startsWith("/")) return fs.existsSync(tool) ? tool : undefined;
    return findExecutable(tool);
}

/** The tool's path, or exit 2 with how to install it. */
export function requireToolOrExit(tool: string): string {
    const found = findTool(tool);
    if (found) return found;
    const fix = ["oras", "crane"].includes(tool)
        ? "bash scripts/install-go-tools builds it into ~/.cache/modelship/bin"
        : "apt-get install docker-registry skopeo busybox-static curl python3";
    console.error(`bench needs ${tool} (${fix})`);
    process.exit(2);
}

export interface BenchRegistry {
    /** `127.0.0.1:PORT` */
    host: string;
    /** Stops the registry, deletes its storage and starts it again empty (same port). */
    reset(): Promise<void>;
    /**
     * Bytes the registry process has read so far (`rchar` of /proc/<pid>/io: request bodies and
     * headers from its sockets; it reads no blob files back while storing uploads). Counts from 0
     * after each reset.
     */
    bytesRead(): number;
    /** CPU seconds (user + system) the registry process has used so far; counts from 0 after each reset. */
    cpuSeconds(): number;
    /** Stops the registry and deletes its storage and config. */
    stop(): Promise<void>;
}

const runningRegistries = new Set<ChildProcess>();
/** Process groups of measured commands still running (the wrapper and the tool under it). */
const runningGroups = new Set<number>();
process.on("exit", () => {
    for (const child of runningRegistries) child.kill("SIGKILL");
    for (const pgid of runningGroups) {
        try {
            process.kill(-pgid, "SIGKILL");
        } catch {
            // already gone
        }
    }
});

/** A registry on a free 127.0.0.1 port, its config and storage under `workDir`. */
export async function startRegistry(workDir: string): Promise<BenchRegistry> {
    const port = await freePort();
    fs.mkdirSync(workDir, { recursive: true });
    const storageDir = path.join(workDir, "storage");
    const configPath = path.join(workDir, "config.yml");
    const logPath = path.join(workDir, "registry.log");
    // The access log is off so it costs nothing during the measurements.
    fs.writeFileSync(configPath, registryConfigYaml({ port, storageDir, accessLog: false, secret: `modelship-bench-${port}` }));
    let child: ChildProcess | undefined;

    const start = async () => {
        fs.mkdirSync(storageDir, { recursive: true });
        // Output goes to a file, not a pipe: nobody reads a pipe while a measured tool runs.
        const log = fs.openSync(logPath, "a");
        const proc = spawn(REGISTRY_BINARY, ["serve", configPath], { stdio: ["ignore", log, log] });
        fs.closeSync(log);
        child = proc;
        runningRegistries.add(proc);
        proc.on("exit", () => runningRegistries.delete(proc));
        await waitUntilServing(proc, { name: "docker-registry", port, path: "/v2/", log: () => tail(logPath) });
    };
    const kill = async () => {
        const proc = child;
        child = undefined;
        await killAndWait(proc);
    };

    await start();
    return {
        host: `127.0.0.1:${port}`,
        async reset() {
            await kill();
            fs.rmSync(storageDir, { recursive: true, force: true });
            // Written-back pages of the previous tool's uploads would otherwise slow the next one.
            spawnSync("sync");
            await start();
        },
        bytesRead() {
            if (!child?.pid) throw new Error("docker-registry is not running");
            const io = fs.readFileSync(`/proc/${child.pid}/io`, "utf8");
            const rchar = /^rchar:\s*(\d+)/m.exec(io)?.[1];
            if (rchar === undefined) throw new Error(`no rchar in /proc/${child.pid}/io`);
            return Number(rchar);
        },
        cpuSeconds() {
            if (!child?.pid) throw new Error("docker-registry is not running");
            return processCpuSeconds(child.pid);
        },
        async stop() {
            await kill();
            fs.rmSync(workDir, { recursive: true, force: true });
        },
    };
}

let clockTicks: number | undefined;
/** utime + stime of a running process, from /proc/<pid>/stat (fields 14 and 15, in clock ticks). */
function processCpuSeconds(pid: number): number {
    clockTicks ??= Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

function tail(file: string): string {
    try {
        return fs.readFileSync(file, "utf8").slice(-2000);
    } catch {
        return "(no log)";
    }
}

export interface MeasuredRun {
    /** Wall time of the command alone (the wrapper's own start-up is not included). */
    seconds: number;
    /** CPU seconds (user + system) of the command and of anything it waited for. */
    cpuSeconds: number;
    /** Peak RSS of the command (and of anything it waited for). */
    maxRssMiB: number;
    /** How the peak RSS was read: GNU time's %M, or getrusage in the wrapper (floored at the wrapper's own size). */
    rssSource: "gnu-time" | "rusage";
    stdout: string;
    stderr: string;
}

/** GNU time (Debian package `time`): the clean peak-RSS reading, see MEASURE_PY. */
export const GNU_TIME = "/usr/bin/time";

// The wrapper times the command. Peak RSS: a child forked from python3 starts with python's
// high-water mark (Linux carries it across exec into ru_maxrss), so getrusage(RUSAGE_CHILDREN)
// alone never reads below ~14 MiB. When GNU time is installed the command runs under it: GNU time
// is a small process, the command is forked from it, and its %M is the command's own peak.
// Otherwise the wrapper falls back to RUSAGE_CHILDREN and says so.
const MEASURE_PY = `
import json, os, resource, subprocess, sys, time
out, err, rss_file, cmd = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
timer = ["${GNU_TIME}", "-q", "-f", "%M %U %S", "-o", rss_file] if os.access("${GNU_TIME}", os.X_OK) else []
with open(out, "wb") as o, open(err, "wb") as e:
    t0 = time.monotonic()
    rc = subprocess.run(timer + cmd, stdin=subprocess.DEVNULL, stdout=o, stderr=e).returncode
    seconds = time.monotonic() - t0
if timer:
    with open(rss_file) as f:
        rss, user, system = f.read().split()[-3:]
    rss, cpu, source = int(rss), float(user) + float(system), "gnu-time"
else:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    rss, cpu, source = usage.ru_maxrss, usage.ru_utime + usage.ru_stime, "rusage"
print(json.dumps({"rc": rc, "seconds": seconds, "cpuSeconds": cpu, "maxRssKiB": rss, "rssSource": source}))
`;

/**
 * Runs `command` under the python3 wrapper; fails with the command's output when it fails. After
 * `timeoutSeconds` the wrapper and the command are killed (they run in a process group of their own).
 */
export async function runMeasured(
    label: string,
    command: string[],
    opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutSeconds: number; scratchDir: string },
): Promise<MeasuredRun> {
    const [out, err, rssFile] = ["stdout", "stderr", "rss"].map((f) => path.join(opts.scratchDir, `measured.${f}`));
    const wrapper = spawn("python3", ["-c", MEASURE_PY, out, err, rssFile, ...command], {
        cwd: opts.cwd,
        env: opts.env ?? process.env,
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
    });
    const pgid = wrapper.pid;
    if (pgid) runningGroups.add(pgid);
    let report = "";
    let wrapperErr = "";
    let timedOut = false;
    wrapper.stdout.on("data", (d: Buffer) => (report += d.toString()));
    wrapper.stderr.on("data", (d: Buffer) => (wrapperErr += d.toString()));
    const timer = setTimeout(() => {
        timedOut = true;
        if (pgid) process.kill(-pgid, "SIGKILL");
    }, opts.timeoutSeconds * 1000);
    const code = await new Promise<number | null>((resolve, reject) => {
        wrapper.on("error", reject);
        wrapper.on("close", resolve);
    }).finally(() => {
        clearTimeout(timer);
        if (pgid) runningGroups.delete(pgid);
    });
    const stdout = readAndRemove(out);
    const stderr = readAndRemove(err);
    readAndRemove(rssFile);
    if (timedOut) throw new Error(`${label}: still running after ${opts.timeoutSeconds} s, killed`);
    if (code !== 0) throw new Error(`${label}: measuring wrapper failed (${code}): ${wrapperErr}`);
    const r = JSON.parse(report) as { rc: number; seconds: number; cpuSeconds: number; maxRssKiB: number; rssSource: MeasuredRun["rssSource"] };
    if (r.rc !== 0) throw new Error(`${label} exited with ${r.rc}: ${(stderr || stdout).slice(-3000)}`);
    return { seconds: r.seconds, cpuSeconds: r.cpuSeconds, maxRssMiB: r.maxRssKiB / 1024, rssSource: r.rssSource, stdout, stderr };
}

function readAndRemove(file: string): string {
    try {
        return fs.readFileSync(file, "utf8");
    } catch {
        return "";
    } finally {
        fs.rmSync(file, { force: true });
    }
}
