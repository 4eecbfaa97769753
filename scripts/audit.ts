// npm run audit -- --stack <name> [--config FILE] [--out DIR] [--events FILE]
//
// Runs `pulumi preview` with the policy pack and the stack's policy config, capturing the engine's
// streaming JSON event stream, and writes reports/<stack>/policy-report.{md,json,sarif} plus the raw
// events.jsonl; the promotion evidence records in reports/<stack>/promotions/ become the report's
// Promotions section. Exit status: 0 compliant; 1 a mandatory policy failed; 2 the preview or the audit
// itself failed (see the message). With --events FILE it renders a saved event stream instead of
// running the preview (no Pulumi CLI needed). The report writer is pure (policy/report); this file
// only does arguments, processes and files.
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import {
    buildReport,
    isPromotionEvidence,
    parseEventStream,
    policyCatalog,
    PromotionEvidence,
    renderJson,
    renderMarkdown,
    renderSarif,
    ReportInput,
    STACK_SCOPE,
} from "../policy/report";
import { isRecord } from "../policy/lib/values";

const root = path.resolve(__dirname, "..");

interface AuditArgs {
    stack: string;
    config: string;
    out: string;
    events?: string;
}

function usage(problem: string): never {
    console.error(`audit: ${problem}\nusage: npm run audit -- --stack <name> [--config policy/config/<name>.json] [--out reports/<name>] [--events saved-events.jsonl]`);
    process.exit(2);
}

function parseArgs(argv: string[]): AuditArgs {
    const values: Record<string, string> = {};
    for (let i = 0; i < argv.length; i++) {
        const m = /^--(stack|config|out|events)(?:=(.*))?$/.exec(argv[i]);
        if (!m) usage(`unknown argument "${argv[i]}"`);
        const value = m[2] ?? argv[++i];
        if (value === undefined || value.startsWith("--")) usage(`--${m[1]} needs a value`);
        values[m[1]] = value;
    }
    if (!values.stack) usage("--stack is required");
    if (!/^[A-Za-z0-9_.\-/]+$/.test(values.stack)) usage(`invalid stack name "${values.stack}"`);
    const stackFile = values.stack.split("/").pop()!;
    return {
        stack: values.stack,
        config: values.config ?? path.join("policy", "config", `${stackFile}.json`),
        out: values.out ?? path.join("reports", stackFile),
        events: values.events,
    };
}

function git(args: string[]): string | undefined {
    const r = spawnSync("git", args, { cwd: root, encoding: "utf8" });
    return r.status === 0 ? r.stdout.trim() : undefined;
}

function gitRevision(): string {
    const head = git(["rev-parse", "HEAD"]);
    if (!head) return "unknown (not a git checkout)";
    const dirty = (git(["status", "--porcelain", "--untracked-files=no"]) ?? "") !== "";
    return dirty ? `${head}+uncommitted-changes` : head;
}

function githubRemote(): string | undefined {
    const url = git(["remote", "get-url", "origin"]);
    if (!url) return undefined;
    const m = /github\.com[:/](.+?)(\.git)?$/.exec(url);
    return m ? `https://github.com/${m[1]}` : url.startsWith("https://") ? url : undefined;
}

/** The promotion evidence records `npm run promote` wrote to <out>/promotions/ (other files are skipped with a note). */
function readPromotionEvidence(dir: string): PromotionEvidence[] {
    if (!fs.existsSync(dir)) return [];
    const records: PromotionEvidence[] = [];
    for (const name of fs
        .readdirSync(dir)
        .filter((n) => n.endsWith(".json"))
        .sort()) {
        try {
            const value: unknown = JSON.parse(fs.readFileSync(path.join(dir, name), "utf8"));
            if (isPromotionEvidence(value)) records.push(value);
            else console.error(`audit: ${path.relative(root, path.join(dir, name))} is not a promotion evidence record; skipped`);
        } catch (e) {
            console.error(`audit: ${path.relative(root, path.join(dir, name))} is not valid JSON (${(e as Error).message}); skipped`);
        }
    }
    return records;
}

function requirePulumi(): void {
    const probe = spawnSync("pulumi", ["version"], { encoding: "utf8" });
    if (probe.error && (probe.error as NodeJS.ErrnoException).code === "ENOENT") {
        console.error(
            "audit: the Pulumi CLI (`pulumi`) is not on PATH. `bash scripts/setup` builds it from Go modules " +
                "(scripts/toolchain); then run `source scripts/dev-env` (dev) or put ~/.cache/modelship/bin on PATH, and run again. " +
                "Or render a saved event stream with --events FILE.",
        );
        process.exit(2);
    }
}

/**
 * policy/config/<stack>.json as the report reads it: each policy's entry and its enforcementLevel.
 * What is not an object, or a level that is not a string, is what the report could not use anyway.
 */
function stackConfigOf(value: unknown): ReportInput["stackConfig"] {
    if (!isRecord(value)) return undefined;
    const config: NonNullable<ReportInput["stackConfig"]> = {};
    for (const [policy, entry] of Object.entries(value)) {
        if (isRecord(entry)) config[policy] = { ...entry, enforcementLevel: typeof entry.enforcementLevel === "string" ? entry.enforcementLevel : undefined };
    }
    return config;
}

/** Runs the preview, teeing stdout (the event stream) into `eventsFile`; stderr passes through. */
function runPreview(args: AuditArgs, eventsFile: string): Promise<{ code: number; text: string }> {
    const cli = ["preview", "--stack", args.stack, "--policy-pack", "policy", "--policy-pack-config", args.config, "--json", "--non-interactive"];
    console.error(`audit: pulumi ${cli.join(" ")}`);
    return new Promise((resolve, reject) => {
        const child = spawn("pulumi", cli, {
            cwd: root,
            env: { ...process.env, PULUMI_ENABLE_STREAMING_JSON_PREVIEW: "true", PULUMI_SKIP_UPDATE_CHECK: "true" },
            stdio: ["ignore", "pipe", "inherit"],
        });
        const out = fs.createWriteStream(eventsFile);
        const chunks: Buffer[] = [];
        child.stdout.on("data", (c: Buffer) => {
            chunks.push(c);
            out.write(c);
        });
        child.on("error", reject);
        child.on("close", (code) => out.end(() => resolve({ code: code ?? 1, text: Buffer.concat(chunks).toString("utf8") })));
    });
}

async function main(): Promise<number> {
    const args = parseArgs(process.argv.slice(2));
    const configPath = path.resolve(root, args.config);
    if (!fs.existsSync(configPath)) usage(`no policy config at ${args.config}; create it (see the Policies section of README.md)`);
    const stackConfig = stackConfigOf(JSON.parse(fs.readFileSync(configPath, "utf8")));
    const outDir = path.resolve(root, args.out);
    fs.mkdirSync(outDir, { recursive: true });

    let text: string;
    let previewCode = 0;
    let source: string;
    if (args.events) {
        text = fs.readFileSync(path.resolve(args.events), "utf8");
        source = `saved event stream ${args.events}`;
    } else {
        requirePulumi();
        const run = await runPreview(args, path.join(outDir, "events.jsonl"));
        text = run.text;
        previewCode = run.code;
        source = `pulumi preview --policy-pack policy --policy-pack-config ${args.config} (streaming JSON events)`;
    }

    const events = parseEventStream(text);
    const pkg = JSON.parse(fs.readFileSync(path.join(root, "policy", "package.json"), "utf8")) as { version: string };
    const report = buildReport({
        events,
        catalog: policyCatalog(),
        stackConfig,
        stack: args.stack,
        gitRevision: gitRevision(),
        packName: "modelship",
        packVersion: pkg.version,
        generatedAt: new Date().toISOString(),
        source,
    });
    report.promotions = readPromotionEvidence(path.join(outDir, "promotions"));
    const base = path.join(outDir, "policy-report");
    fs.writeFileSync(`${base}.md`, renderMarkdown(report));
    fs.writeFileSync(`${base}.json`, renderJson(report));
    fs.writeFileSync(`${base}.sarif`, renderSarif(report, { repositoryUri: githubRemote() }));

    const t = report.totals;
    console.error(
        `audit: stack ${args.stack}: ${t.results} results, ${t.passed} passed, ${t.failed} failed ` +
            `(${t.mandatoryFailed} mandatory), ${t.inconclusive} inconclusive -> ${path.relative(root, base)}.{md,json,sarif}`,
    );
    const sawPolicies = events.some((e) => e.policyAnalyzeSummaryEvent || e.policyAnalyzeStackSummaryEvent || e.policyEvent);
    if (t.mandatoryFailed > 0) {
        console.error("audit: FAILED: a mandatory policy failed (see the report's Failures section).");
        return 1;
    }
    if (previewCode !== 0 || report.engineErrors.length > 0) {
        const errors = report.engineErrors.length > 0 ? report.engineErrors : ["(the event stream holds no error; see the CLI's output above)"];
        console.error(`audit: the preview failed (exit ${previewCode}) without a mandatory policy failure. The engine said:`);
        for (const e of errors) console.error(`  ${e.replace(/\r?\n/g, "\n  ")}`);
        return 2;
    }
    if (sawPolicies && report.results.every((r) => r.resourceUrn === STACK_SCOPE || /::pulumi:pulumi:Stack::/.test(r.resourceUrn))) {
        console.error("audit: the policies checked nothing but the stack itself: the program registered no resource to check, so this is not a pass.");
        return 2;
    }
    if (!sawPolicies) {
        console.error("audit: the event stream holds no policy results: did the policy pack run? (an older CLI may need PULUMI_ENABLE_STREAMING_JSON_PREVIEW support)");
        return 2;
    }
    return 0;
}

main().then(
    (code) => process.exit(code),
    (e) => {
        console.error(`audit: ${e instanceof Error ? e.message : String(e)}`);
        process.exit(2);
    },
);
