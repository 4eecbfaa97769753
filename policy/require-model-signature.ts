import { StackValidationPolicy } from "@pulumi/policy";
import { modelImagesOf } from "./lib/model-images";
import { LOCAL_COMMAND } from "./lib/types";
import { describePolicy, settingsOf } from "./lib/settings";

export interface SignatureSettings {
    /** The signing Command's `create` must mention cosign (a different signer needs this off). */
    requireCosign: boolean;
}
export const signatureDefaults: SignatureSettings = { requireCosign: true };

export const requireModelSignature: StackValidationPolicy = {
    name: "require-model-signature",
    description: describePolicy({
        what: "Every model image with signing enabled has a cosign signing Command (command:local:Command) in the same stack whose triggers[0] equals the image's digest reference.",
        why: "Signing settings alone sign nothing; the Command keyed by the digest is what signs exactly the bytes that will run, and re-signs when they change.",
        fix: "Declare releases through ModelRelease (it adds the signature Command), or add a local.Command running `cosign sign` with triggers [reference].",
    }),
    enforcementLevel: "mandatory",
    severity: "critical",
    configSchema: {
        properties: {
            requireCosign: { type: "boolean", default: true, description: "The signing Command's create must run cosign." },
        },
    },
    validateStack: (args, reportViolation) => {
        const settings = settingsOf(args, signatureDefaults);
        const images = modelImagesOf(args.resources).filter((i) => i.signingEnabled);
        if (images.length === 0) {
            args.notApplicable("no model image has signing enabled (require-model-signing-enabled reports those)");
        }
        const signedReferences = new Map<string, string[]>();
        for (const r of args.resources) {
            if (r.type !== LOCAL_COMMAND) {
                continue;
            }
            const triggers = r.props.triggers;
            if (!Array.isArray(triggers) || typeof triggers[0] !== "string") {
                continue;
            }
            if (settings.requireCosign && !(typeof r.props.create === "string" && /\bcosign\b/.test(r.props.create))) {
                continue;
            }
            const list = signedReferences.get(triggers[0]) ?? [];
            list.push(r.name);
            signedReferences.set(triggers[0], list);
        }
        for (const image of images) {
            if (!signedReferences.has(image.reference)) {
                reportViolation(
                    `model image ${image.name} ("${image.reference}") has signing enabled but no ` +
                        `${settings.requireCosign ? "cosign " : ""}signing Command with triggers[0] equal to that reference.`,
                    image.urn,
                );
            }
        }
    },
};
