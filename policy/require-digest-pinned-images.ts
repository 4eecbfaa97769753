import { ResourceValidationPolicy } from "@pulumi/policy";
import { digestProblem, globMatches, parseImageRef } from "./lib/image-ref";
import { describeObject, imagesOf, kubernetesObjectsOf } from "./lib/kubernetes";
import { describePolicy, settingsOf, stringList } from "./lib/settings";

export interface PinnedImagesSettings {
    /** Globs over image references (as written) allowed without a digest. */
    exemptImages: string[];
}
export const pinnedImagesDefaults: PinnedImagesSettings = { exemptImages: [] };

export const requireDigestPinnedImages: ResourceValidationPolicy = {
    name: "require-digest-pinned-images",
    description: describePolicy({
        what: "Every container, init container and ephemeral container image of Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs, ServingRuntimes and InferenceServices — declared directly or inside a manifest bundle — is pinned by @sha256:<64 hex>.",
        why: "Tags are mutable; a digest makes what runs reproducible, lets Kyverno verify the exact signed bytes and lets KServe pull with IfNotPresent.",
        fix: "Append the digest (image:tag@sha256:<hex>; `crane digest image:tag` prints it), or add a reviewed glob to exemptImages.",
    }),
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: {
        properties: {
            exemptImages: stringList([], "Globs over image references allowed without a digest."),
        },
    },
    validateResource: (args, reportViolation) => {
        const settings = settingsOf(args, pinnedImagesDefaults);
        for (const located of kubernetesObjectsOf(args.type, args.props)) {
            for (const { image, path } of imagesOf(located)) {
                if (settings.exemptImages.some((g) => globMatches(g, image))) {
                    continue;
                }
                const problem = digestProblem(parseImageRef(image));
                if (problem !== undefined) {
                    reportViolation(`${describeObject(args.name, located)}: ${path} "${image}" ${problem}.`);
                }
            }
        }
    },
};
