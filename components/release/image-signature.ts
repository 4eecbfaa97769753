// ImageSignature: `cosign sign` of one image digest through @pulumi/command's local.Command.
// The command line (create) names no secret; the key password, an env:// key and the registry
// credentials travel only in `environment`, as Pulumi secrets. `triggers: [reference]` re-signs only
// when the digest changes. Output is never logged on stdout and is kept secret in state.
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import type { RegistryConfig, SigningConfig } from "../config/schema";
import {
    COSIGN_PASSWORD_ENV,
    CosignMajor,
    cosignSignCommand,
    keyEnvironmentVariable,
    REGISTRY_PASSWORD_ENV,
    REGISTRY_USERNAME_ENV,
    signatureLocation,
} from "./signing";

export interface ImageSignatureArgs {
    /** `host/repo@sha256:…` to sign; must be known at preview for the policy pack (daemonless builder). */
    reference: pulumi.Input<string>;
    signing: SigningConfig;
    registry: RegistryConfig;
    /** Pulumi secret `modelship:registryPassword`. */
    registryPassword?: pulumi.Input<string>;
    /** Pulumi secret `modelship:signingKeyPassword` (COSIGN_PASSWORD). Empty when the key is unencrypted. */
    signingKeyPassword?: pulumi.Input<string>;
    /** For `env://VAR` keys: the key's value; default `process.env[VAR]` (else the provider's environment is used). */
    keyFromEnvironment?: pulumi.Input<string>;
    /** The cosign major version the command targets (default 2, what `.ci/run` builds). */
    cosignMajor?: CosignMajor;
    /** The resource that pushed the image: the signature is made after it. */
    push: pulumi.Input<pulumi.Resource>;
}

/** The environment map the signing command gets: every value a secret, names from `cosignSignCommand`. */
export function signingEnvironment(
    names: string[],
    values: { keyPassword?: pulumi.Input<string>; key?: pulumi.Input<string>; keyVariable?: string; username?: string; registryPassword?: pulumi.Input<string> },
): Record<string, pulumi.Input<string>> {
    const env: Record<string, pulumi.Input<string>> = {};
    for (const name of names) {
        if (name === COSIGN_PASSWORD_ENV) env[name] = pulumi.secret(values.keyPassword ?? "");
        else if (name === REGISTRY_USERNAME_ENV) env[name] = values.username ?? "";
        else if (name === REGISTRY_PASSWORD_ENV) env[name] = pulumi.secret(values.registryPassword ?? "");
        else if (name === values.keyVariable && values.key !== undefined) env[name] = pulumi.secret(values.key);
    }
    return env;
}

export class ImageSignature extends pulumi.ComponentResource {
    /** The signed reference (= triggers[0] of the command). */
    public readonly signedReference: pulumi.Output<string>;
    /** Where the signature lives: the `.sig` tag (legacy) or the referrers fallback tag (bundle). */
    public readonly signatureReference: pulumi.Output<string>;
    public readonly command: command.local.Command;

    constructor(name: string, args: ImageSignatureArgs, opts?: pulumi.ComponentResourceOptions) {
        super("modelship:release:ImageSignature", name, {}, opts);
        const { signing, registry } = args;
        const registryAuth = registry.username !== undefined;
        const reference = pulumi.output(args.reference);
        const cosign = reference.apply((ref) =>
            cosignSignCommand(signing, ref, {
                registryHost: registry.host,
                plainHttp: registry.plainHttp,
                insecure: registry.insecure,
                registryAuth,
                cosignMajor: args.cosignMajor,
            }),
        );
        const keyVariable = signing.key ? keyEnvironmentVariable(signing.key) : undefined;
        const keyValue = args.keyFromEnvironment ?? (keyVariable ? process.env[keyVariable] : undefined);
        // The names are fixed by the config (not by the digest), so they are computed up front.
        const names = cosignSignCommand(signing, `x@sha256:${"0".repeat(64)}`, { registryHost: registry.host, registryAuth }).environment;
        const environment = signingEnvironment(names, {
            keyPassword: args.signingKeyPassword,
            key: keyValue,
            keyVariable,
            username: registry.username,
            registryPassword: args.registryPassword,
        });

        this.command = new command.local.Command(
            `${name}-cosign`,
            {
                create: cosign.apply((c) => c.command),
                environment,
                triggers: [reference],
                logging: "stderr",
                addPreviousOutputInEnv: false,
            },
            pulumi.mergeOptions({ parent: this, dependsOn: args.push, additionalSecretOutputs: ["stdout", "stderr"] }, {}),
        );
        this.signedReference = reference;
        this.signatureReference = reference.apply((ref) => signatureLocation(ref, signing.signatureFormat).reference);
        this.registerOutputs({ signedReference: this.signedReference, signatureReference: this.signatureReference });
    }
}
