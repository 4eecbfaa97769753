// npm run promote -- --stack <name> --model <model> [--dry-run] [--evidence-dir DIR]
//     [--prometheus-url URL] [--stable-revision NAME --canary-revision NAME] [--project-dir DIR]
//
// Metrics-gated canary promotion: reads the canary and stable revisions' metrics from Prometheus
// (modelship:promotion in Pulumi.<stack>.yaml), decides step-up / promote / hold / rollback within the
// steps policy/config/<stack>.json allows (limit-canary-traffic), rewrites Pulumi.<stack>.yaml (the PR
// is the GitOps trail) and writes an evidence record to reports/<stack>/promotions/. Exit status: 0 a
// decision was made (any, hold included: see the output); 2 bad usage or configuration; 1 anything
// else (e.g. a file that cannot be written). The work is
// in components/promotion (run.ts; the decision itself is the pure decide.ts); this file only does
// arguments and exit codes.
import * as path from "path";
import { PromotionConfigError, PromotionOptions, runPromotion } from "../components/promotion/run";

const root = path.resolve(__dirname, "..");
const valueFlags = ["stack", "model", "evidence-dir", "prometheus-url", "stable-revision", "canary-revision", "project-dir", "stack-file", "policy-config"] as const;

function usage(problem: string): never {
    console.error(
        `promote: ${problem}\nusage: npm run promote -- --stack <name> --model <model> [--dry-run] [--evidence-dir reports/<stack>/promotions]\n` +
            "         [--prometheus-url URL] [--stable-revision NAME --canary-revision NAME] [--project-dir DIR] [--stack-file FILE] [--policy-config FILE]",
    );
    process.exit(2);
}

function parseArgs(argv: string[]): PromotionOptions {
    const values: Record<string, string> = {};
    let dryRun = false;
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--dry-run") {
            dryRun = true;
            continue;
        }
        const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
        if (!m || !(valueFlags as readonly string[]).includes(m[1])) usage(`unknown argument "${argv[i]}"`);
        const value = m[2] ?? argv[++i];
        if (value === undefined || value.startsWith("--")) usage(`--${m[1]} needs a value`);
        values[m[1]] = value;
    }
    if (!values.stack) usage("--stack is required");
    if (!/^[A-Za-z0-9_.\-/]+$/.test(values.stack)) usage(`invalid stack name "${values.stack}"`);
    if (!values.model) usage("--model is required (a models[].name of the stack)");
    if ((values["stable-revision"] === undefined) !== (values["canary-revision"] === undefined)) usage("--stable-revision and --canary-revision go together");
    return {
        stack: values.stack,
        model: values.model,
        projectDir: values["project-dir"] ?? root,
        stackFile: values["stack-file"],
        policyConfig: values["policy-config"],
        evidenceDir: values["evidence-dir"],
        prometheusUrl: values["prometheus-url"],
        stableRevision: values["stable-revision"],
        canaryRevision: values["canary-revision"],
        dryRun,
    };
}

runPromotion(parseArgs(process.argv.slice(2))).then(
    (run) => {
        for (const line of run.lines) console.log(line);
        process.exit(0);
    },
    (err) => {
        if (err instanceof PromotionConfigError) {
            console.error(`promote: ${err.message}`);
            process.exit(2);
        }
        // Not a decision and not a configuration problem (e.g. a file that cannot be written).
        console.error(`promote: failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        process.exit(1);
    },
);
