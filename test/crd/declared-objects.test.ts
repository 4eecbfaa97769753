// Every custom object modelship declares or bundles, validated against the upstream CRDs
// (../shared/upstream/crds): the whole program (declareModelship) under Pulumi mocks, for the dev and
// prod stack files, both KServe deployment modes, canary on and off. Objects come from two places:
// custom resources the program declares (Argo CD Application, Kyverno ImageValidatingPolicy) and the
// objects inside each manifest bundle (the InferenceService Argo CD applies).
//
// Out of scope here: Helm charts and remote YAML (under mocks a helm.v4.Chart or yaml.v2.ConfigFile
// is one resource with no children), and core kinds (Secret, Namespace, ConfigMap patches: not
// CRDs; the e2e's real API server checks them).
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { recorder, unwrap } from "../support/pulumi-mocks";
import { formatProblems, splitApiVersion, upstreamCrdValidator, CrdValidator } from "../support/crd-validator";
import { declareModelship } from "../../components/release";
import { validateStackConfig } from "../../components/config/validate";
import type { DeploymentMode, StackConfig } from "../../components/config/schema";
import { stackFileConfig, testPublicKeyPem } from "../config/fixtures";
import { fakeComposeModelImage, installReleaseMocks, OCI_ARTIFACT, projectDir, reveal } from "../release/support";

/**
 * Custom kinds with no CRD in ../shared/upstream/crds, each with the reason it may go unchecked
 * (only kinds whose CRD comes from a chart that is not in shared/). Any other kind without a CRD fails.
 */
const KINDS_WITHOUT_UPSTREAM_CRD: Record<string, string> = {};

/** Every resource type token the Kubernetes SDK defines (built-in kinds, charts, YAML); anything else `kubernetes:` is a custom resource. */
function builtInKubernetesTypes(): Set<string> {
    const types = new Set<string>();
    const visit = (module: Record<string, unknown>, depth: number) => {
        for (const key of Object.keys(module)) {
            const value = module[key];
            if (typeof value === "function" && typeof (value as { __pulumiType?: unknown }).__pulumiType === "string") {
                types.add((value as unknown as { __pulumiType: string }).__pulumiType);
            } else if (value && typeof value === "object" && depth < 3) {
                visit(value as Record<string, unknown>, depth + 1);
            }
        }
    };
    visit(k8s as unknown as Record<string, unknown>, 0);
    return types;
}

/** The Pulumi type token of a Kubernetes object (`kubernetes:core/v1:Secret`, `kubernetes:argoproj.io/v1alpha1:Application`). */
function typeTokenOf(o: Record<string, any>): string {
    const { group, version } = splitApiVersion(String(o.apiVersion));
    return `kubernetes:${group || "core"}/${version}:${o.kind}`;
}

interface CollectedObject {
    /** Where it came from: `<resource name>` or `<bundle push name> manifests[i]`. */
    source: string;
    object: Record<string, any>;
}

interface Collected {
    /** Custom objects, by `Kind.group`. */
    custom: Map<string, CollectedObject[]>;
    /** Built-in kinds seen (skipped), by type token. */
    builtIn: Map<string, number>;
}

/** Sorts what the recorder holds into custom objects (declared or bundled) and built-in kinds. */
function collectObjects(builtInTypes: Set<string>): Collected {
    const custom = new Map<string, CollectedObject[]>();
    const builtIn = new Map<string, number>();
    const add = (source: string, object: Record<string, any>) => {
        const token = typeTokenOf(object);
        if (builtInTypes.has(token)) {
            builtIn.set(token, (builtIn.get(token) ?? 0) + 1);
            return;
        }
        const key = `${object.kind}.${splitApiVersion(object.apiVersion).group}`;
        custom.set(key, [...(custom.get(key) ?? []), { source, object }]);
    };
    for (const r of recorder.resources) {
        if (r.type === OCI_ARTIFACT && r.inputs.kind === "manifest-bundle") {
            const manifests = reveal(r.inputs.manifests) as Record<string, any>[];
            expect(manifests, `${r.name} manifests`).to.be.an("array").that.is.not.empty;
            manifests.forEach((m, i) => add(`${r.name} manifests[${i}]`, m));
        } else if (r.type.startsWith("kubernetes:") && r.custom && !builtInTypes.has(r.type)) {
            const object = reveal(r.inputs) as Record<string, any>;
            expect(typeTokenOf(object), `${r.name}: its type token and its apiVersion/kind agree`).to.equal(r.type);
            add(r.name, object);
        } else if (builtInTypes.has(r.type)) {
            builtIn.set(r.type, (builtIn.get(r.type) ?? 0) + 1);
        }
    }
    return { custom, builtIn };
}

/** Pulumi.<stack>.yaml with one KServe mode and the canaries on or off, validated as the program would. */
function caseConfig(stack: "dev" | "prod", mode: DeploymentMode, canary: boolean): StackConfig {
    const raw = structuredClone(stackFileConfig(stack));
    if (typeof raw.signing?.publicKey === "string" && !raw.signing.publicKey.includes("-----BEGIN")) raw.signing.publicKey = testPublicKeyPem;
    raw.platform.kserve = { ...raw.platform.kserve, deploymentMode: mode };
    expect(raw.models.filter((m: { canary?: unknown }) => m.canary), `Pulumi.${stack}.yaml has a canary to turn off`).not.to.be.empty;
    if (!canary) for (const m of raw.models) delete m.canary;
    const secrets = { registryPassword: !!raw.registry.username, signingKeyPassword: !!raw.signing.key && !/^[a-z0-9]+:\/\//.test(raw.signing.key) };
    const result = validateStackConfig(raw, secrets);
    if (!result.ok) throw new Error(`Pulumi.${stack}.yaml (${mode}, canary ${canary ? "on" : "off"}) is invalid: ${JSON.stringify(result.problems)}`);
    return result.config;
}

async function declareWholeProgram(config: StackConfig): Promise<void> {
    recorder.reset();
    const stack = declareModelship(
        {
            config,
            secrets: {
                ...(config.registry.username ? { registryPassword: pulumi.secret("robot-token") } : {}),
                signingKeyPassword: pulumi.secret("key-password"),
            },
        },
        { projectDir, composeModelImage: fakeComposeModelImage },
    );
    await unwrap(stack.models);
    const policy = stack.platform.resources.signaturePolicy?.policy;
    await Promise.all([
        ...Object.values(stack.releases).flatMap((r) => [unwrap(r.application.urn), unwrap(r.bundle.push.urn)]),
        ...(policy ? [unwrap(policy.urn)] : []),
    ]);
}

const cases = (["dev", "prod"] as const).flatMap((stack) =>
    (["Knative", "Standard"] as const).flatMap((mode) => [true, false].map((canary) => ({ stack, mode, canary }))),
);

describe("crd/declared-objects: every custom object modelship declares or bundles matches its upstream CRD", function () {
    this.timeout(120000);
    let crds: CrdValidator;
    let builtInTypes: Set<string>;
    before(() => {
        installReleaseMocks();
        crds = upstreamCrdValidator(projectDir);
        builtInTypes = builtInKubernetesTypes();
    });

    for (const { stack, mode, canary } of cases) {
        it(`${stack}, ${mode} mode, canary ${canary ? "on" : "off"}: InferenceService, Application and ImageValidatingPolicy are valid`, async () => {
            const config = caseConfig(stack, mode, canary);
            await declareWholeProgram(config);
            const { custom } = collectObjects(builtInTypes);

            // What this case must have found: one InferenceService (bundled) and one Application per
            // model, one signature policy (both stack files sign and keep the policy on).
            expect(config.models.length).to.be.greaterThan(0);
            expect(config.signing.enabled && config.platform.kyverno.signaturePolicy).to.equal(true);
            const counts = Object.fromEntries([...custom].map(([kind, objects]) => [kind, objects.length]));
            expect(counts).to.deep.equal({
                "InferenceService.serving.kserve.io": config.models.length,
                "Application.argoproj.io": config.models.length,
                "ImageValidatingPolicy.policies.kyverno.io": 1,
            });

            // The case renders what it says: the canary is in the InferenceService, in this mode's form.
            for (const { object } of custom.get("InferenceService.serving.kserve.io")!) {
                expect(object.metadata.annotations["serving.kserve.io/deploymentMode"]).to.equal(mode);
                const hasCanary = mode === "Knative" ? object.spec.predictor.canaryTrafficPercent !== undefined : Array.isArray(object.spec.canary);
                expect(hasCanary, "canary rendered").to.equal(canary);
            }

            const problems: string[] = [];
            for (const [kind, objects] of custom) {
                const { apiVersion } = objects[0].object;
                if (!crds.crdFor(apiVersion, objects[0].object.kind)) {
                    if (!KINDS_WITHOUT_UPSTREAM_CRD[kind]) problems.push(`${kind}: no CRD in the upstream directory, and not listed in KINDS_WITHOUT_UPSTREAM_CRD with a reason`);
                    continue;
                }
                for (const { source, object } of objects) {
                    const found = crds.validate(object);
                    if (found.length > 0) problems.push(`${source}:\n${formatProblems(found)}`);
                }
            }
            expect(problems.join("\n"), "objects that the API server would reject or prune").to.equal("");
        });
    }

    it("core kinds are recognised and skipped (Secrets, Namespace patches), not mistaken for custom resources", async () => {
        await declareWholeProgram(caseConfig("prod", "Standard", true));
        const { custom, builtIn } = collectObjects(builtInTypes);
        expect(builtIn.get("kubernetes:core/v1:Secret")).to.be.greaterThan(0);
        expect(builtIn.get("kubernetes:core/v1:NamespacePatch")).to.equal(1);
        expect(builtIn.get("kubernetes:helm.sh/v4:Chart")).to.be.greaterThan(0);
        for (const kind of custom.keys()) expect(kind).not.to.match(/^(Secret|Namespace|NamespacePatch|ConfigMap|Chart)\./);
    });

    it("an object the API server would prune is caught in a declared case (the check can fail)", async () => {
        await declareWholeProgram(caseConfig("dev", "Standard", true));
        const { custom } = collectObjects(builtInTypes);
        const isvc = structuredClone(custom.get("InferenceService.serving.kserve.io")![0].object);
        delete isvc.spec.canary[0].predictor.model.name;
        isvc.spec.predictor.model.storageURI = isvc.spec.predictor.model.storageUri;
        expect(crds.validate(isvc).map((p) => `${p.path}: ${p.message}`)).to.have.members([
            "spec.canary[0].predictor.model.name: required field is missing",
            "spec.predictor.model.storageURI: unknown field: the CRD schema does not declare it, so the API server would prune it silently",
        ]);
    });
});
