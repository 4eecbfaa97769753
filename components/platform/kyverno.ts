// Kyverno and the ImageValidatingPolicy that admits only model images signed with the stack's key.
// Pure builders; the component declares them.
import { attestsProvenance, requiredProvenanceOf, type PlatformConfig, type ProvenanceField, type RegistryConfig, type SigningConfig } from "../config/schema";
import { PROVENANCE_FIELD_PATHS, SLSA_PROVENANCE_V1 } from "../supply-chain/provenance";
import { kyvernoCtlog } from "../supply-chain/verification";
import { deepMerge, Values } from "./charts";

export const signaturePolicyName = "modelship-verify-model-images";
/** dockerconfigjson Secret in Kyverno's namespace, listed in the policy's `credentials.secrets`. */
export const kyvernoRegistrySecretName = "modelship-registry-credentials";
/** Attestor name; CEL refers to it as `attestors.modelship`. */
export const attestorName = "modelship";
/** Attestation name; CEL refers to it as `attestations.provenance`. */
export const provenanceAttestationName = "provenance";

export function kyvernoChartValues(platform: PlatformConfig): Values {
    return deepMerge({}, platform.kyverno.values);
}

/** `host/prefix/`: every model image modelship pushes starts with it. */
export function modelImagePrefix(registry: RegistryConfig): string {
    return `${registry.host}/${registry.repositoryPrefix}/`;
}

type ImageList = "containers" | "initContainers";

/** CEL: `check(image)` holds for every image of one list that lives under the model prefix. */
function everyModelImage(list: ImageList, prefix: string, check: string): string {
    // Filtered to our prefix as well as matched by glob, so no other image is ever sent to the
    // verifier, whatever it returns for images outside matchImageReferences. `has()` because a pod
    // without init containers may have no such list.
    return `!has(images.${list}) || images.${list}.filter(image, image.startsWith(${JSON.stringify(prefix)})).all(image, ${check})`;
}

/** CEL: every model image of one list carries a valid signature. */
function verifyListExpression(list: ImageList, prefix: string): string {
    return everyModelImage(list, prefix, `verifyImageSignatures(image, [attestors.${attestorName}]) > 0`);
}

/** CEL: every model image of one list carries a provenance attestation signed with the key. */
function attestedListExpression(list: ImageList, prefix: string): string {
    return everyModelImage(list, prefix, `verifyAttestationSignatures(image, attestations.${provenanceAttestationName}, [attestors.${attestorName}]) > 0`);
}

/** CEL: the (verified) provenance of every model image of one list has each required field. */
function requiredFieldsExpression(list: ImageList, prefix: string, fields: readonly ProvenanceField[]): string {
    const present = fields.map(
        (f) => `extractPayload(image, attestations.${provenanceAttestationName}).?predicate${PROVENANCE_FIELD_PATHS[f].map((k) => `.?${k}`).join("")}.orValue("") != ""`,
    );
    return everyModelImage(list, prefix, present.join(" && "));
}

function listWord(list: ImageList): string {
    return list === "containers" ? "container" : "init container";
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
export function imageValidatingPolicy(registry: RegistryConfig, signing: SigningConfig, opts: { credentialsSecret?: string } = {}): ImageValidatingPolicyManifest {
    if (!signing.publicKey) {
        throw new Error("imageValidatingPolicy needs signing.publicKey (validated config always has it while signing is enabled)");
    }
    const prefix = modelImagePrefix(registry);
    const attest = attestsProvenance(signing);
    const required = requiredProvenanceOf(signing);
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
            ...(attest ? { attestations: [{ name: provenanceAttestationName, intoto: { type: SLSA_PROVENANCE_V1 } }] } : {}),
            validationConfigurations: { mutateDigest: true, verifyDigest: true, required: true },
            ...(Object.keys(credentials).length > 0 ? { credentials } : {}),
            // In order: Kyverno stops at the first failing validation, and reads an attestation's
            // payload only after it verified its signature.
            validations: [
                ...(["containers", "initContainers"] as const).map((list) => ({
                    expression: verifyListExpression(list, prefix),
                    message: `a model image (${listWord(list)}) under ${prefix} is not signed with the modelship signing key`,
                })),
                ...(attest
                    ? (["containers", "initContainers"] as const).flatMap((list) => [
                          {
                              expression: attestedListExpression(list, prefix),
                              message: `a model image (${listWord(list)}) under ${prefix} has no ${SLSA_PROVENANCE_V1} attestation signed with the modelship signing key`,
                          },
                          ...(required.length > 0
                              ? [
                                    {
                                        expression: requiredFieldsExpression(list, prefix, required),
                                        message: `the provenance attestation of a model image (${listWord(list)}) under ${prefix} lacks a required field (${required.join(", ")})`,
                                    },
                                ]
                              : []),
                      ])
                    : []),
            ],
        },
    };
}
