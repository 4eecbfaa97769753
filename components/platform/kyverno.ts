// Kyverno and the ImageValidatingPolicy that admits only model images signed with the stack's key.
// Pure builders; the component declares them.
import type { PlatformConfig, RegistryConfig, SigningConfig } from "../config/schema";
import { kyvernoCtlog } from "../release/signing";
import { deepMerge, Values } from "./charts";

export const signaturePolicyName = "modelship-verify-model-images";
/** dockerconfigjson Secret in Kyverno's namespace, listed in the policy's `credentials.secrets`. */
export const kyvernoRegistrySecretName = "modelship-registry-credentials";
/** Attestor name; CEL refers to it as `attestors.modelship`. */
export const attestorName = "modelship";

export function kyvernoChartValues(platform: PlatformConfig): Values {
    return deepMerge({}, platform.kyverno.values);
}

/** `host/prefix/`: every model image modelship pushes starts with it. */
export function modelImagePrefix(registry: RegistryConfig): string {
    return `${registry.host}/${registry.repositoryPrefix}/`;
}

/** CEL: every image of one list that lives under the model prefix carries a valid signature. */
function verifyListExpression(list: "containers" | "initContainers", prefix: string): string {
    // Filtered to our prefix as well as matched by glob, so no other image is ever sent to the
    // verifier, whatever it returns for images outside matchImageReferences. `has()` because a pod
    // without init containers may have no such list.
    return (
        `!has(images.${list}) || images.${list}.filter(image, image.startsWith(${JSON.stringify(prefix)}))` +
        `.map(image, verifyImageSignatures(image, [attestors.${attestorName}])).all(e, e > 0)`
    );
}

export interface ImageValidatingPolicyManifest {
    apiVersion: "policies.kyverno.io/v1";
    kind: "ImageValidatingPolicy";
    metadata: { name: string; labels: Record<string, string> };
    spec: Values;
}

/**
 * The ImageValidatingPolicy (policies.kyverno.io/v1) that denies pods whose model images lack a
 * valid cosign signature from the configured key. KServe puts the model image in the `modelcar`
 * container and the `modelcar-init` init container, so both lists are checked. The transparency-log
 * settings come from `kyvernoCtlog`, the function the signer's flags are derived from: an offline
 * signature (no Rekor entry) is verified with `insecureIgnoreTlog`, an online one against the log.
 */
export function imageValidatingPolicy(
    registry: RegistryConfig,
    signing: SigningConfig,
    opts: { credentialsSecret?: string } = {},
): ImageValidatingPolicyManifest {
    if (!signing.publicKey) {
        throw new Error("imageValidatingPolicy needs signing.publicKey (validated config always has it while signing is enabled)");
    }
    const prefix = modelImagePrefix(registry);
    const credentials: Values = {};
    if (registry.plainHttp) {
        credentials.allowInsecureRegistry = true;
    }
    if (opts.credentialsSecret) {
        credentials.secrets = [opts.credentialsSecret];
    }
    return {
        apiVersion: "policies.kyverno.io/v1",
        kind: "ImageValidatingPolicy",
        metadata: { name: signaturePolicyName, labels: { "app.kubernetes.io/managed-by": "modelship" } },
        spec: {
            validationActions: ["Deny"],
            failurePolicy: "Fail",
            matchConstraints: {
                resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["pods"] }],
            },
            matchImageReferences: [{ glob: `${prefix}*` }],
            attestors: [
                {
                    name: attestorName,
                    cosign: {
                        key: { data: signing.publicKey },
                        ctlog: kyvernoCtlog(signing),
                    },
                },
            ],
            validationConfigurations: { mutateDigest: true, verifyDigest: true, required: true },
            ...(Object.keys(credentials).length > 0 ? { credentials } : {}),
            validations: [
                {
                    expression: verifyListExpression("containers", prefix),
                    message: `a model image (container) under ${prefix} is not signed with the modelship signing key`,
                },
                {
                    expression: verifyListExpression("initContainers", prefix),
                    message: `a model image (init container) under ${prefix} is not signed with the modelship signing key`,
                },
            ],
        },
    };
}

