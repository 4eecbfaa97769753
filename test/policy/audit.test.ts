// scripts/audit.ts end to end, without the Pulumi CLI: it renders saved event streams, exits by
// the mandatory results, and says clearly when `pulumi` is missing.
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const root = path.join(__dirname, "..", "..");
const fixture = (name: string) => path.join(root, "test", "fixtures", "engine-events", name);

function audit(args: string[], env: NodeJS.ProcessEnv = process.env) {
    return spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/audit.ts", ...args], {
        cwd: root,
        env,
        encoding: "utf8",
    });
}

describe("npm run audit (scripts/audit.ts)", function () {
    this.timeout(60_000);
    let out: string;
    beforeEach(() => (out = fs.mkdtempSync(path.join(os.tmpdir(), "modelship-audit-"))));
    afterEach(() => fs.rmSync(out, { recursive: true, force: true }));

    it("exits 1 and writes md, json and sarif when a mandatory policy failed", () => {
        const r = audit(["--stack", "dev", "--events", fixture("documented-violations.jsonl"), "--out", out]);
        expect(r.status, r.stderr).to.equal(1);
        expect(r.stderr).to.contain("2 mandatory");
        expect(fs.readdirSync(out).sort()).to.deep.equal(["policy-report.json", "policy-report.md", "policy-report.sarif"]);
        const json = JSON.parse(fs.readFileSync(path.join(out, "policy-report.json"), "utf8"));
        expect(json).to.include({ stack: "dev", compliant: false });
        expect(json.gitRevision).to.match(/^[0-9a-f]{40}/);
        expect(json.pack.version).to.equal(JSON.parse(fs.readFileSync(path.join(root, "policy", "package.json"), "utf8")).version);
    });

    it("exits 0 on a compliant stream", () => {
        const r = audit(["--stack", "dev", "--events", fixture("documented-compliant.jsonl"), "--out", out]);
        expect(r.status, r.stderr).to.equal(0);
    });

    it("includes the promotion evidence records of <out>/promotions/ as the Promotions section", () => {
        fs.mkdirSync(path.join(out, "promotions"));
        const record = {
            evidenceVersion: 1,
            timestamp: "2026-12-03T10:00:00.000Z",
            stack: "dev",
            model: "iris",
            decision: "rollback",
            from: { version: "v1", modelDir: "models/iris/v1", canary: { version: "v2", modelDir: "models/iris/v2", trafficPercent: 10 } },
            to: { version: "v1", modelDir: "models/iris/v1", canary: { version: "v2", modelDir: "models/iris/v2", trafficPercent: 0 } },
            reasons: ["p95 latency regressed: canary 447.5 vs stable 59, ratio 7.5847 > maxLatencyP95Ratio 1.2"],
            prometheusUrl: "http://127.0.0.1:9090",
            window: "10m",
            minSamples: 100,
            samples: { stable: 500, canary: 480 },
            thresholds: { maxErrorRateRatio: 1.5, errorRateFloor: 0.001, maxLatencyP95Ratio: 1.2, maxLatencyP99Ratio: 1.3 },
            steps: { allowedSteps: [0, 5, 10], maxTrafficPercent: 10, source: "policy/config/dev.json limit-canary-traffic" },
            revisions: { stable: null, canary: null },
            queries: [],
            stackFile: "Pulumi.dev.yaml",
            stackFileChanged: true,
            dryRun: false,
        };
        fs.writeFileSync(path.join(out, "promotions", "2026-12-03T10-00-00-000Z-iris.json"), JSON.stringify(record));
        fs.writeFileSync(path.join(out, "promotions", "notes.json"), "{}");
        const r = audit(["--stack", "dev", "--events", fixture("documented-compliant.jsonl"), "--out", out]);
        expect(r.status, r.stderr).to.equal(0);
        expect(r.stderr).to.match(/promotions\/notes\.json is not a promotion evidence record; skipped/);
        const md = fs.readFileSync(path.join(out, "policy-report.md"), "utf8");
        expect(md).to.include("## Promotions");
        expect(md).to.include("| 2026-12-03T10:00:00.000Z | `iris` | **rollback** | v1 + v2 at 10 % | v1 + v2 at 0 % | 500 / 480 (min 100) | yes |");
        expect(JSON.parse(fs.readFileSync(path.join(out, "policy-report.json"), "utf8")).promotions).to.deep.equal([record]);
    });

    it("exits 2 with a clear message when the pulumi CLI is missing", () => {
        const bin = fs.mkdtempSync(path.join(os.tmpdir(), "modelship-nopulumi-"));
        fs.symlinkSync(process.execPath, path.join(bin, "node"));
        const r = audit(["--stack", "dev", "--out", out], { ...process.env, PATH: bin });
        fs.rmSync(bin, { recursive: true, force: true });
        expect(r.status).to.equal(2);
        expect(r.stderr).to.contain("the Pulumi CLI (`pulumi`) is not on PATH");
    });

    it("rejects a missing --stack and an unknown stack config", () => {
        expect(audit([]).stderr).to.contain("--stack is required");
        const r = audit(["--stack", "nosuchstack", "--out", out]);
        expect(r.status).to.equal(2);
        expect(r.stderr).to.contain("no policy config at policy/config/nosuchstack.json");
    });
});
