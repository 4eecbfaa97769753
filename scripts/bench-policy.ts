// npm run bench:policy — every policy of the pack over 10,000 synthetic resources (model images,
// manifest bundles with InferenceService + ServingRuntime + Deployment, Applications, workloads,
// Helm charts, signature Commands, one Kyverno policy), with props wrapped the way the engine
// wraps them (policy/lib/harness.ts). Prints resources per second; the target is the
// whole set in under 1 s (median of 3 timed passes after a warm-up). Exits 1 if the target is missed or a synthetic resource fails a policy.
import * as fs from "fs";
import * as path from "path";
import { policies } from "../policy/policies";
import { HarnessResource, isStackPolicy, runPolicies } from "../policy/lib/harness";

const COUNT = Number(process.env.BENCH_RESOURCES ?? 10_000);
const TARGET_SECONDS = 1;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
/** policy/config/dev.json: each policy's settings (and enforcementLevel), keyed by policy name. */
const config = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "policy", "config", "dev.json"), "utf8")) as Record<string, Record<string, unknown>>;

const hex = (i: number) => i.toString(16).padStart(8, "0").repeat(8);
const sha = (i: number) => `sha256:${hex(i)}`;

function syntheticStack(count: number): HarnessResource[] {
    const out: HarnessResource[] = [
        {
            type: "kubernetes:policies.kyverno.io/v1:ImageValidatingPolicy",
            name: "model-signatures",
            props: {
                kind: "ImageValidatingPolicy",
                metadata: { name: "model-signatures" },
                spec: { validationActions: ["Deny"], matchImageReferences: [{ glob: "localhost:5000/bench/*" }], attestors: [{ name: "cosign" }] },
            },
        },
    ];
    for (let i = 0; out.length < count; i++) {
        const image = `localhost:5000/bench/model-${i}@${sha(i)}`;
        const pod = (img: string) => ({ containers: [{ name: "c", image: img }], initContainers: [{ name: "i", image: `busybox:1.37.0@${sha(1)}` }] });
        const batch: HarnessResource[] = [
            {
                type: "pulumi-nodejs:dynamic/modelship:OciArtifact",
                name: `model-${i}-image`,
                props: {
                    kind: "modelcar-image",
                    registry: "localhost:5000",
                    repository: `bench/model-${i}`,
                    reference: image,
                    digest: sha(i),
                    baseImage: `busybox:1.37.0@${sha(1)}`,
                    modelName: `model-${i}`,
                    signing: { enabled: true, transparencyLog: false, signatureFormat: "legacy" },
                },
            },
            {
                type: "pulumi-nodejs:dynamic/modelship:ImageSignature",
                name: `model-${i}-signature`,
                props: { reference: image, signer: "cosign", args: ["sign", "--key=env://K", image] },
            },
            {
                type: "pulumi-nodejs:dynamic/modelship:ImageAttestation",
                name: `model-${i}-attestation`,
                props: {
                    reference: image,
                    predicateType: "https://slsa.dev/provenance/v1",
                    predicate: {
                        buildDefinition: {
                            buildType: "https://modelship.dev/modelcar/v1",
                            externalParameters: { model: { version: "v1" } },
                            resolvedDependencies: [{ uri: `oci://busybox@${sha(1)}` }],
                        },
                        runDetails: { builder: { id: "https://modelship.dev/builder" } },
                    },
                },
            },
            {
                type: "pulumi-nodejs:dynamic/modelship:OciArtifact",
                name: `model-${i}-bundle`,
                props: {
                    kind: "manifest-bundle",
                    registry: "localhost:5000",
                    repository: `bench/model-${i}-manifests`,
                    digest: sha(i + 1),
                    reference: `localhost:5000/bench/model-${i}-manifests@${sha(i + 1)}`,
                    manifests: [
                        {
                            kind: "InferenceService",
                            metadata: {
                                name: `model-${i}`,
                                namespace: "models",
                                annotations: { "modelship.io/model-version": "v1", "modelship.io/model-digest": sha(i), "modelship.io/source-revision": "abc" },
                            },
                            spec: { predictor: { canaryTrafficPercent: 10, model: { modelFormat: { name: "sklearn" }, storageUri: `oci://${image}` } } },
                        },
                        { kind: "ServingRuntime", metadata: { name: `rt-${i}` }, spec: { containers: [{ name: "s", image: `docker.io/kserve/sklearnserver:v0.20.0@${sha(2)}` }] } },
                        { kind: "Deployment", metadata: { name: `side-${i}` }, spec: { template: { spec: pod(`localhost:5000/tools/side:1@${sha(3)}`) } } },
                    ],
                },
            },
            {
                type: "pulumi-nodejs:dynamic/modelship:ImageSignature",
                name: `model-${i}-bundle-signature`,
                props: { reference: `localhost:5000/bench/model-${i}-manifests@${sha(i + 1)}`, signer: "cosign", args: ["sign", "--key=env://K"] },
            },
            {
                type: "kubernetes:argoproj.io/v1alpha1:Application",
                name: `model-${i}-app`,
                props: {
                    kind: "Application",
                    metadata: { name: `model-${i}`, namespace: "argocd" },
                    spec: {
                        source: { repoURL: `oci://localhost:5000/bench/model-${i}-manifests`, targetRevision: sha(i + 1), path: "." },
                        syncPolicy: { automated: { prune: true, selfHeal: true } },
                    },
                },
            },
            {
                type: "kubernetes:apps/v1:Deployment",
                name: `web-${i}`,
                props: { kind: "Deployment", metadata: { name: `web-${i}` }, spec: { template: { spec: pod(`localhost:5000/web:2@${sha(4)}`) } } },
            },
            {
                type: "kubernetes:batch/v1:CronJob",
                name: `job-${i}`,
                props: { kind: "CronJob", metadata: { name: `job-${i}` }, spec: { jobTemplate: { spec: { template: { spec: pod(`localhost:5000/job:3@${sha(5)}`) } } } } },
            },
            { type: "kubernetes:helm.sh/v4:Chart", name: `chart-${i}`, props: { chart: "oci://ghcr.io/kserve/charts/kserve-crd", version: "v0.20.0" } },
            { type: "kubernetes:core/v1:ConfigMap", name: `cm-${i}`, props: { kind: "ConfigMap", metadata: { name: `cm-${i}` }, data: { a: "b" } } },
        ];
        out.push(...batch.slice(0, count - out.length));
    }
    return out;
}

async function runAll(stack: HarnessResource[]): Promise<{ seconds: number; violations: number }> {
    const started = process.hrtime.bigint();
    const runs = await runPolicies(policies, stack, config);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { seconds, violations: runs.reduce((n, run) => n + run.violations.length, 0) };
}

async function main() {
    const stack = syntheticStack(COUNT);
    // One warm-up pass over a small stack (JIT), then RUNS timed passes over the whole one; the
    // median is the figure (a shared CI machine is noisy).
    await runAll(syntheticStack(1_000));
    const runs: number[] = [];
    let violations = 0;
    for (let i = 0; i < RUNS; i++) {
        const r = await runAll(stack);
        runs.push(r.seconds);
        violations += r.violations;
    }
    runs.sort((a, b) => a - b);
    const median = runs[Math.floor(runs.length / 2)];
    const stackCount = policies.filter(isStackPolicy).length;
    console.log(
        `bench:policy: ${policies.length} policies (${policies.length - stackCount} resource, ${stackCount} stack) over ` +
            `${stack.length} resources: median ${median.toFixed(3)} s = ${Math.round(stack.length / median).toLocaleString("en-US")} resources/s ` +
            `(best ${runs[0].toFixed(3)} s of ${RUNS}; target: all in < ${TARGET_SECONDS} s)`,
    );
    if (violations > 0) {
        console.error(`bench:policy: ${violations} violations on the synthetic stack (it should be compliant)`);
        process.exit(1);
    }
    if (median >= TARGET_SECONDS) {
        console.error(`bench:policy: missed the target of ${TARGET_SECONDS} s`);
        process.exit(1);
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
