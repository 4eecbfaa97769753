// What a test needs from the machine but does not make itself (a tool, a file in the Go module
// cache). On a developer machine a missing one skips the test and says what is missing and how to
// get it; under CI=true it fails the test: .ci/run must provide everything the tests use.

import { KUBERNETES_VERSION } from "../../scripts/lib/control-plane";
import { K8S_PROVIDER_MODULE, k8sModuleVersion, LEGACY_LANG_VERSION, PULUMI_PKG, PULUMI_SDK } from "../../scripts/lib/toolchain";

export function requireInput(ctx: Mocha.Context, missing: string, fix: string): never {
    const message = `${missing} (${fix})`;
    if (process.env.CI === "true") throw new Error(`${message}: required under CI`);
    console.warn(`skipping: ${message}`);
    ctx.skip();
}

/** The Go modules whose files the script tests read as real inputs; .ci/run downloads them first. */
export const SCRIPT_TEST_MODULES = [
    // The CLI version is @pulumi/pulumi's in package-lock.json; no constant holds it.
    `${PULUMI_PKG}@v3.248.0`,
    `${PULUMI_SDK}@${LEGACY_LANG_VERSION}`,
    // @pulumi/kubernetes 4.25.0, as package.json pins it.
    `${K8S_PROVIDER_MODULE}@${k8sModuleVersion("4.25.0")}`,
    `k8s.io/kubernetes@${KUBERNETES_VERSION}`,
];

/** How to get a module's files into the Go module cache. */
export const GO_MODULE_FIX = `go mod download ${SCRIPT_TEST_MODULES.join(" ")}, as .ci/run does`;
