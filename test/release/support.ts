// Shared helpers for the release tests: mocks that record resources (docker Images get a repoDigest
// the way the provider would report one), stack configs read from the real Pulumi.<stack>.yaml, and
// a fake image composer (the real one reads the base image from a registry; the mock tests have none).
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { installRecordingMocks, recorder, RecordedResource, unwrap } from "../support/pulumi-mocks";
import type { ModelConfig, StackConfig } from "../../components/config/schema";
import { validateStackConfig } from "../../components/config/validate";
import { ModelRelease } from "../../components/release/model-release";
import type { ModelReleaseArgs } from "../../components/release/model-release";
import type { ModelImageComposer } from "../../components/release/model-image";

export const projectDir = path.resolve(__dirname, "../..");

export function installReleaseMocks(opts: { preview?: boolean; stack?: string } = {}) {
    return installRecordingMocks({
        ...opts,
        // The docker provider computes repoDigest after the push; a stable fake keyed by the image name.
        computedOutputs: (args) => {
            if (args.type !== "docker:index/image:Image") return undefined;
            const hex = crypto.createHash("sha256").update(String(args.inputs.imageName)).digest("hex");
            return { repoDigest: `${String(args.inputs.imageName)}@sha256:${hex}` };
        },
    });
}

/** Reads and validates Pulumi.<stack>.yaml exactly as the program would (secrets marked present). */
export function stackConfig(stack: "dev" | "prod"): StackConfig {
    const doc = parse(fs.readFileSync(path.join(projectDir, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
    const raw: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(doc.config)) if (k.startsWith("modelship:")) raw[k.slice("modelship:".length)] = v;
    // The secrets each stack needs are present: a registry password with a username, a key password with a key file.
    const registry = raw.registry as { username?: string };
    const signing = raw.signing as { key?: string };
    const secrets = { registryPassword: !!registry.username, signingKeyPassword: !!signing.key && !/^[a-z0-9]+:\/\//.test(signing.key) };
    const result = validateStackConfig(raw, secrets);
    if (!result.ok) throw new Error(`Pulumi.${stack}.yaml is invalid: ${JSON.stringify(result.problems)}`);
    return result.config;
}

/** Digest = sha256 of (model dir, version): deterministic, and different per version like the real one. */
export const fakeComposeModelImage: ModelImageComposer = async (o) => {
    const hex = crypto
        .createHash("sha256")
        .update(`${path.relative(projectDir, o.modelDir)}|${o.version}|${o.baseImage}`)
        .digest("hex");
    // With fileDigests, one made-up file digest per model directory (the real composer hashes the files).
    const files = o.fileDigests ? { "model.joblib": `sha256:${crypto.createHash("sha256").update(o.modelDir).digest("hex")}` } : undefined;
    return { digest: `sha256:${hex}`, reference: `${o.registry}/${o.repository}@sha256:${hex}`, ...(files ? { files } : {}) };
};

/** Resolves once every resource below `resource` registered (awaits URNs, not arrays of children). */
export function ofType(type: string): RecordedResource[] {
    return recorder.resources.filter((r) => r.type === type);
}

export const OCI_ARTIFACT = "pulumi-nodejs:dynamic/modelship:OciArtifact";
export const IMAGE_SIGNATURE = "pulumi-nodejs:dynamic/modelship:ImageSignature";
export const IMAGE_ATTESTATION = "pulumi-nodejs:dynamic/modelship:ImageAttestation";

const SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** True when a recorded input value is a Pulumi secret (how mocks receive secrets). */
export function isSecretValue(v: unknown): boolean {
    return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG] === SECRET_SIG;
}

/** Recorded inputs with secret wrappers removed (for deep-equal assertions). */
export function reveal(v: any): any {
    if (isSecretValue(v)) return reveal(v.value);
    if (Array.isArray(v)) return v.map(reveal);
    if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)]));
    return v;
}

/**
 * Declares one ModelRelease for `model` from a stack config under mocks (fake composer unless
 * `over` says otherwise) and waits for its Application, bundle push and signatures to register.
 */
export async function declareRelease(config: StackConfig, model: ModelConfig, over: Partial<ModelReleaseArgs> = {}) {
    recorder.reset();
    const r = new ModelRelease(model.name, {
        model,
        registry: config.registry,
        signing: config.signing,
        deploymentMode: config.platform.kserve.deploymentMode,
        argocdNamespace: config.platform.argocd.namespace,
        projectDir,
        composeModelImage: fakeComposeModelImage,
        ...over,
    });
    const provenance = (await unwrap(r.provenance)).value;
    const cosigned = [...r.signatures, ...r.attestations, ...(r.bundleSignature ? [r.bundleSignature] : [])];
    await Promise.all([unwrap(r.application.urn), unwrap(r.bundle.push.urn), ...cosigned.map((s) => unwrap(s.urn))]);
    return { r, provenance };
}
