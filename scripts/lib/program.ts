// What the Go-building programs (scripts/toolchain.ts, scripts/install-control-plane.ts) share:
// running commands with argument lists (never through a shell) into logs, the temporary directory
// removed on exit, failure, SIGINT and SIGTERM, the exit status, and a few file tests.
//
// Each command runs in a process group of its own, so a SIGINT or SIGTERM to the program reaches
// everything a build started (go's compilers, install-go-tools' go); the program then removes its
// temporary directory and dies of the same signal.
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** A failure whose explanation (if any) goes to stderr as it is; the program exits with `code`. */
export class Failure extends Error {
    constructor(
        readonly stderr: string | Buffer,
        readonly code = 1,
    ) {
        super(stderr.toString());
    }
}

/** Where a child's stdout or stderr goes: an open file descriptor (a log), captured, or nowhere. */
type Sink = number | "capture" | "ignore" | "inherit";

export interface RunResult {
    status: number;
    stdout: string;
}

/** The program's name in its own messages ("toolchain: cannot run go: ..."); set by runProgram. */
let programName = "";
let current: ChildProcess | undefined;
let interruptedBy: NodeJS.Signals | undefined;
const cleanups: (() => void)[] = [];

function cleanup(): void {
    for (const fn of cleanups.splice(0)) {
        try {
            fn();
        } catch {
            // best effort: the directory may be gone already
        }
    }
}

function dieOf(signal: NodeJS.Signals): void {
    cleanup();
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    process.kill(process.pid, signal);
    setTimeout(() => process.exit(128 + (os.constants.signals[signal] ?? 0)), 1000);
}

function onSignal(signal: NodeJS.Signals): void {
    if (interruptedBy) return;
    interruptedBy = signal;
    const child = current;
    if (!child?.pid) return dieOf(signal);
    killGroup(child.pid, signal);
    setTimeout(() => killGroup(child.pid, "SIGKILL"), 10_000).unref();
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
    if (pid === undefined) return;
    try {
        process.kill(-pid, signal);
    } catch {
        // the group has ended
    }
}

/**
 * Runs `main` as the program `name`: SIGINT and SIGTERM go to the running command's process group,
 * cleanups run on exit; a Failure prints its text and sets its exit code, any other error prints
 * "<name>: <message>" and exits 1.
 */
export function runProgram(name: string, main: () => Promise<void>): void {
    programName = name;
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    process.on("exit", cleanup);
    main().catch((err: unknown) => {
        if (err instanceof Failure) {
            process.stderr.write(err.stderr);
            process.exitCode = err.code;
        } else {
            process.stderr.write(`${programName}: ${err instanceof Error ? err.message : String(err)}\n`);
            process.exitCode = 1;
        }
    });
}

/** A new temporary directory (like `mktemp -d`), removed when the program ends, however it ends. */
export function tempDir(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tmp."));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 }));
    return dir;
}

export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; stdout?: Sink; stderr?: Sink } = {}): Promise<RunResult> {
    const pipe = (sink: Sink | undefined) => (sink === "capture" ? "pipe" : (sink ?? "inherit"));
    return new Promise((resolve, reject) => {
        const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["ignore", pipe(opts.stdout), pipe(opts.stderr)], detached: true });
        current = child;
        const out: Buffer[] = [];
        child.stdout?.on("data", (chunk: Buffer) => out.push(chunk));
        child.stderr?.resume();
        let settled = false;
        child.on("error", (err) => {
            if (settled) return;
            settled = true;
            current = undefined;
            reject(new Failure(`${programName}: cannot run ${cmd}: ${err.message}\n`));
        });
        child.on("close", (code, signal) => {
            if (settled) return;
            settled = true;
            current = undefined;
            if (interruptedBy) return dieOf(interruptedBy); // never resolves: the process ends
            const status = code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0);
            resolve({ status, stdout: Buffer.concat(out).toString() });
        });
    });
}

/**
 * Runs a command with stdout and stderr as one stream (`2>&1`), through the file `file` (the two
 * share one descriptor, so their lines keep their order); returns its status and that output.
 */
export async function runCombined(cmd: string, args: string[], opts: { file: string; cwd?: string; env?: NodeJS.ProcessEnv }): Promise<{ status: number; output: string }> {
    const fd = fs.openSync(opts.file, "w");
    let status: number;
    try {
        status = (await run(cmd, args, { cwd: opts.cwd, env: opts.env, stdout: fd, stderr: fd })).status;
    } finally {
        fs.closeSync(fd);
    }
    return { status, output: fs.readFileSync(opts.file, "utf8") };
}

/** `nice -n 10 go ...`: the long builds run at a lower priority. */
export function runNice(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; log: number }): Promise<RunResult> {
    return run("nice", ["-n", "10", "go", ...args], { cwd: opts.cwd, env: opts.env, stdout: opts.log, stderr: opts.log });
}

// --- files -------------------------------------------------------------------------------------

/** The cache outside the repository: `${MODELSHIP_CACHE:-$HOME/.cache/modelship}`. */
export function modelshipCache(): string {
    return process.env.MODELSHIP_CACHE || `${process.env.HOME || os.homedir()}/.cache/modelship`;
}

/** `$MODELSHIP_CACHE/bin`: where scripts/install-go-tools and scripts/install-control-plane put what they build. */
export function cacheBin(): string {
    return path.join(modelshipCache(), "bin");
}

/** The path of executable file `name` on PATH (empty entries skipped) or in cacheBin(); undefined when neither has it. */
export function findExecutable(name: string): string | undefined {
    for (const dir of [...(process.env.PATH ?? "").split(path.delimiter).filter(Boolean), cacheBin()]) {
        const candidate = path.join(dir, name);
        if (isExecutable(candidate) && isFile(candidate)) return candidate;
    }
    return undefined;
}

/** `[ -x file ]` */
export function isExecutable(file: string): boolean {
    try {
        fs.accessSync(file, fs.constants.X_OK);
        return true;
    } catch {
        return false;
    }
}

/** `[ -f file ]` */
export function isFile(file: string): boolean {
    return fs.statSync(file, { throwIfNoEntry: false })?.isFile() ?? false;
}

export function touch(file: string): void {
    fs.closeSync(fs.openSync(file, "a"));
    const now = new Date();
    fs.utimesSync(file, now, now);
}

/** `date +%s` */
export const seconds = () => Math.floor(Date.now() / 1000);
