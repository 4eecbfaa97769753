// Runs the real Pulumi CLI for the end-to-end test: a throwaway file backend and passphrase, the
// offline toolchain's environment (scripts/toolchain-env), a bounded time per call, output kept in
// files of the run directory, and the streaming JSON event stream parsed for digests and policy results.
import { runProcess } from "../../components/lib/run-process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const CACHE_DIR = process.env.MODELSHIP_CACHE ?? path.join(os.homedir(), ".cache", "modelship");

/** What scripts/toolchain-env exports: the toolchain on PATH, its own plugin home, no network. */
export function toolchainEnvironment(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
    const bin = path.join(CACHE_DIR, "bin");
    const pathList = (base.PATH ?? "").split(":");
    return {
        ...base,
        MODELSHIP_CACHE: CACHE_DIR,
        PATH: pathList.includes(bin) ? base.PATH : `${bin}:${base.PATH}`,
        PULUMI_HOME: base.PULUMI_HOME ?? path.join(CACHE_DIR, "pulumi-home"),
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
        PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
    };
}

export interface PulumiRun {
    code: number;
    stdout: string;
    stderr: string;
    /** Where stdout/stderr were written. */
    log: string;
}

export interface PulumiProject {
    /** The project directory (Pulumi.yaml) the CLI runs in. */
    dir: string;
    stack: string;
    env: NodeJS.ProcessEnv;
    /** Run directory for logs. */
    logs: string;
}

let runCounter = 0;

/** `pulumi <args> --non-interactive` in the project, bounded by `timeoutMs`; never throws on a non-zero exit. */
export function pulumi(project: PulumiProject, args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; name?: string } = {}): Promise<PulumiRun> {
    const name = `${String(++runCounter).padStart(2, "0")}-${opts.name ?? args[0]}`;
    const log = path.join(project.logs, `${name}.log`);
    const timeoutMs = opts.timeoutMs ?? 300_000;
    const env = { ...project.env, ...(opts.env ?? {}) };
    return runProcess("pulumi", [...args, "--non-interactive"], { cwd: project.dir, env, timeoutMs, killSignal: "SIGTERM" }).then(({ code, stdout, stderr, timedOut }) => {
        fs.writeFileSync(log, `$ pulumi ${args.join(" ")}\n--- stdout\n${stdout}\n--- stderr\n${stderr}\n`);
        const note = timedOut ? `\n[e2e] pulumi ${args.join(" ")} stopped after ${timeoutMs / 1000} s` : "";
        return { code, stdout, stderr: stderr + note, log };
    });
}

/** Throws with the tail of the output when a run failed. */
export function expectSuccess(run: PulumiRun, what: string): PulumiRun {
    if (run.code !== 0) {
        const tail = (run.stdout + "\n" + run.stderr).trim().split("\n").slice(-30).join("\n");
        throw new Error(`${what} exited ${run.code} (full output: ${run.log}):\n${tail}`);
    }
    return run;
}

// ---- the streaming JSON event stream (PULUMI_ENABLE_STREAMING_JSON_PREVIEW=true) -------------------

export type EngineEvent = Record<string, any>;

export function parseEvents(text: string): EngineEvent[] {
    return text
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l));
}

export interface PlannedResource {
    urn: string;
    type: string;
    op: string;
    inputs: Record<string, any>;
}

/** The resources the preview planned (`resourcePreEvent`), by URN, with their planned inputs. */
export function plannedResources(events: EngineEvent[]): PlannedResource[] {
    const out: PlannedResource[] = [];
    for (const e of events) {
        const md = e.resourcePreEvent?.metadata;
        if (!md) continue;
        out.push({ urn: md.urn, type: md.type, op: md.op, inputs: md.new?.inputs ?? md.new?.outputs ?? {} });
    }
    return out;
}

export interface PolicyResult {
    policyName: string;
    resourceUrn?: string;
    enforcementLevel: string;
    message: string;
}

/** Policy violations (`policyEvent`) and the per-policy pass lists (`policyAnalyzeSummaryEvent`). */
export function policyResults(events: EngineEvent[]): { violations: PolicyResult[]; passed: { urn: string; policy: string }[] } {
    const violations: PolicyResult[] = [];
    const passed: { urn: string; policy: string }[] = [];
    for (const e of events) {
        if (e.policyEvent) violations.push(e.policyEvent);
        const s = e.policyAnalyzeSummaryEvent;
        if (s) for (const p of s.passed ?? []) passed.push({ urn: s.resourceUrn, policy: p });
    }
    return { violations, passed };
}

/** Short name of a URN (its last `::` part). */
export function urnName(urn: string): string {
    return urn.slice(urn.lastIndexOf("::") + 2);
}
