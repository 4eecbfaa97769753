import { StackValidationPolicy } from "@pulumi/policy";
import { isManifestBundle } from "./lib/kubernetes";
import { bundleReferenceOf, modelImagesOf, signedReferences } from "./lib/model-images";
import { describePolicy, settingsOf } from "./lib/settings";
import { IMAGE_SIGNATURE } from "./lib/types";

export interface BundleSignatureSettings {
    /** The signature resource must be made by cosign. */
    requireCosign: boolean;
}
export const bundleSignatureDefaults: BundleSignatureSettings = { requireCosign: true };

export const requireBundleSignature: StackValidationPolicy = {
    name: "require-bundle-signature",
    description: describePolicy({
        what: `In a stack that signs its model images, every manifest bundle (the OCI artifact Argo CD syncs) has a cosign signature resource (${IMAGE_SIGNATURE}) for its digest reference.`,
        why: "The bundle decides what runs (which image digests, which traffic split); a signed image behind an unsigned configuration can still be swapped for another signed image.",
        fix: "Declare releases through ModelRelease (it signs each bundle with the stack's key), or declare an ImageSignature for the bundle's digest reference.",
    }),
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: {
        properties: {
            requireCosign: { type: "boolean", default: true, description: "The signature resource's signer must be cosign." },
        },
    },
    validateStack: (args, reportViolation) => {
        const settings = settingsOf(args, bundleSignatureDefaults);
        if (!modelImagesOf(args.resources).some((i) => i.signingEnabled)) {
            args.notApplicable("no model image has signing enabled (require-model-signing-enabled reports those)");
        }
        const signed = signedReferences(args.resources, settings.requireCosign);
        for (const r of args.resources) {
            if (!isManifestBundle(r.type, r.props)) continue;
            const reference = bundleReferenceOf(r.props);
            if (!signed.has(reference)) {
                reportViolation(`manifest bundle ${r.name} ("${reference}") has no signature resource (${IMAGE_SIGNATURE}) for that reference.`, r.urn);
            }
        }
    },
};
