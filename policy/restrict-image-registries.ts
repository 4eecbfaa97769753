import { ResourceValidationPolicy } from "@pulumi/policy";
import { globMatches, parseImageRef, registryAllowed } from "./lib/image-ref";
import { referencesOf } from "./lib/kubernetes";
import { isModelImage } from "./lib/model-images";
import { OCI_ARTIFACT } from "./lib/types";
import { describePolicy, settingsOf, stringList } from "./lib/settings";

export interface RegistrySettings {
    /**
     * Host globs (`ghcr.io`, `127.0.0.1:*`) or `host/repository` globs (`ghcr.io/kserve/*`).
     * Empty (the default) allows nothing: each stack names its registries in policy/config/<stack>.json.
     */
    allowedRegistries: string[];
    /** Globs over references (as written) exempt from this rule. */
    exemptImages: string[];
}
export const registryDefaults: RegistrySettings = { allowedRegistries: [], exemptImages: [] };

export const restrictImageRegistries: ResourceValidationPolicy = {
    name: "restrict-image-registries",
    description: describePolicy({
        what: "Every image and OCI artifact comes from an allowed registry: workload images (direct or in bundles), oci:// storage URIs, the registry of pushed model images and bundles, and model base images.",
        why: "Pulling from an unvetted registry bypasses mirroring, scanning and credentials control, and a typo-squatted host can serve anything.",
        fix: "Use a registry listed in allowedRegistries (policy/config/<stack>.json), mirror the image there, or add a reviewed glob to exemptImages.",
    }),
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: {
        properties: {
            allowedRegistries: stringList([], "Allowed registry host globs or host/repository globs. Empty allows nothing."),
            exemptImages: stringList([], "Globs over references exempt from this rule."),
        },
    },
    validateResource: (args, reportViolation) => {
        const settings = settingsOf(args, registryDefaults);
        const check = (where: string, value: string) => {
            if (settings.exemptImages.some((g) => globMatches(g, value))) {
                return;
            }
            const ref = parseImageRef(value);
            if (!registryAllowed(ref, settings.allowedRegistries)) {
                const allowed =
                    settings.allowedRegistries.length === 0
                        ? "no registries are allowed because allowedRegistries is empty for this stack"
                        : `allowed: ${settings.allowedRegistries.join(", ")}`;
                reportViolation(`${where} "${value}" comes from registry ${ref.registry}, which is not allowed (${allowed}).`);
            }
        };
        if (args.type === OCI_ARTIFACT) {
            const { registry, repository } = args.props;
            if (typeof registry === "string" && registry !== "") {
                check(`OCI artifact ${args.name}: registry/repository`, `${registry}/${repository ?? ""}`);
            }
            if (isModelImage(args) && typeof args.props.baseImage === "string") {
                check(`model image ${args.name}: baseImage`, args.props.baseImage);
            }
        }
        for (const { where, value } of referencesOf(args.type, args.name, args.props)) {
            check(where, value);
        }
    },
};
