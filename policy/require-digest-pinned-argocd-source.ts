import { ResourceValidationPolicy } from "@pulumi/policy";
import { SHA256_DIGEST, globMatches, isOciUri } from "./lib/image-ref";
import { describeObject, kubernetesObjectsOf } from "./lib/kubernetes";
import { describePolicy, settingsOf, stringList } from "./lib/settings";
import { field, isArray, isRecord, stringOf } from "./lib/values";

export interface ArgoSourceSettings {
    /** Globs over oci:// repoURLs allowed to use a tag or version instead of a digest (keep empty). */
    exemptRepoURLs: string[];
}
export const argoSourceDefaults: ArgoSourceSettings = { exemptRepoURLs: [] };

export const requireDigestPinnedArgocdSource: ResourceValidationPolicy = {
    name: "require-digest-pinned-argocd-source",
    description: describePolicy({
        what: "Every Argo CD Application source (spec.source and spec.sources[]) whose repoURL is oci:// has targetRevision sha256:<64 hex>.",
        why: "Argo CD re-resolves tags and ranges on every sync; pinning the bundle digest makes the cluster converge on exactly the manifests the PR preview showed.",
        fix: "Set targetRevision to the manifest bundle's digest (sha256:<hex>); modelship's Application does this from the bundle resource.",
    }),
    enforcementLevel: "mandatory",
    severity: "critical",
    configSchema: {
        properties: {
            exemptRepoURLs: stringList([], "Globs over oci:// repoURLs exempt from digest pinning."),
        },
    },
    validateResource: (args, reportViolation) => {
        const settings = settingsOf(args, argoSourceDefaults);
        for (const located of kubernetesObjectsOf(args.type, args.props)) {
            if (located.kind !== "Application") {
                continue;
            }
            const spec = located.object.spec;
            if (!isRecord(spec)) {
                continue;
            }
            const sources: Array<{ source: unknown; path: string }> = [];
            const single = spec.source;
            if (isRecord(single)) {
                sources.push({ source: single, path: "spec.source" });
            }
            const many = spec.sources;
            if (isArray(many)) {
                many.forEach((source, i) => sources.push({ source, path: `spec.sources[${i}]` }));
            }
            for (const { source, path } of sources) {
                const repoURL = field(source, "repoURL");
                if (!isOciUri(repoURL) || settings.exemptRepoURLs.some((g) => globMatches(g, repoURL))) {
                    continue;
                }
                const revision = field(source, "targetRevision");
                if (typeof revision === "string" && SHA256_DIGEST.test(revision)) {
                    continue;
                }
                const shown = revision === undefined || revision === "" ? "no targetRevision" : `targetRevision "${stringOf(revision)}"`;
                reportViolation(`${describeObject(args.name, located)}: ${path} repoURL "${repoURL}" has ${shown}; ` + "set targetRevision to the bundle digest, sha256:<64 hex>.");
            }
        }
    },
};
