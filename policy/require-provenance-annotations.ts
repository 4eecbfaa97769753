import { ResourceValidationPolicy } from "@pulumi/policy";
import { describeObject, kubernetesObjectsOf } from "./lib/kubernetes";
import { describePolicy, settingsOf, stringList } from "./lib/settings";
import { field } from "./lib/values";

/** Annotations ModelRelease writes on each InferenceService (keys are the contract with components/release). */
export const DEFAULT_PROVENANCE_ANNOTATIONS = ["modelship.io/model-version", "modelship.io/model-digest", "modelship.io/source-revision"];

export interface ProvenanceSettings {
    requiredAnnotations: string[];
}
export const provenanceDefaults: ProvenanceSettings = { requiredAnnotations: DEFAULT_PROVENANCE_ANNOTATIONS };

export const requireProvenanceAnnotations: ResourceValidationPolicy = {
    name: "require-provenance-annotations",
    description: describePolicy({
        what: "Every InferenceService (declared directly or in a manifest bundle) carries the provenance annotations listed in requiredAnnotations, each non-empty.",
        why: "Auditors and on-call engineers read from the cluster which model version, image digest and source revision serve traffic without access to Pulumi state.",
        fix: "Set the model's provenance in the stack config (models[].provenance.sourceRevision, …); ModelRelease writes the modelship.io/* annotations.",
    }),
    enforcementLevel: "advisory",
    severity: "low",
    configSchema: {
        properties: {
            requiredAnnotations: stringList(DEFAULT_PROVENANCE_ANNOTATIONS, "Annotation keys every InferenceService must carry."),
        },
    },
    validateResource: (args, reportViolation) => {
        const settings = settingsOf(args, provenanceDefaults);
        for (const located of kubernetesObjectsOf(args.type, args.props)) {
            if (located.kind !== "InferenceService") {
                continue;
            }
            const annotations = field(located.object.metadata, "annotations") ?? {};
            const missing = settings.requiredAnnotations.filter((key) => {
                const value = field(annotations, key);
                return typeof value !== "string" || value.trim() === "";
            });
            if (missing.length > 0) {
                reportViolation(`${describeObject(args.name, located)} lacks provenance annotations ${missing.join(", ")}.`);
            }
        }
    },
};
