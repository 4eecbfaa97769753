// Helpers of scripts/e2e --modelship (run with ts-node --transpile-only). Every subcommand prints
// the facts it measured; a failed check exits 1.
//   preview-digests EVENTS.jsonl          the OciArtifact digests the preview shows (resourcePreEvent inputs), as JSON
//   events-summary EVENTS.jsonl           counts of the event kinds, the summary, policy results (one line)
//   sign OUTPUTS.json                     runs ImageSignature's cosign line (cosignSignCommand) for every model
//                                         image, as local.Command would: `/bin/sh -c <create>` with `environment`
//   verify OUTPUTS.json PUB REF           `cosign verify --key PUB <cosignVerifyArgs> REF`; prints and exits with its status
//   scrub IN OUT FROM=TO...               copies an event stream for a fixture: replaces run-specific strings,
//                                         drops debug diagnostics and the bulk of step metadata (old state,
//                                         outputs); keeps every policy event, summary and error verbatim
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { cosignSignCommand, cosignVerifyArgs, EMPTY_TRUSTED_ROOT } from "../../components/release/signing";
import type { SigningConfig } from "../../components/config/schema";

const OCI_ARTIFACT = "pulumi-nodejs:dynamic/modelship:OciArtifact";

function events(file: string): any[] {
    return fs
        .readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l));
}

function fail(message: string): never {
    console.error(`e2e: FAILED: ${message}`);
    process.exit(1);
}

/** name (last URN segment) → {kind, digest, reference} of each OciArtifact the preview showed. */
function previewDigests(file: string): Record<string, { kind: string; digest: string; reference: string }> {
    const out: Record<string, { kind: string; digest: string; reference: string }> = {};
    for (const e of events(file)) {
        const m = e.resourcePreEvent?.metadata;
        if (!m || m.type !== OCI_ARTIFACT) continue;
        const inputs = m.new?.inputs ?? {};
        const name = String(m.urn).split("::").pop()!;
        out[name] = { kind: inputs.kind, digest: inputs.digest, reference: inputs.reference };
    }
    return out;
}

function eventsSummary(file: string): void {
    const counts: Record<string, number> = {};
    let summary: any;
    const policy: Record<string, number> = {};
    for (const e of events(file)) {
        for (const k of Object.keys(e)) if (k !== "sequence" && k !== "timestamp") counts[k] = (counts[k] ?? 0) + 1;
        if (e.summaryEvent) summary = e.summaryEvent;
        if (e.policyEvent) {
            const key = `${e.policyEvent.policyName}(${e.policyEvent.enforcementLevel})`;
            policy[key] = (policy[key] ?? 0) + 1;
        }
    }
    console.log(
        `   events: ${Object.entries(counts).map(([k, n]) => `${k}×${n}`).join(" ")}\n` +
            `   summary: ${summary ? `${summary.result ?? "?"} ${JSON.stringify(summary.resourceChanges ?? {})}` : "none"}\n` +
            `   policy events: ${Object.keys(policy).length ? Object.entries(policy).map(([k, n]) => `${k}×${n}`).join(" ") : "none"}`,
    );
}

interface Outputs {
    models: Record<string, { imageReference: string; bundleReference: string; canary: { imageReference: string } | null }>;
    signing: SigningConfig;
    registry: { host: string; plainHttp?: boolean; insecure?: boolean; username?: string | null };
}

function sign(outputsFile: string): void {
    const o: Outputs = JSON.parse(fs.readFileSync(outputsFile, "utf8"));
    const keyPassword = process.env.E2E_SIGNING_KEY_PASSWORD ?? "";
    for (const [name, m] of Object.entries(o.models)) {
        for (const reference of [m.imageReference, ...(m.canary ? [m.canary.imageReference] : [])]) {
            const c = cosignSignCommand(o.signing, reference, {
                registryHost: o.registry.host,
                plainHttp: o.registry.plainHttp,
                insecure: o.registry.insecure,
                registryAuth: Boolean(o.registry.username),
            });
            // What local.Command runs: `/bin/sh -c create`, the provider's environment plus `environment`
            // (here only COSIGN_PASSWORD: no registry credentials on the e2e registry).
            const environment: Record<string, string> = {};
            for (const n of c.environment) environment[n] = n === "COSIGN_PASSWORD" ? keyPassword : (process.env[n] ?? "");
            console.log(`   ${name}: ${c.args.join(" ")}   (environment: ${c.environment.join(", ") || "none"})`);
            const t0 = Date.now();
            const r = spawnSync("/bin/sh", ["-c", c.command], { env: { ...process.env, ...environment }, encoding: "utf8", timeout: 60_000 });
            if (r.status !== 0) fail(`cosign sign ${reference} exited ${r.status}: ${r.stderr}`);
            console.log(`   signed ${reference} in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
        }
    }
}

function verify(outputsFile: string, pub: string, reference: string): never {
    const o: Outputs = JSON.parse(fs.readFileSync(outputsFile, "utf8"));
    const trustedRoot = path.join(path.dirname(path.resolve(outputsFile)), "empty-trusted-root.json");
    fs.writeFileSync(trustedRoot, EMPTY_TRUSTED_ROOT);
    const flags = cosignVerifyArgs(o.signing, o.registry, { trustedRoot });
    const args = ["verify", `--key=${pub}`, ...flags, reference];
    const r = spawnSync("cosign", args, { encoding: "utf8", timeout: 60_000 });
    const why = (r.stderr || "").split("\n").filter((l) => /^Error|verified against/i.test(l.trim())).slice(0, 2).join(" | ");
    console.log(`   cosign ${args.join(" ").split(path.dirname(trustedRoot) + "/").join("")} -> exit ${r.status}${why ? `: ${why.trim()}` : ""}`);
    process.exit(r.status ?? 1);
}

/** Step metadata without the bulk: urn, type, op and the new inputs (which show the digests). */
function slimMetadata(m: any): any {
    if (!m || typeof m !== "object") return m;
    const { old: _old, new: neu, ...rest } = m;
    return { ...rest, ...(neu ? { new: { urn: neu.urn, type: neu.type, inputs: neu.inputs } } : {}) };
}

function scrub(input: string, output: string, pairs: string[]): void {
    const kept: string[] = [];
    for (const line of fs.readFileSync(input, "utf8").split("\n")) {
        if (!line.startsWith("{")) continue;
        const e = JSON.parse(line);
        if (e.diagnosticEvent?.severity === "debug") continue;
        if (e.resourcePreEvent) e.resourcePreEvent.metadata = slimMetadata(e.resourcePreEvent.metadata);
        if (e.resOutputsEvent) {
            const m = slimMetadata(e.resOutputsEvent.metadata);
            if (m.new) delete m.new.inputs;
            e.resOutputsEvent.metadata = m;
        }
        kept.push(JSON.stringify(e));
    }
    let text = kept.join("\n") + "\n";
    for (const p of pairs) {
        const i = p.indexOf("=");
        const from = p.slice(0, i);
        if (from) text = text.split(from).join(p.slice(i + 1));
    }
    fs.writeFileSync(output, text);
}

const [cmd, ...rest] = process.argv.slice(2);
switch (cmd) {
    case "preview-digests":
        console.log(JSON.stringify(previewDigests(rest[0])));
        break;
    case "events-summary":
        eventsSummary(rest[0]);
        break;
    case "sign":
        sign(rest[0]);
        break;
    case "verify":
        verify(rest[0], rest[1], rest[2]);
        break;
    case "scrub":
        scrub(rest[0], rest[1], rest.slice(2));
        break;
    default:
        console.error("usage: e2e-tool preview-digests|events-summary|sign|verify|scrub ...");
        process.exit(2);
}
