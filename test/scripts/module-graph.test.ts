import { expect } from "chai";
import { markdown, unitEdges, unitOf } from "../../scripts/module-graph";

describe("scripts/module-graph", () => {
    it("folds files into the units the architecture page names", () => {
        expect(unitOf("components/oci/transport.ts")).to.equal("components/oci");
        expect(unitOf("components/stack.ts")).to.equal("components/stack.ts");
        expect(unitOf("policy/lib/kubernetes.ts")).to.equal("policy/lib");
        expect(unitOf("policy/report/supply-chain.ts")).to.equal("policy/report");
        expect(unitOf("policy/limit-canary-traffic.ts")).to.equal("policy (rules)");
        expect(unitOf("index.ts")).to.equal("index.ts");
        expect(unitOf("test/support/registry.ts")).to.equal("test");
        expect(unitOf("node_modules/zod/index.js")).to.equal(undefined);
    });

    it("counts imports between units, drops those inside a unit and to packages, and marks rule breaks", () => {
        const local = ["local", "import"];
        const edges = unitEdges([
            {
                source: "components/platform/kyverno.ts",
                dependencies: [
                    {
                        resolved: "components/release/signing.ts",
                        coreModule: false,
                        couldNotResolve: false,
                        dependencyTypes: local,
                        valid: false,
                        rules: [{ name: "platform-not-release" }],
                    },
                    { resolved: "components/platform/charts.ts", coreModule: false, couldNotResolve: false, dependencyTypes: local, valid: true },
                    { resolved: "fs", coreModule: true, couldNotResolve: false, dependencyTypes: ["core"], valid: true },
                    { resolved: "node_modules/zod/index.js", coreModule: false, couldNotResolve: false, dependencyTypes: ["npm"], valid: true },
                ],
            },
            {
                source: "components/platform/argocd.ts",
                dependencies: [{ resolved: "components/config/schema.ts", coreModule: false, couldNotResolve: false, dependencyTypes: local, valid: true }],
            },
            {
                source: "components/platform/kserve.ts",
                dependencies: [{ resolved: "components/config/schema.ts", coreModule: false, couldNotResolve: false, dependencyTypes: local, valid: true }],
            },
        ]);
        expect(edges).to.deep.equal([
            { from: "components/platform", to: "components/config", imports: 2, breaks: [] },
            { from: "components/platform", to: "components/release", imports: 1, breaks: ["platform-not-release"] },
        ]);
        const md = markdown(edges, "probe");
        expect(md).to.contain("3 file imports on 2 edges, 1 against today's layer rules");
        expect(md).to.contain("| components/platform | components/release | 1 | platform-not-release |");
        expect(md).to.match(/u\d+ -\. 1 \.-> u\d+/); // the breaking edge is dotted
        expect(md).to.match(/u\d+ -- 2 --> u\d+/);
    });
});
