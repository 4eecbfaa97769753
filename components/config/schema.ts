// The stack configuration schema (namespace `modelship`). Pure: no Pulumi imports, so tests and the
// policy pack can use it without mocks. `loadStackConfig` (load.ts) feeds it from `pulumi.Config`;
// `validateStackConfig` (validate.ts) turns its issues into one message per problem, each with its
// path and the fix.
//
// Messages written here omit the path: the formatter prefixes it ("models[1].baseImage must be ...").
import { z } from "zod";
// Plain HTTP without `insecure` is allowed exactly where the registry client allows it.
import { isPlainObject } from "../lib/plain-object";
import { isLoopbackHost, parseImageReference } from "../oci/reference";
import { DEFAULT_CONCURRENCY } from "../oci/remote";
import { promotionSchema } from "./promotion-schema";
import { mlflowRequiredIssues, mlflowSection, modelSourceChoiceIssues, modelSourceField } from "./mlflow-schema";

/** The provenance fields a model can carry; `signing.requiredProvenance` picks among them. */
export const PROVENANCE_FIELDS = ["sourceRepository", "sourceRevision", "trainingRunId", "datasetHash"] as const;
export type ProvenanceField = (typeof PROVENANCE_FIELDS)[number];

// ---------------------------------------------------------------------------------------------
// Shared formats

/** DNS-1123 label: what Kubernetes accepts for namespaces and most object names. */
export const dns1123LabelPattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A digest-pinned image reference: `name[:tag]@sha256:<64 hex>`. */
export const pinnedImagePattern = /^[^\s@]+@sha256:[a-f0-9]{64}$/;
/** Kubernetes resource quantity (the usual forms: `10m`, `0.5`, `15Mi`, `2Gi`). */
export const quantityPattern = /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
/** OCI distribution repository path components (lowercase, `.`, `_`, `__`, `-` separators), `/`-joined. */
export const repositoryPathPattern = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
/** An exact chart version (optionally `v`-prefixed), never a range. */
export const exactVersionPattern = /^v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

/** `host[:port]` (or `[v6]:port`), no scheme, no path. */
export const registryHostPattern = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)(:[0-9]{1,5})?$/;

/** Example shown wherever a digest-pinned base image is asked for. */
export const pinnedImageExample = "docker.io/library/busybox@sha256:<64 hex>";

/** KMS-like key references: the private key never leaves the KMS. */
export const kmsKeyRefSchemes = ["awskms://", "gcpkms://", "azurekms://", "hashivault://", "k8s://"] as const;

export type KeyRefKind = "file" | "env" | "kms";

/** What kind of cosign key reference `ref` is; `undefined` for an unknown `scheme://`. */
export function keyRefKind(ref: string): KeyRefKind | undefined {
    if (ref.startsWith("env://")) {
        return "env";
    }
    if (kmsKeyRefSchemes.some((s) => ref.startsWith(s))) {
        return "kms";
    }
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(ref)) {
        return undefined;
    }
    return "file";
}

/** Parses `v0.20.1` / `0.20.1` into numbers; undefined when it is not an exact version. */
export function parseVersion(version: string): [number, number, number] | undefined {
    const m = /^v?([0-9]+)\.([0-9]+)\.([0-9]+)/.exec(version);
    return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** a >= b for exact versions. */
export function versionAtLeast(version: string, minimum: string): boolean {
    const a = parseVersion(version);
    const b = parseVersion(minimum);
    if (!a || !b) {
        return false;
    }
    for (let i = 0; i < 3; i++) {
        if (a[i] !== b[i]) {
            return a[i] > b[i];
        }
    }
    return true;
}

// Small helpers so every message says what is wrong and how to fix it.
const requiredString = (what: string) =>
    z.string({
        error: (iss) => (iss.input === undefined ? `is required: ${what}` : `must be a string: ${what}`),
    });
const bool = () => z.boolean({ error: "must be true or false" });

const dns1123Label = (what: string, example: string) =>
    requiredString(what)
        .regex(dns1123LabelPattern, {
            error: `must be a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit), e.g. "${example}"`,
        })
        .max(63, { error: "must be at most 63 characters (a DNS-1123 label)" });

const quantity = (example: string) =>
    requiredString(`a Kubernetes quantity such as "${example}"`).regex(quantityPattern, {
        error: `must be a Kubernetes quantity, e.g. "${example}"`,
    });

const chartRepository = () =>
    requiredString("an https:// Helm repository or an oci:// prefix").regex(/^(https?|oci):\/\/\S+$/, {
        error: 'must be an https:// Helm repository URL or an oci:// registry prefix, e.g. "https://charts.jetstack.io" or "oci://ghcr.io/kserve/charts"',
    });

const exactVersion = (example: string) =>
    requiredString(`an exact version such as "${example}"`).regex(exactVersionPattern, {
        error: `must be an exact version (pinned, not a range), e.g. "${example}"`,
    });

const valuesRecord = () => z.record(z.string(), z.unknown(), { error: "must be a map of Helm values (merged last, over modelship's own)" }).default({});

// ---------------------------------------------------------------------------------------------
// Cross-field checks. They take loosely typed input so `validateStackConfig` can also run them on the
// raw config when some other field failed (zod skips an object's refinements then), and report every
// problem at once. Paths are relative to the object checked, except `stackIssues` (from the root).

/** A problem found by a cross-field check; `path` is zod-style. */
export interface ConfigIssue {
    path: (string | number)[];
    message: string;
}

type Loose = Record<string, unknown>;

function addIssues(ctx: z.RefinementCtx, issues: ConfigIssue[]): void {
    for (const issue of issues) {
        ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
    }
}

export function registryIssues(r: Loose): ConfigIssue[] {
    if (r.plainHttp === true && r.insecure !== true && typeof r.host === "string" && registryHostPattern.test(r.host) && !isLoopbackHost(r.host)) {
        return [
            {
                path: ["plainHttp"],
                message: `is only allowed for a loopback registry (localhost, 127.0.0.0/8, [::1]), not "${r.host}": serve the registry over TLS, or set registry.insecure: true to accept plain HTTP to a non-local registry`,
            },
        ];
    }
    return [];
}

const keyRefHint =
    'a cosign key reference: a file path ("cosign.key"), "env://VAR", or a KMS URI ("awskms://…", "gcpkms://…", "azurekms://…", "hashivault://…", "k8s://ns/secret")';

export function signingIssues(sig: Loose): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    if (sig.enabled === false) {
        return issues;
    }
    if (sig.key === undefined) {
        issues.push({ path: ["key"], message: `is required while signing.enabled is true: set ${keyRefHint}, or set signing.enabled: false` });
    }
    if (sig.publicKey === undefined) {
        issues.push({
            path: ["publicKey"],
            message:
                "is required while signing.enabled is true: Kyverno verifies model images against it; set the PEM text or a path to cosign.pub (cosign public-key --key <key> prints it for KMS keys)",
        });
    }
    // Kyverno 1.19 verifies a legacy (.att) attestation only against a transparency-log entry, even
    // with insecureIgnoreTlog (kyverno#17109): such attestations would be refused at admission.
    if (sig.attestProvenance !== false && sig.signatureFormat === "legacy" && sig.transparencyLog !== true) {
        issues.push({
            path: ["signatureFormat"],
            message:
                'is "legacy" with transparencyLog off, and Kyverno 1.19 cannot verify offline legacy attestations (kyverno#17109), so admission would refuse every model: set signatureFormat: bundle (cosign ≥ 2.6), or transparencyLog: true, or attestProvenance: false',
        });
    }
    return issues;
}

export function modelIssues(m: Loose): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    const canary = isPlainObject(m.canary) ? m.canary : undefined;
    if (canary && typeof m.version === "string" && canary.version === m.version) {
        issues.push({ path: ["canary", "version"], message: `must differ from the stable version "${m.version}": give the candidate its own version, e.g. "v2"` });
    }
    if (m.builder !== "docker" && m.dockerfile !== undefined) {
        issues.push({ path: ["dockerfile"], message: 'is only used with builder "docker": set builder: docker, or remove dockerfile' });
    }
    issues.push(...modelSourceChoiceIssues(m, []));
    if (canary) issues.push(...modelSourceChoiceIssues(canary, ["canary"]));
    return issues;
}

/** Checks that span sections: unique model names; Argo CD with OCI sources; Standard-mode canaries need KServe v0.20+. */
/**
 * Rendering to a directory writes every object as plain YAML, Secrets included (the Kubernetes
 * provider does not encrypt them). Refused while the stack would render one: registry credentials
 * (pull Secrets, Argo CD credentials, Kyverno's registry Secret) or Argo CD (its redis password).
 */
export function renderIssues(kubernetes: unknown, registry: unknown, platform: unknown): ConfigIssue[] {
    const dir = isPlainObject(kubernetes) ? kubernetes.renderYamlToDirectory : undefined;
    if (typeof dir !== "string" || dir === "") return [];
    const reasons: string[] = [];
    if (isPlainObject(registry) && typeof registry.username === "string" && registry.username !== "") {
        reasons.push("registry.username is set (pull Secrets and registry credentials for Argo CD and Kyverno)");
    }
    const argocd = isPlainObject(platform) && isPlainObject(platform.argocd) ? platform.argocd : {};
    if (argocd.enabled !== false) {
        reasons.push("platform.argocd is enabled (its redis password)");
    }
    if (reasons.length === 0) return [];
    return [
        {
            path: ["kubernetes", "renderYamlToDirectory"],
            message: `writes every Kubernetes object to ${dir} as plain YAML, Secrets in clear text, and this stack would render secrets: ${reasons.join("; ")}; apply to a cluster instead (remove renderYamlToDirectory), or render a stack without them`,
        },
    ];
}

/** An empty model list would delete every release the stack shipped: refused unless the stack says so. */
export function emptyModelsIssues(models: unknown, allowEmptyModels: unknown): ConfigIssue[] {
    const empty = models === undefined || (Array.isArray(models) && models.length === 0);
    if (!empty || allowEmptyModels === true) return [];
    return [
        {
            path: ["models"],
            message: "is empty: this stack would ship no model (and delete every release it shipped); add a model, or set allowEmptyModels: true to empty the stack on purpose",
        },
    ];
}

/** Every model (stable and canary share the provenance) sets each field `signing.requiredProvenance` names. */
export function requiredProvenanceIssues(signing: unknown, models: unknown): ConfigIssue[] {
    if (!isPlainObject(signing) || signing.enabled === false || signing.attestProvenance === false || !Array.isArray(signing.requiredProvenance)) return [];
    const required = signing.requiredProvenance.filter((f): f is string => typeof f === "string");
    const issues: ConfigIssue[] = [];
    (Array.isArray(models) ? models : []).forEach((m, i) => {
        const provenance = isPlainObject(m) && isPlainObject(m.provenance) ? m.provenance : {};
        // An MLflow model takes its provenance from its run: checked once resolved (config/model-sources.ts).
        if (isPlainObject(m) && m.modelSource !== undefined) return;
        for (const field of required) {
            if (typeof provenance[field] !== "string" || provenance[field] === "") {
                issues.push({
                    path: ["models", i, "provenance", field],
                    message: `is required by signing.requiredProvenance (admission checks it in the model's provenance attestation): set it, or remove "${field}" from signing.requiredProvenance`,
                });
            }
        }
    });
    return issues;
}

export function stackIssues(platform: unknown, models: unknown): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    const list = Array.isArray(models) ? models : [];
    const firstIndexByName = new Map<string, number>();
    list.forEach((m, i) => {
        const name = isPlainObject(m) && typeof m.name === "string" ? m.name : undefined;
        if (name === undefined) {
            return;
        }
        const first = firstIndexByName.get(name);
        if (first === undefined) {
            firstIndexByName.set(name, i);
        } else {
            issues.push({
                path: ["models", i, "name"],
                message: `"${name}" is already used by models[${first}]: model names must be unique (each names an image repository, an InferenceService and an Application); rename one`,
            });
        }
    });
    const argocdChart = isPlainObject(platform) && isPlainObject(platform.argocd) && isPlainObject(platform.argocd.chart) ? platform.argocd.chart : undefined;
    if (
        argocdChart &&
        argocdChart.name === "argo-cd" &&
        typeof argocdChart.version === "string" &&
        parseVersion(argocdChart.version) &&
        !versionAtLeast(argocdChart.version, "8.3.0")
    ) {
        issues.push({
            path: ["platform", "argocd", "chart", "version"],
            message: `"${argocdChart.version}" installs Argo CD older than 3.1, which has no OCI sources (the manifest bundles are OCI artifacts): use 9.4.17 (Argo CD 3.3)`,
        });
    }
    const kserve = isPlainObject(platform) && isPlainObject(platform.kserve) ? platform.kserve : {};
    const mode = kserve.deploymentMode ?? "Knative";
    const version = kserve.version ?? "v0.20.0";
    if (mode === "Standard" && typeof version === "string" && parseVersion(version) && !versionAtLeast(version, "v0.20.0")) {
        list.forEach((m, i) => {
            if (isPlainObject(m) && m.canary !== undefined) {
                issues.push({
                    path: ["models", i, "canary"],
                    message: `needs KServe v0.20.0 or later in Standard mode (spec.canary), but platform.kserve.version is "${version}": set platform.kserve.version to "v0.20.0", use deploymentMode "Knative", or remove the canary`,
                });
            }
        });
    }
    return issues;
}

// ---------------------------------------------------------------------------------------------
// Platform

/** Chart coordinates. `repository` is an https Helm repo or an `oci://` prefix; override it for mirrors. */
export const chartSchema = z.strictObject({
    repository: chartRepository(),
    name: requiredString("the chart name"),
    version: exactVersion("1.2.3"),
});
export type ChartRef = z.infer<typeof chartSchema>;

export const deploymentModes = ["Knative", "Standard"] as const;
export type DeploymentMode = (typeof deploymentModes)[number];

export const signatureFormats = ["legacy", "bundle"] as const;
export type SignatureFormat = (typeof signatureFormats)[number];

/** Legacy KServe names for the deployment modes, mapped to the current ones for the hint. */
const legacyDeploymentModes: Record<string, DeploymentMode> = { Serverless: "Knative", RawDeployment: "Standard" };

export const certManagerSchema = z.strictObject({
    enabled: bool().default(true),
    namespace: dns1123Label("the namespace cert-manager is installed in", "cert-manager").default("cert-manager"),
    chart: chartSchema.default({ repository: "https://charts.jetstack.io", name: "cert-manager", version: "v1.17.0" }),
    values: valuesRecord(),
});

export const kserveSchema = z.strictObject({
    enabled: bool().default(true),
    namespace: dns1123Label("the namespace KServe is installed in", "kserve").default("kserve"),
    /** Version of the three KServe charts (`kserve-crd`, `kserve-resources`, `kserve-runtime-configs`). */
    version: requiredString('the KServe chart version, e.g. "v0.20.0"')
        .regex(/^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$/, {
            error: 'must be an exact KServe version with its "v" prefix (the charts are tagged that way), e.g. "v0.20.0"',
        })
        .refine((v) => versionAtLeast(v, "v0.17.0"), {
            error: 'must be v0.17.0 or later: modelship installs the kserve-crd, kserve-resources and kserve-runtime-configs charts, which start at v0.17.0; use "v0.20.0"',
            abort: true,
        })
        .default("v0.20.0"),
    /** OCI prefix the KServe charts are pulled from; point it at a mirror for air-gapped clusters. */
    chartRepository: chartRepository().default("oci://ghcr.io/kserve/charts"),
    deploymentMode: z
        .enum(deploymentModes, {
            error: (iss) => {
                const legacy = typeof iss.input === "string" ? legacyDeploymentModes[iss.input] : undefined;
                return legacy
                    ? `must be "Knative" or "Standard"; "${String(iss.input)}" is the legacy name of "${legacy}": use "${legacy}"`
                    : `must be "Knative" or "Standard", got ${JSON.stringify(iss.input)}`;
            },
        })
        .default("Knative"),
    modelcar: z
        .strictObject({
            uid: z
                .number({ error: "must be a number: the non-root uid the modelcar runs as (KServe's default is 1010)" })
                .int({ error: "must be an integer uid, e.g. 1010" })
                .min(1, { error: "must be a non-root uid (1 or more), e.g. 1010" })
                .default(1010),
            cpu: quantity("10m").default("10m"),
            memory: quantity("15Mi").default("15Mi"),
        })
        .default({ uid: 1010, cpu: "10m", memory: "15Mi" }),
    /** Helm values for kserve-resources, merged last; values under `runtimeConfigs` go to kserve-runtime-configs instead. */
    values: valuesRecord(),
});

export const knativeSchema = z.strictObject({
    /** Installed only when KServe runs in Knative mode; set false where another team runs Knative. */
    enabled: bool().default(true),
    namespace: dns1123Label("the namespace Knative Serving runs in", "knative-serving").default("knative-serving"),
    /** Knative Serving and net-kourier release (both are released as `knative-v<version>`). */
    version: requiredString('the Knative release, e.g. "1.21.1"')
        .regex(/^[0-9]+\.[0-9]+\.[0-9]+$/, { error: 'must be an exact Knative release without a "v", e.g. "1.21.1"' })
        .default("1.21.1"),
    /** net-kourier release; its patch releases differ from Serving's (Serving 1.21.1 pairs with Kourier 1.21.0). */
    kourierVersion: requiredString('the net-kourier release, e.g. "1.21.0"')
        .regex(/^[0-9]+\.[0-9]+\.[0-9]+$/, { error: 'must be an exact net-kourier release without a "v", e.g. "1.21.0"' })
        .default("1.21.0"),
    /** Networking layer; Kourier is the light choice. */
    networking: z.enum(["kourier"], { error: 'must be "kourier" (the networking layer modelship installs)' }).default("kourier"),
    /**
     * Base URL the release manifests are fetched from, for mirrors/air-gapped clusters. The files
     * `serving-crds.yaml`, `serving-core.yaml` and `kourier.yaml` must sit under it. Default: the
     * GitHub releases of knative/serving and knative-extensions/net-kourier.
     */
    manifestBaseUrl: z.url({ error: "must be an http(s) URL under which serving-crds.yaml, serving-core.yaml and kourier.yaml are served" }).optional(),
});

export const gatewayApiSchema = z.strictObject({
    /** Installed only when KServe runs in Standard mode. */
    enabled: bool().default(true),
    version: requiredString('the Gateway API release, e.g. "v1.5.1"')
        .regex(/^v[0-9]+\.[0-9]+\.[0-9]+$/, { error: 'must be an exact Gateway API release with its "v", e.g. "v1.5.1"' })
        .default("v1.5.1"),
    /** Where the standard-install YAML is fetched from (a mirror for air-gapped clusters). */
    manifestUrl: z.url({ error: "must be an http(s) URL of standard-install.yaml" }).optional(),
});

export const argocdSchema = z.strictObject({
    enabled: bool().default(true),
    namespace: dns1123Label("the namespace Argo CD runs in", "argocd").default("argocd"),
    chart: chartSchema.default({ repository: "https://argoproj.github.io/argo-helm", name: "argo-cd", version: "9.4.17" }),
    values: valuesRecord(),
});

export const kyvernoSchema = z.strictObject({
    enabled: bool().default(true),
    namespace: dns1123Label("the namespace Kyverno runs in", "kyverno").default("kyverno"),
    chart: chartSchema.default({ repository: "https://kyverno.github.io/kyverno/", name: "kyverno", version: "3.9.0" }),
    /** The signature policy is declared even when Kyverno itself is installed by someone else. */
    signaturePolicy: bool().default(true),
    values: valuesRecord(),
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

// ---------------------------------------------------------------------------------------------
// Registry

export const registrySchema = z
    .strictObject({
        /** `host[:port]`, no scheme: `localhost:5000`, `ghcr.io`. */
        host: requiredString('the registry host[:port], e.g. "localhost:5000" or "ghcr.io"')
            .refine((h) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(h), {
                error: (iss) =>
                    `must be host[:port] without a scheme: use "${String(iss.input)
                        .replace(/^[a-z][a-z0-9+.-]*:\/\//i, "")
                        .replace(/\/.*$/, "")}" (set registry.plainHttp for http)`,
                abort: true,
            })
            .regex(registryHostPattern, {
                error: 'must be host[:port] with no path, e.g. "localhost:5000" or "ghcr.io" (put the path in registry.repositoryPrefix)',
            }),
        /** Repository prefix under which model images and bundles are pushed: `<host>/<prefix>/<model>`. */
        repositoryPrefix: requiredString('the repository prefix, e.g. "modelship" or "my-org/models"').regex(repositoryPathPattern, {
            error: 'must be a lowercase repository path without leading or trailing "/", e.g. "my-org/models"',
        }),
        /** Plain HTTP. Allowed for a loopback registry only (localhost, 127.0.0.0/8, [::1]), unless `insecure` is also set. */
        plainHttp: bool().default(false),
        /** Explicit acknowledgement that a non-local registry is reached without TLS. */
        insecure: bool().default(false),
        /** Username for the registry; the password is the secret `modelship:registryPassword`. */
        username: requiredString("the registry username").min(1, { error: "must not be empty; remove it for an anonymous registry" }).optional(),
        /** Blobs (model files) uploaded at once per model. 4 fills a fast link without starving the registry. */
        concurrency: z
            .number({ error: "must be a number of parallel uploads from 1 to 16, e.g. 4" })
            .int({ error: "must be a whole number from 1 to 16" })
            .min(1, { error: "must be from 1 to 16 (1 uploads one blob at a time)" })
            .max(16, { error: "must be from 1 to 16; more parallel uploads rarely help and load the registry" })
            .default(DEFAULT_CONCURRENCY),
        /** Upload each blob in PATCH chunks of this many MiB instead of one streamed PUT (registries or proxies that cap request size). */
        chunkSizeMiB: z
            .number({ error: "must be a number of MiB from 5 to 1024, e.g. 64" })
            .int({ error: "must be a whole number of MiB" })
            .min(5, { error: "must be at least 5 (MiB; registries refuse smaller chunks)" })
            .max(1024, { error: "must be at most 1024 (MiB)" })
            .optional(),
    })
    .superRefine((r, ctx) => addIssues(ctx, registryIssues(r)));
export type RegistryConfig = z.infer<typeof registrySchema>;

// ---------------------------------------------------------------------------------------------
// Signing

export const signingSchema = z
    .strictObject({
        enabled: bool().default(true),
        /** cosign key reference: a file path, `env://VAR`, or a KMS URI (`awskms://`, `gcpkms://`, `azurekms://`, `hashivault://`, `k8s://`). */
        key: requiredString(keyRefHint)
            .min(1, { error: `must not be empty; set ${keyRefHint}` })
            .refine((k) => keyRefKind(k) !== undefined, {
                error: (iss) => `has an unknown scheme "${String(iss.input).split("://")[0]}://"; use ${keyRefHint}`,
            })
            .refine((k) => !k.startsWith("env://") || /^env:\/\/[A-Za-z_][A-Za-z0-9_]*$/.test(k), {
                error: 'must name an environment variable after env://, e.g. "env://COSIGN_PRIVATE_KEY"',
            })
            .optional(),
        /** The public key (PEM text, or a path to a `.pub` file) Kyverno verifies against. `loadStackConfig` resolves a path to PEM. */
        publicKey: requiredString("PEM text or a path to cosign.pub")
            .min(1, { error: "must not be empty; set the PEM text or a path to cosign.pub" })
            .refine((k) => !/PRIVATE KEY-----/.test(k), {
                error: 'is a private key: give the public key (cosign.pub, "-----BEGIN PUBLIC KEY-----"), never the private one',
                abort: true,
            })
            .refine((k) => !k.includes("-----BEGIN") || /-----BEGIN PUBLIC KEY-----[\s\S]+-----END PUBLIC KEY-----/.test(k), {
                error: 'must be a PEM public key ("-----BEGIN PUBLIC KEY----- … -----END PUBLIC KEY-----"), as written by cosign generate-key-pair',
            })
            .optional(),
        /** Upload signatures to the Rekor transparency log (and have Kyverno check it). Off for offline/air-gapped. */
        transparencyLog: bool().default(false),
        /** `bundle` (Sigstore bundle as an OCI referrer; cosign v3 default, cosign ≥ 2.6; default) or `legacy` (`.sig`/`.att` tags). */
        signatureFormat: z
            .enum(signatureFormats, {
                error: (iss) => `must be "legacy" (.sig tag, cosign v2) or "bundle" (Sigstore bundle, cosign v3), got ${JSON.stringify(iss.input)}`,
            })
            .default("bundle"),
        /** Major version of the `cosign` on PATH where `pulumi up` runs: v3 needs other flags for the same result (UPSTREAM: offline signing). */
        cosignVersion: z.union([z.literal(2), z.literal(3)], { error: "must be 2 or 3: the major version of the cosign CLI that signs (`cosign version`)" }).default(2),
        /** Attach an in-toto SLSA provenance attestation to every model image (`cosign attest`, same key and format), checked by admission. */
        attestProvenance: bool().default(true),
        /** Provenance fields every model must set; the attestation must carry them and admission checks they are there. */
        requiredProvenance: z
            .array(
                z.enum(PROVENANCE_FIELDS, {
                    error: (iss) => `must list provenance fields (${PROVENANCE_FIELDS.join(", ")}), got ${JSON.stringify(iss.input)}`,
                }),
                { error: `must be a list of provenance fields, e.g. ["sourceRevision", "trainingRunId"]` },
            )
            .default([]),
    })
    .superRefine((sig, ctx) => addIssues(ctx, signingIssues(sig)));
export type SigningConfig = z.infer<typeof signingSchema>;

/** Whether model images get a provenance attestation (`cosign attest`), which admission then checks: signing on and `attestProvenance`. */
export function attestsProvenance(signing: Pick<SigningConfig, "enabled" | "attestProvenance">): boolean {
    return signing.enabled && signing.attestProvenance;
}

/** The provenance fields every model must carry: `signing.requiredProvenance` while attestations are on, none otherwise. */
export function requiredProvenanceOf(signing: Pick<SigningConfig, "enabled" | "attestProvenance" | "requiredProvenance">): ProvenanceField[] {
    return attestsProvenance(signing) ? signing.requiredProvenance : [];
}

// ---------------------------------------------------------------------------------------------
// Models

export const canarySchema = z.strictObject({
    /** The candidate version's identifier (a label, e.g. `v2`). */
    version: dns1123Label("the candidate version's identifier", "v2"),
    /** The candidate's model files; or `modelSource` (exactly one of the two). */
    modelDir: requiredString("the candidate's model directory").min(1, { error: "must not be empty: the candidate's model directory" }).optional(),
    /** The candidate as an MLflow registered model, `models:/<name>@<alias>` or `models:/<name>/<version>`. */
    modelSource: modelSourceField().optional(),
    /** Share of traffic the candidate gets. 0 rolls back (all traffic to the stable version). */
    trafficPercent: z
        .number({ error: "must be a number from 0 to 99 (0 rolls back; promote by making the candidate the model's version)" })
        .int({ error: "must be a whole number from 0 to 99" })
        .min(0, { error: "must be from 0 to 99 (0 rolls back; to promote, make the candidate the model's version and remove canary)" })
        .max(99, { error: "must be from 0 to 99 (0 rolls back; to promote, make the candidate the model's version and remove canary)" }),
});

const provenanceField = (what: string) => requiredString(what).optional();

export const provenanceSchema = z.strictObject({
    sourceRevision: provenanceField("the source revision (commit) the model was trained from"),
    sourceRepository: provenanceField("the source repository URL"),
    trainingRunId: provenanceField("the training run id"),
    datasetHash: provenanceField("the dataset digest").refine((h) => h === undefined || /^(sha256|sha512):[a-f0-9]+$/.test(h), {
        error: 'must be "<algorithm>:<hex>", e.g. "sha256:<64 hex>"',
    }),
});
export type ProvenanceConfig = z.infer<typeof provenanceSchema>;

/** Why the engine's parser refuses `ref`, or undefined when it parses. */
function imageReferenceProblem(ref: string): string | undefined {
    try {
        parseImageReference(ref);
        return undefined;
    } catch (err) {
        return (err as Error).message;
    }
}

export const modelSchema = z
    .strictObject({
        /** DNS-1123 label: names the image repository, the InferenceService and the Application. */
        name: dns1123Label("the model name", "iris"),
        /** The stable version's identifier (a label, e.g. `v1`). */
        version: dns1123Label("the stable version's identifier", "v1"),
        /** Directory holding the model files (relative to the project root); or `modelSource` (exactly one of the two). */
        modelDir: requiredString('the model directory, e.g. "models/iris/v1"').min(1, { error: 'must not be empty, e.g. "models/iris/v1"' }).optional(),
        /**
         * An MLflow registered model, `models:/<name>@<alias>` or `models:/<name>/<version>`, resolved
         * through `mlflow.trackingUri` on every run (preview too) and cached by content.
         */
        modelSource: modelSourceField().optional(),
        /** KServe model format, e.g. `sklearn`, `xgboost`, `onnx`, `huggingface`. */
        format: requiredString('the KServe model format, e.g. "sklearn"').min(1, { error: 'must not be empty, e.g. "sklearn"' }),
        /** Serving runtime name; KServe picks one for the format when absent. */
        runtime: dns1123Label("the serving runtime", "kserve-sklearnserver").optional(),
        /** Modelcar base image, pinned by digest (busybox, for `sh`). */
        baseImage: requiredString(`the modelcar base image pinned by digest, e.g. ${pinnedImageExample}`)
            .regex(pinnedImagePattern, { error: `must be pinned by digest, e.g. ${pinnedImageExample}`, abort: true })
            // The same parser the image builder uses, so a reference it would refuse fails here, with its path.
            .refine((ref) => imageReferenceProblem(ref) === undefined, {
                error: (iss) => `is not a valid image reference: ${imageReferenceProblem(String(iss.input))}`,
            }),
        namespace: dns1123Label("the namespace the InferenceService runs in", "models").default("models"),
        /** Argo CD project of the Application. */
        project: requiredString("the Argo CD project").default("default"),
        resources: z.strictObject({ cpu: quantity("1").default("1"), memory: quantity("2Gi").default("2Gi") }).default({ cpu: "1", memory: "2Gi" }),
        canary: canarySchema.optional(),
        provenance: provenanceSchema.default({}),
        /** `daemonless` (default, digest known at preview) or `docker` (@pulumi/docker Image, custom Dockerfile). */
        builder: z
            .enum(["daemonless", "docker"], {
                error: '"daemonless" (default, digest known at preview) or "docker" (@pulumi/docker with your dockerfile or a generated one; needs a Docker daemon)',
            })
            .default("daemonless"),
        dockerfile: requiredString("the Dockerfile path").optional(),
        /** Allow modelDir / canary.modelDir outside the project directory (checked by `loadStackConfig`). */
        allowOutsideProject: bool().default(false),
    })
    .superRefine((m, ctx) => addIssues(ctx, modelIssues(m)));
export type ModelConfig = z.infer<typeof modelSchema>;

// ---------------------------------------------------------------------------------------------
// Whole stack

/**
 * Where Kubernetes objects go. Default: the current kubectl context. `renderYamlToDirectory` writes
 * every object as YAML to a directory instead (no cluster needed: CI previews, air-gapped reviews,
 * the clusterless quickstart); Helm charts are still fetched to render, so switch the chart-based
 * platform pieces off when their repositories are out of reach.
 */
export const kubernetesSchema = z.strictObject({
    /** kubeconfig context to use; default the current context. */
    context: z.string().min(1).optional(),
    /** Directory (relative to the project root) the YAML is written to instead of a cluster. */
    renderYamlToDirectory: z.string().min(1).optional(),
});
export type KubernetesConfig = z.infer<typeof kubernetesSchema>;

export const stackConfigSchema = z
    .strictObject({
        kubernetes: kubernetesSchema.default({}),
        platform: platformSchema.default(platformSchema.parse({})),
        registry: registrySchema,
        // `prefault`, not `default`: an absent section is parsed as `{}`, so signing is on and its
        // key and public key are asked for (defaults are security decisions).
        signing: signingSchema.prefault({}),
        models: z.array(modelSchema, { error: "must be a list of models" }).default([]),
        /** Lets `models` be empty: the stack then ships nothing and deletes every release it shipped. */
        allowEmptyModels: bool().default(false),
        /** Metrics-gated promotion (`npm run promote`); its own file: promotion-schema.ts. */
        promotion: promotionSchema.optional(),
        /** The MLflow tracking server models with `modelSource` are resolved from; its own file: mlflow-schema.ts. */
        mlflow: mlflowSection,
    })
    .superRefine((cfg, ctx) =>
        addIssues(ctx, [
            ...emptyModelsIssues(cfg.models, cfg.allowEmptyModels),
            ...requiredProvenanceIssues(cfg.signing, cfg.models),
            ...stackIssues(cfg.platform, cfg.models),
            ...renderIssues(cfg.kubernetes, cfg.registry, cfg.platform),
            ...mlflowRequiredIssues(cfg.mlflow, cfg.models),
        ]),
    );

/** Secrets are separate config keys so they stay Pulumi secrets; here only whether each is present. */
export interface SecretPresence {
    registryPassword: boolean;
    signingKeyPassword: boolean;
    /** Bearer token for the MLflow tracking server (optional). */
    mlflowToken?: boolean;
}

export type StackConfig = z.infer<typeof stackConfigSchema>;
