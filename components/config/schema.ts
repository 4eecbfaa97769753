// The stack configuration schema (namespace `modelship`). Pure: no Pulumi imports, so tests and the
// policy pack can use it without mocks. `loadStackConfig` (load.ts) feeds it from `pulumi.Config`.
import { z } from "zod";

/** Chart coordinates. `repository` is an https Helm repo or an `oci://` prefix; override it for mirrors. */
export const chartSchema = z.strictObject({
    repository: z.string().min(1),
    name: z.string().min(1),
    version: z.string().min(1),
});
export type ChartRef = z.infer<typeof chartSchema>;

export const deploymentModes = ["Knative", "Standard"] as const;
export type DeploymentMode = (typeof deploymentModes)[number];

export const signatureFormats = ["legacy", "bundle"] as const;
export type SignatureFormat = (typeof signatureFormats)[number];

export const certManagerSchema = z.strictObject({
    enabled: z.boolean().default(true),
    namespace: z.string().default("cert-manager"),
    chart: chartSchema.default({ repository: "https://charts.jetstack.io", name: "cert-manager", version: "v1.17.0" }),
    values: z.record(z.string(), z.unknown()).default({}),
});

export const kserveSchema = z.strictObject({
    enabled: z.boolean().default(true),
    namespace: z.string().default("kserve"),
    /** Version of the three KServe charts (`kserve-crd`, `kserve-resources`, `kserve-runtime-configs`). */
    version: z.string().default("v0.20.0"),
    /** OCI prefix the KServe charts are pulled from; point it at a mirror for air-gapped clusters. */
    chartRepository: z.string().default("oci://ghcr.io/kserve/charts"),
    deploymentMode: z.enum(deploymentModes).default("Knative"),
    modelcar: z
        .strictObject({
            uid: z.number().int().default(1010),
            cpu: z.string().default("10m"),
            memory: z.string().default("15Mi"),
        })
        .default({ uid: 1010, cpu: "10m", memory: "15Mi" }),
    values: z.record(z.string(), z.unknown()).default({}),
});

export const knativeSchema = z.strictObject({
    /** Installed only when KServe runs in Knative mode; set false where another team runs Knative. */
    enabled: z.boolean().default(true),
    namespace: z.string().default("knative-serving"),
    version: z.string().default("1.21.1"),
    /** Networking layer; Kourier is the light choice. */
    networking: z.enum(["kourier"]).default("kourier"),
    chart: chartSchema.optional(),
});

export const gatewayApiSchema = z.strictObject({
    /** Installed only when KServe runs in Standard mode. */
    enabled: z.boolean().default(true),
    version: z.string().default("v1.5.1"),
    /** Where the standard-install YAML is fetched from (a mirror for air-gapped clusters). */
    manifestUrl: z.string().optional(),
});

export const argocdSchema = z.strictObject({
    enabled: z.boolean().default(true),
    namespace: z.string().default("argocd"),
    chart: chartSchema.default({ repository: "https://argoproj.github.io/argo-helm", name: "argo-cd", version: "9.4.2" }),
    values: z.record(z.string(), z.unknown()).default({}),
});

export const kyvernoSchema = z.strictObject({
    enabled: z.boolean().default(true),
    namespace: z.string().default("kyverno"),
    chart: chartSchema.default({ repository: "https://kyverno.github.io/kyverno/", name: "kyverno", version: "3.9.0" }),
    /** The signature policy is declared even when Kyverno itself is installed by someone else. */
    signaturePolicy: z.boolean().default(true),
    values: z.record(z.string(), z.unknown()).default({}),
});

export const platformSchema = z.strictObject({
    certManager: certManagerSchema.default(certManagerSchema.parse({})),
    kserve: kserveSchema.default(kserveSchema.parse({})),
    knative: knativeSchema.default(knativeSchema.parse({})),
    gatewayApi: gatewayApiSchema.default(gatewayApiSchema.parse({})),
    argocd: argocdSchema.default(argocdSchema.parse({})),
    kyverno: kyvernoSchema.default(kyvernoSchema.parse({})),
});
export type PlatformConfig = z.infer<typeof platformSchema>;

export const registrySchema = z.strictObject({
    /** `host[:port]`, no scheme: `localhost:5000`, `ghcr.io`. */
    host: z.string().min(1),
    /** Repository prefix under which model images and bundles are pushed: `<host>/<prefix>/<model>`. */
    repositoryPrefix: z.string().min(1),
    /** Plain HTTP. Allowed for localhost/127.0.0.1 only, unless `insecure` is also set. */
    plainHttp: z.boolean().default(false),
    /** Explicit acknowledgement that a non-local registry is reached without TLS. */
    insecure: z.boolean().default(false),
    /** Username for the registry; the password is the secret `modelship:registryPassword`. */
    username: z.string().optional(),
});
export type RegistryConfig = z.infer<typeof registrySchema>;

export const signingSchema = z.strictObject({
    enabled: z.boolean().default(true),
    /** cosign key reference: a file path, `env://VAR`, or a KMS URI (`awskms://`, `gcpkms://`, `azurekms://`, `hashivault://`, `k8s://`). */
    key: z.string().optional(),
    /** The public key (PEM text, or a path to a `.pub` file) Kyverno verifies against. */
    publicKey: z.string().optional(),
    /** Upload signatures to the Rekor transparency log (and have Kyverno check it). Off for offline/air-gapped. */
    transparencyLog: z.boolean().default(false),
    /** `legacy` (`.sig` tag, cosign v2 default) or `bundle` (Sigstore bundle, cosign v3 default). */
    signatureFormat: z.enum(signatureFormats).default("legacy"),
});
export type SigningConfig = z.infer<typeof signingSchema>;

export const canarySchema = z.strictObject({
    /** The candidate version's identifier (a label, e.g. `v2`). */
    version: z.string().min(1),
    modelDir: z.string().min(1),
    /** Share of traffic the candidate gets. 0 rolls back (all traffic to the stable version). */
    trafficPercent: z.number().int().min(0).max(99),
});
export type CanaryConfig = z.infer<typeof canarySchema>;

export const provenanceSchema = z.strictObject({
    sourceRevision: z.string().optional(),
    sourceRepository: z.string().optional(),
    trainingRunId: z.string().optional(),
    datasetHash: z.string().optional(),
});
export type ProvenanceConfig = z.infer<typeof provenanceSchema>;

export const modelSchema = z.strictObject({
    /** DNS-1123 label: names the image repository, the InferenceService and the Application. */
    name: z.string().min(1),
    /** The stable version's identifier (a label, e.g. `v1`). */
    version: z.string().min(1),
    /** Directory holding the model files (relative to the project root). */
    modelDir: z.string().min(1),
    /** KServe model format, e.g. `sklearn`, `xgboost`, `onnx`, `huggingface`. */
    format: z.string().min(1),
    /** Serving runtime name; KServe picks one for the format when absent. */
    runtime: z.string().optional(),
    /** Modelcar base image, pinned by digest (busybox, for `sh`). */
    baseImage: z.string().min(1),
    namespace: z.string().default("models"),
    /** Argo CD project of the Application. */
    project: z.string().default("default"),
    resources: z
        .strictObject({ cpu: z.string().default("1"), memory: z.string().default("2Gi") })
        .default({ cpu: "1", memory: "2Gi" }),
    canary: canarySchema.optional(),
    provenance: provenanceSchema.default({}),
    /** `daemonless` (default, digest known at preview) or `docker` (@pulumi/docker Image, custom Dockerfile). */
    builder: z.enum(["daemonless", "docker"]).default("daemonless"),
    dockerfile: z.string().optional(),
});
export type ModelConfig = z.infer<typeof modelSchema>;

export const stackConfigSchema = z.strictObject({
    platform: platformSchema.default(platformSchema.parse({})),
    registry: registrySchema,
    signing: signingSchema.default(signingSchema.parse({})),
    models: z.array(modelSchema).default([]),
});

/** Secrets are separate config keys so they stay Pulumi secrets; here only whether each is present. */
export interface SecretPresence {
    registryPassword: boolean;
    signingKeyPassword: boolean;
}

export type StackConfig = z.infer<typeof stackConfigSchema>;
