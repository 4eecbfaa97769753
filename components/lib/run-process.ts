// Running a program to completion with its output collected and a time limit: the one way product
// code (cosign) and the test harnesses (the Pulumi CLI) run a child process and wait for it.
import { spawn, SpawnOptions } from "child_process";

export interface ProcessResult {
    /** Exit code; 1 when the process ended by a signal. */
    code: number;
    stdout: string;
    stderr: string;
    /** The time limit was reached and the process was killed. */
    timedOut: boolean;
}

/**
 * Runs `command args` (no shell, stdin closed) and collects stdout and stderr. After `timeoutMs` it
 * sends `killSignal` (default SIGKILL); with SIGTERM, a process still alive 10 s later gets SIGKILL.
 * Rejects only when the program cannot be started.
 */
export function runProcess(
    command: string,
    args: string[],
    opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs: number; killSignal?: "SIGKILL" | "SIGTERM" },
): Promise<ProcessResult> {
    return new Promise((resolve, reject) => {
        const spawnOptions: SpawnOptions = { env: opts.env, cwd: opts.cwd, stdio: ["ignore", "pipe", "pipe"] };
        const child = spawn(command, args, spawnOptions);
        let stdout = "";
        let stderr = "";
        let timedOut = false;
        const timer = setTimeout(() => {
            timedOut = true;
            child.kill(opts.killSignal ?? "SIGKILL");
            if (opts.killSignal === "SIGTERM") setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
        }, opts.timeoutMs);
        child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("error", (err) => {
            clearTimeout(timer);
            reject(err);
        });
        child.on("close", (code) => {
            clearTimeout(timer);
            resolve({ code: code ?? 1, stdout, stderr, timedOut });
        });
    });
}
