import { StackValidationPolicy } from "@pulumi/policy";
import { modelImagesOf } from "./lib/model-images";
import { describePolicy, settingsOf, stringList } from "./lib/settings";
import { IMAGE_ATTESTATION, SLSA_PROVENANCE_V1 } from "./lib/types";
import { field } from "./lib/values";

/** Paths (dot-separated, below `predicate`) every attestation carries whatever the stack says. */
export const DEFAULT_REQUIRED_PREDICATE_FIELDS = [
    "buildDefinition.buildType",
    "buildDefinition.externalParameters.model.version",
    "buildDefinition.resolvedDependencies",
    "runDetails.builder.id",
];

export interface AttestationSettings {
    predicateType: string;
    /** Dot-separated paths in the predicate that must be present and non-empty. */
    requiredPredicateFields: string[];
}
export const attestationDefaults: AttestationSettings = { predicateType: SLSA_PROVENANCE_V1, requiredPredicateFields: DEFAULT_REQUIRED_PREDICATE_FIELDS };

function present(v: unknown): boolean {
    if (typeof v === "string") return v.trim() !== "";
    if (Array.isArray(v)) return v.length > 0;
    if (v !== null && typeof v === "object") return Object.keys(v).length > 0;
    return v !== undefined && v !== null;
}

export const requireProvenanceAttestation: StackValidationPolicy = {
    name: "require-provenance-attestation",
    description: describePolicy({
        what: `Every model image with signing enabled has a provenance attestation resource (${IMAGE_ATTESTATION}) for its digest reference, of the configured predicate type, whose predicate carries every field in requiredPredicateFields.`,
        why: "A signature says who approved the bytes; the attestation says where they came from (source revision, training run, dataset, base image, every model file's digest), and admission checks it.",
        fix: "Keep signing.attestProvenance on (the default) and set the model's provenance in the stack config (models[].provenance.*); ModelRelease attests each image.",
    }),
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: {
        properties: {
            predicateType: { type: "string", default: SLSA_PROVENANCE_V1, description: "The in-toto predicate type the attestation must have." },
            requiredPredicateFields: stringList(DEFAULT_REQUIRED_PREDICATE_FIELDS, "Dot-separated paths below `predicate` that must be present and non-empty."),
        },
    },
    validateStack: (args, reportViolation) => {
        const settings = settingsOf(args, attestationDefaults);
        const images = modelImagesOf(args.resources).filter((i) => i.signingEnabled);
        if (images.length === 0) {
            args.notApplicable("no model image has signing enabled (require-model-signing-enabled reports those)");
        }
        const byReference = new Map<string, { name: string; predicate: unknown }[]>();
        for (const r of args.resources) {
            if (r.type !== IMAGE_ATTESTATION || typeof r.props.reference !== "string" || r.props.predicateType !== settings.predicateType) continue;
            byReference.set(r.props.reference, [...(byReference.get(r.props.reference) ?? []), { name: r.name, predicate: r.props.predicate }]);
        }
        for (const image of images) {
            const attestations = byReference.get(image.reference) ?? [];
            if (attestations.length === 0) {
                reportViolation(
                    `model image ${image.name} ("${image.reference}") has no ${settings.predicateType} attestation resource (${IMAGE_ATTESTATION}) for that reference.`,
                    image.urn,
                );
                continue;
            }
            for (const a of attestations) {
                // An unknown predicate (computed later) is not a missing one: preview shows it once known.
                if (a.predicate === undefined) continue;
                const missing = settings.requiredPredicateFields.filter((f) => !present(field(a.predicate, ...f.split("."))));
                if (missing.length > 0) {
                    reportViolation(
                        `attestation ${a.name} of model image ${image.name} lacks ${missing.map((f) => `predicate.${f}`).join(", ")}; set the model's provenance in the stack config.`,
                        image.urn,
                    );
                }
            }
        }
    },
};
