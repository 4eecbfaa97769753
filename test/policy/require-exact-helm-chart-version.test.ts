import { expect } from "chai";
import { EXACT_CHART_VERSION, requireExactHelmChartVersion as policy } from "../../policy/require-exact-helm-chart-version";
import { mutate } from "./fixtures/baseline";
import { expectOneViolation, expectPasses } from "./helpers";

describe("require-exact-helm-chart-version", () => {
    it("passes on the baseline (v4 Chart with oci:// and v-prefixed version, v3 Release)", async () => {
        await expectPasses(policy);
    });

    it("fails a v4 Chart with no version, naming the chart", async () => {
        const stack = mutate("kyverno", (p) => delete p.version);
        await expectOneViolation(policy, stack, ['Helm chart kyverno ("kyverno") has no version']);
    });

    for (const range of ["^3.9.0", "~3.9", ">=3.0.0", "3.x", "*", "3.9.0 || 3.10.0", "3.9"]) {
        it(`fails a v3 Release with version "${range}"`, async () => {
            const stack = mutate("argocd", (p) => (p.version = range));
            await expectOneViolation(policy, stack, [`Helm chart argocd ("argo-cd") has version "${range}", which is not one exact version`]);
        });
    }

    it("accepts pre-release and build metadata, and local charts unless allowLocalCharts is off", async () => {
        expect(EXACT_CHART_VERSION.test("1.2.3-rc.1+build.5")).to.equal(true);
        const local = mutate("kyverno", (p) => {
            p.chart = "./charts/kyverno";
            delete p.version;
        });
        await expectPasses(policy, local);
        await expectOneViolation(policy, local, ["has no version"], { allowLocalCharts: false });
    });
});
