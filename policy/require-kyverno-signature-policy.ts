import { StackValidationPolicy } from "@pulumi/policy";
import { globMatches } from "./lib/image-ref";
import { kubernetesObjectsOf } from "./lib/kubernetes";
import { modelImagesOf } from "./lib/model-images";
import { KYVERNO_IMAGE_VALIDATING_POLICY } from "./lib/types";
import { describePolicy, settingsOf, stringList } from "./lib/settings";
import { field, isArray } from "./lib/values";

export interface KyvernoCoverageSettings {
    /** Globs over `registry/repository` of model images that need no Kyverno policy in this stack. */
    exemptRepositories: string[];
    /** A covering policy must name at least one attestor (an IVP without one verifies nothing). */
    requireAttestors: boolean;
}
export const kyvernoCoverageDefaults: KyvernoCoverageSettings = { exemptRepositories: [], requireAttestors: true };

interface DenyingPolicy {
    readonly name: string;
    readonly globs: string[];
}

function denyingPolicies(resources: ReadonlyArray<{ type: string; name: string; props: Record<string, unknown> }>, requireAttestors: boolean): DenyingPolicy[] {
    const out: DenyingPolicy[] = [];
    for (const r of resources) {
        // An IVP is either declared directly or shipped inside a manifest bundle.
        for (const located of kubernetesObjectsOf(r.type, r.props)) {
            if (located.kind !== "ImageValidatingPolicy") {
                continue;
            }
            if (located.where === "" && r.type !== KYVERNO_IMAGE_VALIDATING_POLICY) {
                continue;
            }
            const spec = located.object.spec ?? {};
            const actions = field(spec, "validationActions");
            if (!isArray(actions) || !actions.includes("Deny")) {
                continue;
            }
            if (requireAttestors) {
                const attestors = field(spec, "attestors");
                if (!(isArray(attestors) && attestors.length > 0)) {
                    continue;
                }
            }
            const references = field(spec, "matchImageReferences");
            const globs = isArray(references) ? references.map((m) => field(m, "glob")).filter((g): g is string => typeof g === "string") : [];
            out.push({ name: located.name, globs });
        }
    }
    return out;
}

export const requireKyvernoSignaturePolicy: StackValidationPolicy = {
    name: "require-kyverno-signature-policy",
    description: describePolicy({
        what: "Every registry/repository that serves a model image is matched by a Kyverno ImageValidatingPolicy in the same stack with validationActions containing Deny and at least one attestor (or is listed in exemptRepositories). The glob must match the reference pods use, registry/repository@sha256:….",
        why: "Signing only protects a cluster that refuses unsigned images; without a denying admission policy a tampered or unsigned model image still runs.",
        fix: "Keep platform.kyverno.signaturePolicy on, or add a matchImageReferences glob such as <registry>/<prefix>/* to the stack's ImageValidatingPolicy with validationActions [Deny].",
    }),
    enforcementLevel: "mandatory",
    severity: "critical",
    configSchema: {
        properties: {
            exemptRepositories: stringList([], "Globs over registry/repository of model images needing no Kyverno policy here."),
            requireAttestors: { type: "boolean", default: true, description: "A covering policy must name an attestor." },
        },
    },
    validateStack: (args, reportViolation) => {
        const settings = settingsOf(args, kyvernoCoverageDefaults);
        const images = modelImagesOf(args.resources);
        if (images.length === 0) {
            args.notApplicable("the stack declares no model images");
        }
        const policies = denyingPolicies(args.resources, settings.requireAttestors);
        for (const image of images) {
            const repository = `${image.registry}/${image.repository}`;
            if (settings.exemptRepositories.some((g) => globMatches(g, repository))) {
                continue;
            }
            const covered = policies.some((p) => p.globs.some((g) => globMatches(g, image.reference)));
            if (!covered) {
                const seen = policies.length === 0 ? "no ImageValidatingPolicy with Deny" : `policies ${policies.map((p) => p.name).join(", ")}`;
                reportViolation(
                    `model image ${image.name} ("${image.reference}") is not covered by a Kyverno ImageValidatingPolicy ` +
                        `with Deny (found ${seen}); add a glob such as "${image.registry}/${image.repository}*" to spec.matchImageReferences.`,
                    image.urn,
                );
            }
        }
    },
};
