import { ResourceValidationPolicy } from "@pulumi/policy";
import { isModelImage } from "./lib/model-images";
import { describePolicy } from "./lib/settings";
import { field } from "./lib/values";

export const requireModelSigningEnabled: ResourceValidationPolicy = {
    name: "require-model-signing-enabled",
    description: describePolicy({
        what: "Every model image (OciArtifact kind modelcar-image) has signing.enabled true.",
        why: "A release without a signature cannot pass Kyverno's signature check and leaves auditors no proof of origin. A stack may turn signing off (e.g. a throwaway cluster); this policy makes that visible instead of silent. Advisory by default, mandatory in prod.",
        fix: "Set modelship:signing.enabled true with a key (signing.key) in the stack config, or accept the warning for a stack that is never exposed.",
    }),
    enforcementLevel: "advisory",
    severity: "high",
    configSchema: { properties: {} },
    validateResource: (args, reportViolation) => {
        if (!isModelImage(args)) {
            return;
        }
        const signing: unknown = args.props.signing;
        const enabled = field(signing, "enabled");
        if (enabled !== true) {
            const state = signing === undefined ? "has no signing settings" : `has signing.enabled ${JSON.stringify(enabled)}`;
            reportViolation(
                `model image ${args.name} ("${args.props.reference}") ${state}: this model release is not signed, ` +
                    "and Kyverno will reject it wherever a signature policy covers its repository.",
            );
        }
    },
};
