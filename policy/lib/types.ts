// Type tokens (`args.type`) the policies match on. They are the contract in docs/architecture.md,
// "Resource types the policy pack relies on". CrossGuard's validateResourceOfType never matches
// custom resources, so every policy compares these strings instead.

/** modelship's push resource (model images and manifest bundles). */
export const OCI_ARTIFACT = "pulumi-nodejs:dynamic/modelship:OciArtifact";
/** `kind` input of an OciArtifact that is a modelcar image. */
export const KIND_MODELCAR_IMAGE = "modelcar-image";
/** `kind` input of an OciArtifact that is a manifest bundle (its `manifests` input holds the objects). */
export const KIND_MANIFEST_BUNDLE = "manifest-bundle";

/** modelship's signature resource: `reference` is the signed digest reference, `signer` the tool. */
export const IMAGE_SIGNATURE = "pulumi-nodejs:dynamic/modelship:ImageSignature";
/** modelship's attestation resource: `reference` is the attested digest reference; `predicateType`, `predicate`. */
export const IMAGE_ATTESTATION = "pulumi-nodejs:dynamic/modelship:ImageAttestation";
/** The predicate type of the provenance modelship attests (SLSA provenance v1). */
export const SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1";

export const ARGOCD_APPLICATION = "kubernetes:argoproj.io/v1alpha1:Application";
export const KYVERNO_IMAGE_VALIDATING_POLICY = "kubernetes:policies.kyverno.io/v1:ImageValidatingPolicy";
export const HELM_CHART_V4 = "kubernetes:helm.sh/v4:Chart";
export const HELM_RELEASE_V3 = "kubernetes:helm.sh/v3:Release";
export const HELM_CHART_TYPES: readonly string[] = [HELM_CHART_V4, HELM_RELEASE_V3];

/** Kubernetes kinds whose pod template the image policies read. */
export const WORKLOAD_KINDS: readonly string[] = [
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
    "ServingRuntime",
    "ClusterServingRuntime",
    "InferenceService",
];
