// Metrics-gated promotion against a real Prometheus (Debian's, on a free loopback port, scraping every
// second) that scrapes our synthetic exporter. Each scenario is its own stable/canary revision pair,
// so one warm-up serves them all. Each run works on a temp copy of Pulumi.dev.yaml and the dev policy
// config, and writes an evidence record.
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseDocument } from "yaml";
import { PromotionEvidence } from "../../components/promotion/evidence";
import { runPromotion } from "../../components/promotion/run";
import { MetricsExporter, startMetricsExporter, TrafficProfile } from "../support/metrics-exporter";
import { LocalPrometheus, PROMETHEUS_BINARY, startPrometheus } from "../support/prometheus";
import { freePort, requireTool } from "../support/registry";

const root = path.resolve(__dirname, "..", "..");
const healthy: TrafficProfile = { rps: 40, errorRate: 0.01, latencyMs: 50 };
/** Stable and canary profile per scenario; revision names as Knative numbers them. */
const scenarios: Record<string, { stable: TrafficProfile; canary: TrafficProfile }> = {
    healthy: { stable: healthy, canary: { rps: 40, errorRate: 0.01, latencyMs: 55 } },
    latency: { stable: healthy, canary: { rps: 40, errorRate: 0.01, latencyMs: 450 } },
    errors: { stable: healthy, canary: { rps: 40, errorRate: 0.2, latencyMs: 50 } },
    few: { stable: healthy, canary: { rps: 1, errorRate: 0, latencyMs: 50 } },
};
const revisionsOf = (scenario: string) => ({ stableRevision: `iris-${scenario}-00001`, canaryRevision: `iris-${scenario}-00002` });

const WINDOW = "15s";
const MIN_SAMPLES = 100;

describe("promotion against a real Prometheus (integration)", function () {
    this.timeout(90_000);
    let exporter: MetricsExporter | undefined;
    let prometheus: LocalPrometheus | undefined;
    let work: string;

    /** A project dir with Pulumi.dev.yaml (promotion section pointed at `url`) and policy/config/dev.json. */
    function project(url: string): string {
        const dir = fs.mkdtempSync(path.join(work, "project-"));
        const doc = parseDocument(fs.readFileSync(path.join(root, "Pulumi.dev.yaml"), "utf8"));
        doc.setIn(["config", "modelship:promotion"], doc.createNode({ prometheusUrl: url, window: WINDOW, minSamples: MIN_SAMPLES, queryTimeoutSeconds: 3 }));
        fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), doc.toString());
        fs.mkdirSync(path.join(dir, "policy", "config"), { recursive: true });
        fs.copyFileSync(path.join(root, "policy", "config", "dev.json"), path.join(dir, "policy", "config", "dev.json"));
        return dir;
    }
    const canaryOf = (dir: string) => parseDocument(fs.readFileSync(path.join(dir, "Pulumi.dev.yaml"), "utf8")).getIn(["config", "modelship:models", 0, "canary"]) as any;
    const evidenceOf = (file: string | undefined): PromotionEvidence => JSON.parse(fs.readFileSync(file!, "utf8"));
    const print = (lines: string[]) => console.log(lines.map((l) => `      ${l}`).join("\n"));

    before(async function () {
        requireTool(this, PROMETHEUS_BINARY);
        work = fs.mkdtempSync(path.join(os.tmpdir(), "modelship-promotion-"));
        const profiles: Record<string, TrafficProfile> = {};
        for (const [name, s] of Object.entries(scenarios)) {
            const r = revisionsOf(name);
            profiles[r.stableRevision] = s.stable;
            profiles[r.canaryRevision] = s.canary;
        }
        exporter = await startMetricsExporter(profiles);
        prometheus = await startPrometheus([exporter.target]);
        // Enough samples in the window for the busy revisions (bounded): 40 rps × a few seconds.
        await prometheus.waitFor(`sum(increase(revision_request_count{revision_name="iris-healthy-00002"}[${WINDOW}]))`, MIN_SAMPLES * 2, 30_000);
    });

    after(async () => {
        await prometheus?.stop();
        await exporter?.stop();
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    it("a healthy canary steps up from 10 % to the next allowed step (25 %), never further; the stack file keeps its comments", async () => {
        const dir = project(prometheus!.url);
        const before = fs.readFileSync(path.join(dir, "Pulumi.dev.yaml"), "utf8");
        const run = await runPromotion({ stack: "dev", model: "iris", projectDir: dir, ...revisionsOf("healthy") });
        print(run.lines);
        expect(run.decision.decision, run.lines.join("\n")).to.equal("step-up");
        expect(canaryOf(dir).toJSON()).to.deep.equal({ version: "v2", modelDir: "models/iris/v2", trafficPercent: 25 });
        const after = fs.readFileSync(path.join(dir, "Pulumi.dev.yaml"), "utf8");
        const changed = after.split("\n").filter((l, i) => l !== before.split("\n")[i]);
        expect(changed).to.deep.equal(["        trafficPercent: 25"]);
        const evidence = evidenceOf(run.evidencePath);
        expect(evidence).to.include({
            stack: "dev",
            model: "iris",
            decision: "step-up",
            prometheusUrl: prometheus!.url,
            window: WINDOW,
            minSamples: MIN_SAMPLES,
            stackFileChanged: true,
        });
        expect(evidence.from.canary?.trafficPercent).to.equal(10);
        expect(evidence.to.canary?.trafficPercent).to.equal(25);
        expect(evidence.queries).to.have.length(8);
        for (const q of evidence.queries) {
            expect(q.query).to.include(q.revision).and.include(`[${WINDOW}]`);
            expect(q.value, q.query).to.be.a("number");
        }
        expect(evidence.samples.stable).to.be.at.least(MIN_SAMPLES);
        expect(evidence.samples.canary).to.be.at.least(MIN_SAMPLES);
        expect(evidence.steps.allowedSteps).to.deep.equal([0, 1, 5, 10, 25, 50, 75, 99]);

        // The next run steps once more (25 → 50), from the file the previous one wrote.
        const again = await runPromotion({ stack: "dev", model: "iris", projectDir: dir, ...revisionsOf("healthy") });
        expect(again.decision.decision).to.equal("step-up");
        expect(canaryOf(dir).get("trafficPercent")).to.equal(50);
    });

    it("a latency regression rolls back to 0 %", async () => {
        const dir = project(prometheus!.url);
        const run = await runPromotion({ stack: "dev", model: "iris", projectDir: dir, ...revisionsOf("latency") });
        print(run.lines);
        expect(run.decision.decision, run.lines.join("\n")).to.equal("rollback");
        expect(run.decision.reasons.join("\n")).to.match(/p95 latency regressed: canary .* ratio .* > maxLatencyP95Ratio 1\.2/);
        expect(canaryOf(dir).get("trafficPercent")).to.equal(0);
        expect(evidenceOf(run.evidencePath)).to.include({ decision: "rollback", stackFileChanged: true });
    });

    it("an error-rate regression rolls back to 0 %", async () => {
        const dir = project(prometheus!.url);
        const run = await runPromotion({ stack: "dev", model: "iris", projectDir: dir, ...revisionsOf("errors") });
        print(run.lines);
        expect(run.decision.decision, run.lines.join("\n")).to.equal("rollback");
        expect(run.decision.reasons.join("\n")).to.match(/error rate regressed: canary [\d.]+ % vs stable [\d.]+ %, ratio [\d.]+ > maxErrorRateRatio 1\.5/);
        expect(run.decision.observed!.errorRate.canary).to.be.within(0.15, 0.25);
        expect(run.decision.reasons.join("\n")).not.to.match(/latency regressed/);
        expect(canaryOf(dir).get("trafficPercent")).to.equal(0);
        expect(evidenceOf(run.evidencePath).decision).to.equal("rollback");
    });

    it("too few samples holds and leaves the stack file as it was", async () => {
        const dir = project(prometheus!.url);
        const before = fs.readFileSync(path.join(dir, "Pulumi.dev.yaml"), "utf8");
        const run = await runPromotion({ stack: "dev", model: "iris", projectDir: dir, ...revisionsOf("few") });
        print(run.lines);
        expect(run.decision.decision).to.equal("hold");
        expect(run.decision.reasons).to.have.length(1);
        expect(run.decision.reasons[0]).to.match(/^canary served [\d.]+ requests in the window, fewer than minSamples 100: too few samples to decide$/);
        expect(fs.readFileSync(path.join(dir, "Pulumi.dev.yaml"), "utf8")).to.equal(before);
        expect(evidenceOf(run.evidencePath)).to.include({ decision: "hold", stackFileChanged: false });
    });

    it("Prometheus down holds, naming the URL and the query", async () => {
        const downUrl = `http://127.0.0.1:${await freePort()}`;
        const dir = project(downUrl);
        const before = fs.readFileSync(path.join(dir, "Pulumi.dev.yaml"), "utf8");
        const run = await runPromotion({ stack: "dev", model: "iris", projectDir: dir, ...revisionsOf("healthy") });
        print(run.lines);
        expect(run.decision.decision).to.equal("hold");
        expect(run.decision.reasons).to.have.length(8);
        expect(run.decision.reasons[0]).to.equal(
            `no decision without every metric: stable requests: Prometheus at ${downUrl}: query \`sum(increase(revision_request_count{revision_name="iris-healthy-00001"}[${WINDOW}]))\` failed: ECONNREFUSED (connect ECONNREFUSED ${downUrl.slice(7)}) (is Prometheus running and reachable?)`,
        );
        expect(fs.readFileSync(path.join(dir, "Pulumi.dev.yaml"), "utf8")).to.equal(before);
        const evidence = evidenceOf(run.evidencePath);
        expect(evidence.decision).to.equal("hold");
        expect(evidence.queries.every((q) => q.error !== undefined && q.value === undefined)).to.equal(true);
    });

    it("the CLI: npm run promote decides, exits 0 and prints the decision; --dry-run writes nothing; bad usage exits 2", async () => {
        const dir = project(prometheus!.url);
        const cli = (args: string[]) =>
            spawnSync(process.execPath, [require.resolve("ts-node/dist/bin.js"), "--transpile-only", path.join(root, "scripts", "promote.ts"), ...args], {
                cwd: root,
                encoding: "utf8",
                timeout: 60_000,
            });
        const revisions = ["--stable-revision", "iris-healthy-00001", "--canary-revision", "iris-healthy-00002"];
        const before = fs.readFileSync(path.join(dir, "Pulumi.dev.yaml"), "utf8");
        const dry = cli(["--stack", "dev", "--model", "iris", "--project-dir", dir, "--dry-run", ...revisions]);
        expect(dry.status, dry.stderr).to.equal(0);
        expect(dry.stdout).to.match(/^decision: step-up .*\n[\s\S]*^dry run: no file written$/m);
        expect(fs.readFileSync(path.join(dir, "Pulumi.dev.yaml"), "utf8")).to.equal(before);
        expect(fs.existsSync(path.join(dir, "reports"))).to.equal(false);

        const r = cli(["--stack", "dev", "--model", "iris", "--project-dir", dir, ...revisions]);
        print(r.stdout.trimEnd().split("\n"));
        expect(r.status, r.stderr).to.equal(0);
        expect(r.stdout).to.match(/^decision: step-up \(v1 \+ canary v2 at 10 % → v1 \+ canary v2 at 25 %\)$/m);
        expect(fs.readdirSync(path.join(dir, "reports", "dev", "promotions"))).to.have.length(1);

        const unknown = cli(["--stack", "dev", "--model", "nope", "--project-dir", dir]);
        expect(unknown.status).to.equal(2);
        expect(unknown.stderr).to.include('Pulumi.dev.yaml has no model "nope" in modelship:models (models: iris): pass --model with one of them');
        const usage = cli(["--stack", "dev"]);
        expect(usage.status).to.equal(2);
        expect(usage.stderr).to.include("--model is required");
    });
});
