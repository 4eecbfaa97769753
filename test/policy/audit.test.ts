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
