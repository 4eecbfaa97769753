import { ResourceValidationPolicy } from "@pulumi/policy";
import { globMatches, mutableTagOf, parseImageRef } from "./lib/image-ref";
import { referencesOf } from "./lib/kubernetes";
import { KIND_MODELCAR_IMAGE, OCI_ARTIFACT } from "./lib/types";
import { describePolicy, settingsOf, stringList } from "./lib/settings";

export interface MutableTagSettings {
    /** Tags treated as mutable besides a missing tag. */
    mutableTags: string[];
    /** Globs over references (as written) exempt from this rule. */
    exemptImages: string[];
}
export const mutableTagDefaults: MutableTagSettings = { mutableTags: ["latest"], exemptImages: [] };

export const disallowMutableImageTags: ResourceValidationPolicy = {
    name: "disallow-mutable-image-tags",
    description: describePolicy({
        what: "No image or OCI reference uses a mutable tag (`latest`, a configured tag, or no tag at all) without a digest: workload images (direct or in bundles), oci:// storage URIs, and a model image's baseImage and reference.",
        why: "`latest` and untagged references change under you and make KServe pull with Always; a review of such a reference proves nothing.",
        fix: "Reference an exact tag plus digest (image:1.2.3@sha256:<hex>), or add a reviewed glob to exemptImages.",
    }),
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: {
        properties: {
            mutableTags: stringList(["latest"], "Tags treated as mutable in addition to a missing tag."),
            exemptImages: stringList([], "Globs over references exempt from this rule."),
        },
    },
    validateResource: (args, reportViolation) => {
        const settings = settingsOf(args, mutableTagDefaults);
        const check = (where: string, value: string) => {
            if (settings.exemptImages.some((g) => globMatches(g, value))) {
                return;
            }
            const tag = mutableTagOf(parseImageRef(value), settings.mutableTags);
            if (tag !== undefined) {
                reportViolation(`${where} "${value}" uses mutable tag ${tag.startsWith("(") ? tag : `"${tag}"`}; pin it by digest.`);
            }
        };
        if (args.type === OCI_ARTIFACT && args.props.kind === KIND_MODELCAR_IMAGE) {
            for (const field of ["baseImage", "reference"]) {
                const value: unknown = args.props[field];
                if (typeof value === "string" && value !== "") {
                    check(`model image ${args.name}: ${field}`, value);
                }
            }
            return;
        }
        for (const { where, value } of referencesOf(args.type, args.name, args.props)) {
            check(where, value);
        }
    },
};
