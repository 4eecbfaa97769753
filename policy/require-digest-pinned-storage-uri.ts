import { ResourceValidationPolicy } from "@pulumi/policy";
import { digestProblem, globMatches, isOciUri, parseImageRef } from "./lib/image-ref";
import { describeObject, kubernetesObjectsOf, storageUrisOf } from "./lib/kubernetes";
import { describePolicy, settingsOf, stringList } from "./lib/settings";

export interface StorageUriSettings {
    /** Globs over the full `oci://` URI that are allowed unpinned (keep empty). */
    exemptStorageUris: string[];
}
export const storageUriDefaults: StorageUriSettings = { exemptStorageUris: [] };

export const requireDigestPinnedStorageUri: ResourceValidationPolicy = {
    name: "require-digest-pinned-storage-uri",
    description: describePolicy({
        what: "Every InferenceService storageUri/storageUris with oci:// carries @sha256:<64 hex>, whether the InferenceService is declared directly or inside a manifest bundle.",
        why: "A tag can be re-pointed after review; only a digest guarantees that the model KServe mounts is the one the preview showed and Kyverno verified.",
        fix: "Use the model image's digest reference: oci://<registry>/<repository>@sha256:<digest> (ModelRelease does this for you).",
    }),
    enforcementLevel: "mandatory",
    severity: "critical",
    configSchema: {
        properties: {
            exemptStorageUris: stringList([], "Globs over full oci:// storage URIs exempt from digest pinning."),
        },
    },
    validateResource: (args, reportViolation) => {
        const settings = settingsOf(args, storageUriDefaults);
        for (const located of kubernetesObjectsOf(args.type, args.props)) {
            for (const { uri, path } of storageUrisOf(located)) {
                if (!isOciUri(uri) || settings.exemptStorageUris.some((g) => globMatches(g, uri))) {
                    continue;
                }
                const ref = parseImageRef(uri);
                const problem = digestProblem(ref);
                if (problem === undefined) {
                    continue;
                }
                reportViolation(`${describeObject(args.name, located)}: ${path} "${uri}" ${problem}; ` + `use oci://${ref.registry}/${ref.repository}@sha256:<digest>.`);
            }
        }
    },
};
