// Shared assertions for the policy tests: run one policy over a stack with the dev config, the
// way the engine would, and check the exact outcome.
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { HarnessResource, HarnessViolation, PolicyRun, runPolicies } from "../../policy/lib/harness";
import { baselineStack } from "./fixtures/baseline";

type AnyPolicy = ResourceValidationPolicy | StackValidationPolicy;

export function stackConfig(stack: "dev" | "prod"): Record<string, Record<string, any>> {
    const file = path.join(__dirname, "..", "..", "policy", "config", `${stack}.json`);
    return JSON.parse(fs.readFileSync(file, "utf8"));
}

export const devConfig = stackConfig("dev");

export async function runOne(
    policy: AnyPolicy,
    stack: HarnessResource[] = baselineStack(),
    config: Record<string, any> | undefined = devConfig[policy.name],
): Promise<{ runs: PolicyRun[]; violations: HarnessViolation[] }> {
    const runs = await runPolicies([policy], stack, config ? { [policy.name]: config } : {});
    return { runs, violations: runs.flatMap((r) => r.violations) };
}

export async function expectPasses(policy: AnyPolicy, stack?: HarnessResource[], config?: Record<string, any>): Promise<PolicyRun[]> {
    const { runs, violations } = await runOne(policy, stack, config ?? devConfig[policy.name]);
    expect(violations.map((v) => v.message)).to.deep.equal([]);
    expect(runs.flatMap((r) => r.unknownReads)).to.deep.equal([]);
    return runs;
}

/** Exactly one violation, whose message contains every fragment; returns it. */
export async function expectOneViolation(policy: AnyPolicy, stack: HarnessResource[], fragments: string[], config?: Record<string, any>): Promise<HarnessViolation> {
    const { violations } = await runOne(policy, stack, config ?? devConfig[policy.name]);
    expect(
        violations.map((v) => v.message),
        "violations",
    ).to.have.lengthOf(1);
    for (const fragment of fragments) {
        expect(violations[0].message).to.contain(fragment);
    }
    expect(violations[0].engineMessage.startsWith(policy.description + "\n")).to.equal(true);
    return violations[0];
}
