// ImageSignature: the cosign signature of one image digest, as a resource the engine runs itself (a
// dynamic provider, like OciArtifact for pushes; no provider plugin to install). ImageAttestation
// (image-attestation.ts) is the same provider running `cosign attest` with a predicate.
//   preview  shows the digest reference that will be signed and the cosign arguments (no secret);
//   up       runs the real `cosign sign` once per digest (cosign-run.ts);
//   refresh  checks the registry still holds the signature; a deleted one is made again by the next up;
//   destroy  leaves signatures in the registry (they are the record of what was approved to run).
// Secrets (key password, an env:// key's value, registry password) travel only as secret inputs,
// into cosign's environment or a private DOCKER_CONFIG that is removed after the run: never argv,
// logs or plain state.
import * as pulumi from "@pulumi/pulumi";
import type { RegistryConfig, SigningConfig } from "../config/schema";
import { loadByPath, tsNodeEntry } from "../oci/provider-process";
import type { SignatureRecipe } from "./cosign-run";
import { COSIGN_PASSWORD_ENV, cosignSignInvocation, keyEnvironmentVariable, signatureLocation, signingEnvironmentNames } from "./signing";

const implementationPath: string = require.resolve("./cosign-run");
const tsNodePath = tsNodeEntry();

function loadImplementation(): typeof import("./cosign-run") {
    return loadByPath(implementationPath, tsNodePath);
}

/** What changes the signature itself; anything else (credentials) is carried along without re-signing. */
const SIGNATURE_KEYS: ReadonlyArray<keyof SignatureRecipe> = ["args", "cosignVersion", "signatureFormat", "signatureReference", "predicate", "predicateType"];

/** What the provider records: its inputs (the recipe), and whether the registry still holds the signature. */
interface ImageSignatureOutputs extends SignatureRecipe {
    present?: boolean;
}

export const imageSignatureProvider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: SignatureRecipe): Promise<pulumi.dynamic.CreateResult<ImageSignatureOutputs>> {
        await loadImplementation().signImage(inputs);
        return { id: inputs.reference, outs: { ...inputs, present: true } };
    },

    diff(id: string, olds: ImageSignatureOutputs, news: SignatureRecipe): Promise<pulumi.dynamic.DiffResult> {
        const replaces = olds.reference !== news.reference ? ["reference"] : [];
        const updates: string[] = SIGNATURE_KEYS.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
        if (olds.present === false) updates.push("present");
        return Promise.resolve({ changes: replaces.length + updates.length > 0, replaces, deleteBeforeReplace: false });
    },

    async read(id: string, props: ImageSignatureOutputs): Promise<pulumi.dynamic.ReadResult<ImageSignatureOutputs>> {
        let present = props?.present ?? true;
        try {
            present = await loadImplementation().signaturePresent(props);
        } catch {
            // registry unreachable: say nothing new
        }
        return { id, props: { ...props, present } };
    },

    async update(id: string, olds: ImageSignatureOutputs, news: SignatureRecipe): Promise<pulumi.dynamic.UpdateResult<ImageSignatureOutputs>> {
        await loadImplementation().signImage(news);
        return { outs: { ...news, present: true } };
    },

    async delete(): Promise<void> {
        // Signatures stay in the registry, like the digests they sign.
    },
};

export interface ImageSignatureArgs {
    /** `host/repo@sha256:…` to sign; known at preview with the daemonless builder. */
    reference: pulumi.Input<string>;
    signing: SigningConfig;
    registry: RegistryConfig;
    /** Pulumi secret `modelship:registryPassword` (with registry.username). */
    registryPassword?: pulumi.Input<string>;
    /** Pulumi secret `modelship:signingKeyPassword` (COSIGN_PASSWORD). Empty when the key is unencrypted. */
    signingKeyPassword?: pulumi.Input<string>;
    /** For `env://VAR` keys: the key's value (a secret). Default: cosign reads VAR from the environment of `pulumi up`, and the key is kept out of state. */
    keyFromEnvironment?: pulumi.Input<string>;
}

/** The secret environment of cosign: a value for every variable `signingEnvironmentNames` lists. */
export function signingEnvironment(key: string, values: { keyPassword?: pulumi.Input<string>; keyValue?: pulumi.Input<string> }): pulumi.Output<Record<string, string>> {
    const env: Record<string, pulumi.Input<string>> = {};
    const keyVariable = keyEnvironmentVariable(key);
    for (const name of signingEnvironmentNames(key)) {
        if (name === COSIGN_PASSWORD_ENV) env[name] = values.keyPassword ?? "";
        else if (name === keyVariable && values.keyValue !== undefined) env[name] = values.keyValue;
    }
    return pulumi.secret(pulumi.output(env) as pulumi.Output<Record<string, string>>);
}

export class ImageSignature extends pulumi.dynamic.Resource {
    /** The signed reference (`host/repo@sha256:…`). */
    declare public readonly reference: pulumi.Output<string>;
    /** Where the signature lives: the `.sig` tag (legacy) or the referrers fallback tag (bundle). */
    declare public readonly signatureReference: pulumi.Output<string>;
    /** The cosign arguments (after the binary name); no secrets. */
    declare public readonly args: pulumi.Output<string[]>;

    constructor(name: string, args: ImageSignatureArgs, opts?: pulumi.CustomResourceOptions) {
        const { signing, registry } = args;
        const props = cosignResourceInputs(args, {
            args: (ref) => cosignSignInvocation(signing, ref, { plainHttp: registry.plainHttp, insecure: registry.insecure, cosignMajor: signing.cosignVersion }).args,
            location: (ref) => signatureLocation(ref, signing.signatureFormat).reference,
        });
        super(imageSignatureProvider, name, props, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["password", "environment"] }), "modelship", "ImageSignature");
    }
}

/** The inputs every cosign resource (signature, attestation) shares; secrets only in `password` and `environment`. */
export function cosignResourceInputs(
    args: ImageSignatureArgs,
    derive: { args: (reference: string) => string[]; location: (reference: string) => string },
): Record<string, unknown> {
    const { signing, registry } = args;
    if (!signing.key) throw new Error("signing.key is required to sign (a key file, env://VAR or a KMS URI)");
    const reference = pulumi.output(args.reference);
    return {
        reference,
        signer: "cosign",
        cosignVersion: signing.cosignVersion,
        signatureFormat: signing.signatureFormat,
        transparencyLog: signing.transparencyLog,
        args: reference.apply(derive.args),
        signatureReference: reference.apply(derive.location),
        registry: registry.host,
        plainHttp: registry.plainHttp,
        insecure: registry.insecure,
        username: registry.username,
        password: registry.username !== undefined ? pulumi.secret(pulumi.output(args.registryPassword ?? "")) : undefined,
        environment: signingEnvironment(signing.key, { keyPassword: args.signingKeyPassword, keyValue: args.keyFromEnvironment }),
        present: undefined,
    };
}
