// What a test needs from the machine but does not make itself (a tool, a file in the Go module
// cache). On a developer machine a missing one skips the test and says what is missing and how to
// get it; under CI=true it fails the test: .ci/run must provide everything the tests use.

export function requireInput(ctx: Mocha.Context, missing: string, fix: string): void {
    const message = `${missing} (${fix})`;
    if (process.env.CI === "true") throw new Error(`${message}: required under CI`);
    console.warn(`skipping: ${message}`);
    ctx.skip();
}

/** The Go modules whose files the script tests read as real inputs; .ci/run downloads them first. */
export const SCRIPT_TEST_MODULES = [
    "github.com/pulumi/pulumi/pkg/v3@v3.248.0",
    "github.com/pulumi/pulumi/sdk/v3@v3.68.0",
    "github.com/pulumi/pulumi-kubernetes/provider/v4@v4.0.0-20260115033456-f47bc2d6f199",
    "k8s.io/kubernetes@v1.36.3",
];

/** How to get a module's files into the Go module cache. */
export const GO_MODULE_FIX = `go mod download ${SCRIPT_TEST_MODULES.join(" ")}, as .ci/run does`;
