// Every policy of the pack, in report order. Pure: importing this starts no server, so tests, the
// bench and the report writer use it; only index.ts hands it to `new PolicyPack`.
import { Policies } from "@pulumi/policy";
import { disallowMutableImageTags } from "./disallow-mutable-image-tags";
import { limitCanaryTraffic } from "./limit-canary-traffic";
import { requireArgocdAutomatedSync } from "./require-argocd-automated-sync";
import { requireBundleSignature } from "./require-bundle-signature";
import { requireDigestPinnedArgocdSource } from "./require-digest-pinned-argocd-source";
import { requireDigestPinnedImages } from "./require-digest-pinned-images";
import { requireDigestPinnedStorageUri } from "./require-digest-pinned-storage-uri";
import { requireExactHelmChartVersion } from "./require-exact-helm-chart-version";
import { requireKyvernoSignaturePolicy } from "./require-kyverno-signature-policy";
import { requireModelSignature } from "./require-model-signature";
import { requireModelSigningEnabled } from "./require-model-signing-enabled";
import { requireProvenanceAnnotations } from "./require-provenance-annotations";
import { requireProvenanceAttestation } from "./require-provenance-attestation";
import { restrictImageRegistries } from "./restrict-image-registries";

export const POLICY_PACK_NAME = "modelship";

export const policies: Policies = [
    requireDigestPinnedStorageUri,
    requireDigestPinnedArgocdSource,
    requireDigestPinnedImages,
    disallowMutableImageTags,
    requireExactHelmChartVersion,
    requireKyvernoSignaturePolicy,
    requireModelSigningEnabled,
    requireModelSignature,
    requireProvenanceAttestation,
    requireBundleSignature,
    requireProvenanceAnnotations,
    limitCanaryTraffic,
    restrictImageRegistries,
    requireArgocdAutomatedSync,
];

export {
    disallowMutableImageTags,
    limitCanaryTraffic,
    requireArgocdAutomatedSync,
    requireBundleSignature,
    requireDigestPinnedArgocdSource,
    requireDigestPinnedImages,
    requireDigestPinnedStorageUri,
    requireExactHelmChartVersion,
    requireKyvernoSignaturePolicy,
    requireModelSignature,
    requireModelSigningEnabled,
    requireProvenanceAnnotations,
    requireProvenanceAttestation,
    restrictImageRegistries,
};
