import { StackValidationPolicy } from "@pulumi/policy";
import { modelImagesOf, signedReferences } from "./lib/model-images";
import { IMAGE_SIGNATURE } from "./lib/types";
import { describePolicy, settingsOf } from "./lib/settings";

export interface SignatureSettings {
    /** The signature resource must be made by cosign (`signer: "cosign"`; a different signer needs this off). */
    requireCosign: boolean;
}
export const signatureDefaults: SignatureSettings = { requireCosign: true };

export const requireModelSignature: StackValidationPolicy = {
    name: "require-model-signature",
    description: describePolicy({
        what: `Every model image with signing enabled has a cosign signature resource (${IMAGE_SIGNATURE}) in the same stack whose reference equals the image's digest reference.`,
        why: "Signing settings alone sign nothing; the signature resource keyed by the digest is what signs exactly the bytes that will run, and signs again when they change.",
        fix: "Declare releases through ModelRelease (it adds an ImageSignature per image), or declare an ImageSignature for the image's digest reference.",
    }),
    enforcementLevel: "mandatory",
    severity: "critical",
    configSchema: {
        properties: {
            requireCosign: { type: "boolean", default: true, description: "The signature resource's signer must be cosign." },
        },
    },
    validateStack: (args, reportViolation) => {
        const settings = settingsOf(args, signatureDefaults);
        const images = modelImagesOf(args.resources).filter((i) => i.signingEnabled);
        if (images.length === 0) {
            args.notApplicable("no model image has signing enabled (require-model-signing-enabled reports those)");
        }
        const signed = signedReferences(args.resources, settings.requireCosign);
        for (const image of images) {
            if (!signed.has(image.reference)) {
                reportViolation(
                    `model image ${image.name} ("${image.reference}") has signing enabled but no ` +
                        `${settings.requireCosign ? "cosign " : ""}signature resource (${IMAGE_SIGNATURE}) for that reference.`,
                    image.urn,
                );
            }
        }
    },
};
