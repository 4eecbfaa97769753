// The pack as a whole: metadata every policy must carry, the per-stack config files, the baseline
// passing every policy at once, and the harness staying faithful to @pulumi/policy's own proxy.
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { policies } from "../../policy/policies";
import { UNKNOWN, UNKNOWN_SENTINELS, UnknownValueRead, runPolicies, unknownCheckingProps } from "../../policy/lib/harness";
import { baselineStack } from "./fixtures/baseline";
import { stackConfig } from "./helpers";

const root = path.join(__dirname, "..", "..");
const policyDir = path.join(root, "policy");

describe("policy pack", () => {
    it("has one file per policy, named after it, with description (what, why, fix), severity, level and a schema with defaults", () => {
        const names = policies.map((p) => p.name);
        expect(new Set(names).size).to.equal(names.length);
        for (const p of policies) {
            expect(fs.existsSync(path.join(policyDir, `${p.name}.ts`)), `${p.name}.ts`).to.equal(true);
            expect(p.name).to.match(/^(require|disallow|limit|restrict)-[a-z0-9-]+$/);
            expect(p.description).to.match(/^.+ Why: .+ Fix: .+$/s);
            expect(p.severity, p.name).to.be.oneOf(["low", "medium", "high", "critical"]);
            expect(p.enforcementLevel, p.name).to.be.oneOf(["advisory", "mandatory"]);
            expect(p.configSchema, p.name).to.not.equal(undefined);
            for (const [key, schema] of Object.entries(p.configSchema!.properties)) {
                expect(key).to.not.equal("enforcementLevel");
                expect((schema as any).default, `${p.name}.${key} default`).to.not.equal(undefined);
            }
        }
    });

    it("makes pinning and supply-chain rules mandatory and provenance and automated sync advisory by default", () => {
        const level = Object.fromEntries(policies.map((p) => [p.name, p.enforcementLevel]));
        expect(level).to.deep.equal({
            "require-digest-pinned-storage-uri": "mandatory",
            "require-digest-pinned-argocd-source": "mandatory",
            "require-digest-pinned-images": "mandatory",
            "disallow-mutable-image-tags": "mandatory",
            "require-exact-helm-chart-version": "mandatory",
            "require-kyverno-signature-policy": "mandatory",
            "require-model-signing-enabled": "advisory",
            "require-model-signature": "mandatory",
            "require-provenance-annotations": "advisory",
            "require-provenance-attestation": "mandatory",
            "limit-canary-traffic": "mandatory",
            "restrict-image-registries": "mandatory",
            "require-argocd-automated-sync": "advisory",
            "require-bundle-signature": "mandatory",
        });
    });

    for (const stack of ["dev", "prod"] as const) {
        it(`policy/config/${stack}.json names every policy, only known settings, each of the schema's type`, () => {
            const config = stackConfig(stack);
            expect(Object.keys(config).sort()).to.deep.equal(policies.map((p) => p.name).sort());
            for (const p of policies) {
                const { enforcementLevel, ...settings } = config[p.name];
                expect(enforcementLevel, p.name).to.be.oneOf(["advisory", "mandatory", "disabled"]);
                for (const [key, value] of Object.entries(settings)) {
                    const schema = p.configSchema!.properties[key] as any;
                    expect(schema, `${stack}: ${p.name}.${key}`).to.not.equal(undefined);
                    const type = Array.isArray(value) ? "array" : Number.isInteger(value) ? "integer" : typeof value;
                    expect(type, `${stack}: ${p.name}.${key}`).to.equal(schema.type);
                }
            }
        });
    }

    it("the baseline passes every policy at once under the dev config", async () => {
        const runs = await runPolicies(policies, baselineStack(), stackConfig("dev"));
        expect(runs.flatMap((r) => r.violations.map((v) => `${r.policy}: ${v.message}`))).to.deep.equal([]);
        expect(runs.filter((r) => r.notApplicable !== undefined)).to.deep.equal([]);
    });

    it("has PulumiPolicy.yaml (nodejs) and a package.json whose version is the pack version, resolving @pulumi/policy from the repo root", () => {
        expect(fs.readFileSync(path.join(policyDir, "PulumiPolicy.yaml"), "utf8")).to.match(/^runtime: nodejs$/m);
        const pkg = JSON.parse(fs.readFileSync(path.join(policyDir, "package.json"), "utf8"));
        expect(pkg.name).to.equal("modelship-policies");
        expect(pkg.version).to.match(/^\d+\.\d+\.\d+$/);
        expect(pkg.main).to.equal("index.ts");
        expect(pkg.dependencies ?? {}).to.deep.equal({});
        expect(fs.existsSync(path.join(policyDir, "node_modules"))).to.equal(false);
        // The policy runner type-checks with policy/tsconfig.json's compilerOptions alone; @pulumi/policy 1.21 needs skipLibCheck.
        const tsconfig = JSON.parse(fs.readFileSync(path.join(policyDir, "tsconfig.json"), "utf8"));
        expect(tsconfig.compilerOptions).to.include({ skipLibCheck: true, strict: true, module: "commonjs" });
        const resolved = require.resolve("@pulumi/policy", { paths: [policyDir] });
        expect(resolved).to.equal(path.join(root, "node_modules", "@pulumi", "policy", "index.js"));
    });

    it("constructs the PolicyPack only in policy/index.ts, never in tests or helpers", () => {
        const offenders: string[] = [];
        const walk = (dir: string) => {
            for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
                const file = path.join(dir, entry.name);
                if (entry.isDirectory()) walk(file);
                else if (file.endsWith(".ts") && /new\s+PolicyPack\s*\(/.test(fs.readFileSync(file, "utf8"))) offenders.push(path.relative(root, file));
            }
        };
        walk(policyDir);
        walk(path.join(root, "test", "policy"));
        walk(path.join(root, "test", "support"));
        expect(offenders).to.deep.equal(["policy/index.ts"]);
    });
});

describe("policy harness fidelity", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- proxy.d.ts declares nothing; the sentinels exist at runtime only
    const engineProxy = require("@pulumi/policy/proxy");

    it("uses the engine's unknown sentinels", () => {
        expect(UNKNOWN_SENTINELS).to.deep.equal({
            boolean: engineProxy.unknownBooleanValue,
            number: engineProxy.unknownNumberValue,
            string: engineProxy.unknownStringValue,
            array: engineProxy.unknownArrayValue,
            asset: engineProxy.unknownAssetValue,
            archive: engineProxy.unknownArchiveValue,
            object: engineProxy.unknownObjectValue,
        });
    });

    it("throws on the same reads as the engine's unknownCheckingProxy, and records the path", () => {
        const props = { spec: { source: { repoURL: "oci://x/y", targetRevision: UNKNOWN } }, list: [1, UNKNOWN] };
        const reads: string[] = [];
        const ours = unknownCheckingProps(structuredClone(props), reads);
        const theirs = engineProxy.unknownCheckingProxy(structuredClone(props));
        expect(ours.spec.source.repoURL).to.equal(theirs.spec.source.repoURL);
        expect(ours.list[0]).to.equal(theirs.list[0]);
        expect(() => theirs.spec.source.targetRevision).to.throw(engineProxy.UnknownValueError);
        expect(() => ours.spec.source.targetRevision).to.throw(UnknownValueRead);
        expect(() => theirs.list[1]).to.throw(engineProxy.UnknownValueError);
        expect(() => ours.list[1]).to.throw(UnknownValueRead);
        // Iterating an array that holds an unknown reaches it, in both.
        expect(() => theirs.list.filter(() => true)).to.throw(engineProxy.UnknownValueError);
        expect(() => ours.list.filter(() => true)).to.throw(UnknownValueRead);
        expect(reads).to.deep.equal(["spec.source.targetRevision", "list.1", "list.1"]);
        expect(Array.isArray(ours.list)).to.equal(true);
    });
});
