// The custom objects the whole program (declareModelship) declares or bundles, collected under
// Pulumi mocks for one stack file, KServe mode and canary setting: what test/crd validates against
// the upstream CRD schemas and the e2e sends to a real API server (dry run, strict field validation).
// Objects come from two places: custom resources the program declares (Argo CD Application, Kyverno
// ImageValidatingPolicy) and the objects inside each manifest bundle (the InferenceService Argo CD
// applies). Helm charts and remote YAML are one resource with no children under mocks; core kinds
// (Secret, Namespace, ConfigMap patches) are not CRDs.
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { recorder, unwrap } from "./pulumi-mocks";
import { splitApiVersion } from "./crd-validator";
import { declareModelship } from "../../components/stack";
import { validateStackConfig } from "../../components/config/validate";
import type { DeploymentMode, StackConfig } from "../../components/config/schema";
import { stackFileConfig, testPublicKeyPem } from "../config/fixtures";
import { fakeComposeModelImage, OCI_ARTIFACT, projectDir, reveal } from "../release/support";

/**
 * Custom kinds with no CRD in ../shared/upstream/crds, each with the reason it may go unchecked
 * (only kinds whose CRD comes from a chart that is not in shared/). Any other kind without a CRD fails.
 */
export const KINDS_WITHOUT_UPSTREAM_CRD: Record<string, string> = {};

/** Every resource type token the Kubernetes SDK defines (built-in kinds, charts, YAML); anything else `kubernetes:` is a custom resource. */
export function builtInKubernetesTypes(): Set<string> {
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
    visit(k8s, 0);
    return types;
}

/** The Pulumi type token of a Kubernetes object (`kubernetes:core/v1:Secret`, `kubernetes:argoproj.io/v1alpha1:Application`). */
export function typeTokenOf(o: Record<string, any>): string {
    const { group, version } = splitApiVersion(String(o.apiVersion));
    return `kubernetes:${group || "core"}/${version}:${o.kind}`;
}

export interface CollectedObject {
    /** Where it came from: `<resource name>` or `<bundle push name> manifests[i]`. */
    source: string;
    object: Record<string, any>;
}

export interface Collected {
    /** Custom objects, by `Kind.group`. */
    custom: Map<string, CollectedObject[]>;
    /** Built-in kinds seen (skipped), by type token. */
    builtIn: Map<string, number>;
}

/** Sorts what the recorder holds into custom objects (declared or bundled) and built-in kinds. */
export function collectObjects(builtInTypes: Set<string>): Collected {
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
export function caseConfig(stack: "dev" | "prod", mode: DeploymentMode, canary: boolean): StackConfig {
    const raw = structuredClone(stackFileConfig(stack));
    if (typeof raw.signing?.publicKey === "string" && !raw.signing.publicKey.includes("-----BEGIN")) raw.signing.publicKey = testPublicKeyPem;
    raw.platform.kserve = { ...raw.platform.kserve, deploymentMode: mode };
    expect(
        raw.models.filter((m: { canary?: unknown }) => m.canary),
        `Pulumi.${stack}.yaml has a canary to turn off`,
    ).not.to.be.empty;
    if (!canary) for (const m of raw.models) delete m.canary;
    const secrets = { registryPassword: !!raw.registry.username, signingKeyPassword: !!raw.signing.key && !/^[a-z0-9]+:\/\//.test(raw.signing.key) };
    const result = validateStackConfig(raw, secrets);
    if (!result.ok) throw new Error(`Pulumi.${stack}.yaml (${mode}, canary ${canary ? "on" : "off"}) is invalid: ${JSON.stringify(result.problems)}`);
    return result.config;
}

export async function declareWholeProgram(config: StackConfig): Promise<void> {
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
    await Promise.all([...Object.values(stack.releases).flatMap((r) => [unwrap(r.application.urn), unwrap(r.bundle.push.urn)]), ...(policy ? [unwrap(policy.urn)] : [])]);
}

export const cases = (["dev", "prod"] as const).flatMap((stack) => (["Knative", "Standard"] as const).flatMap((mode) => [true, false].map((canary) => ({ stack, mode, canary }))));
