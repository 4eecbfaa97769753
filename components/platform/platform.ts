// The cluster platform modelship ships onto: cert-manager, KServe (modelcars on) with Knative +
// Kourier or Gateway API by deployment mode, Argo CD (OCI sources) and Kyverno with the signature
// policy. Every piece can be switched off for clusters where another team already runs it.
//
// Server-side apply: the Kubernetes provider applies server-side by default (enableServerSideApply),
// which the large KServe CRDs need. This component never creates a provider; if you pass one, keep
// `enableServerSideApply` at its default.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { DeploymentMode, PlatformConfig, RegistryConfig, SigningConfig } from "../config/schema";
import { argocdChartValues, argocdRedisSecretKey, argocdRedisSecretName, argocdRegistryCredsSecret, registryPrefixUrl } from "./argocd";
import { certManagerChartValues } from "./cert-manager";
import { chartSource } from "./charts";
import { GeneratedPassword } from "./generated-password";
import { gatewayApiManifestUrl, knativeManifestUrls, knativeNetworkPatch, modeDependencies } from "./knative";
import { kserveChartSource, kserveChartValues, kserveRuntimeConfigsValues } from "./kserve";
import { dockerConfigJson } from "../oci/auth";
import { imageValidatingPolicy, kyvernoChartValues, kyvernoRegistrySecretName, signaturePolicyName } from "./kyverno";

export interface PlatformArgs {
    /** `config.platform`: which pieces to install, chart versions/repositories, KServe mode and modelcar settings. */
    platform: PlatformConfig;
    /** `config.registry`: the Argo CD credentials and the Kyverno policy cover `host/repositoryPrefix`. */
    registry: RegistryConfig;
    /** `config.signing`: the policy verifies against `publicKey`, with tlog settings derived from it. No policy when signing is off. */
    signing: SigningConfig;
    /** The `modelship:registryPassword` secret; required when `registry.username` is set. */
    registryPassword?: pulumi.Input<string>;
}

/** What `declarePlatform` creates, by piece; undefined when the piece is off. */
export interface PlatformResources {
    certManager?: { namespace: k8s.core.v1.Namespace; chart: k8s.helm.v4.Chart };
    knative?: { crds: k8s.yaml.v2.ConfigFile; core: k8s.yaml.v2.ConfigFile; kourier: k8s.yaml.v2.ConfigFile; network: k8s.core.v1.ConfigMapPatch };
    gatewayApi?: { crds: k8s.yaml.v2.ConfigFile };
    kserve?: { namespace: k8s.core.v1.Namespace; crds: k8s.helm.v4.Chart; controller: k8s.helm.v4.Chart; runtimes: k8s.helm.v4.Chart };
    argocd?: { namespace: k8s.core.v1.Namespace; redisPassword: GeneratedPassword; redisSecret: k8s.core.v1.Secret; chart: k8s.helm.v4.Chart };
    /** The registry credentials template in Argo CD's namespace (declared even when Argo CD is run by another team). */
    argocdRegistryCreds: k8s.core.v1.Secret;
    kyverno?: { namespace: k8s.core.v1.Namespace; chart: k8s.helm.v4.Chart };
    signaturePolicy?: { policy: k8s.apiextensions.CustomResource; registrySecret?: k8s.core.v1.Secret };
    /** Everything an Application (or anything serving a model) must wait for. */
    readyDependencies: pulumi.Resource[];
}

/** Declares the platform's resources as children of `parent`, named `${name}-<piece>`. */
export function declarePlatform(parent: pulumi.Resource, name: string, args: PlatformArgs): PlatformResources {
    const { platform, registry, signing } = args;
    const opts = (extra: pulumi.CustomResourceOptions = {}): pulumi.CustomResourceOptions => ({ ...extra, parent });
    const namespace = (piece: string, ns: string) => new k8s.core.v1.Namespace(`${name}-${piece}-namespace`, { metadata: { name: ns } }, opts());
    const ready: pulumi.Resource[] = [];
    const out: Partial<PlatformResources> = {};

    if (platform.certManager.enabled) {
        const cm = platform.certManager;
        const ns = namespace("cert-manager", cm.namespace);
        const chart = new k8s.helm.v4.Chart(
            `${name}-cert-manager`,
            { ...chartSource(cm.chart), name: "cert-manager", namespace: cm.namespace, values: certManagerChartValues(platform) },
            opts({ dependsOn: [ns] }),
        );
        out.certManager = { namespace: ns, chart };
        ready.push(chart);
    }

    const mode = modeDependencies(platform);
    if (mode.knative) {
        const urls = knativeManifestUrls(platform);
        const crds = new k8s.yaml.v2.ConfigFile(`${name}-knative-crds`, { file: urls.crds }, opts());
        const core = new k8s.yaml.v2.ConfigFile(`${name}-knative-core`, { file: urls.core }, opts({ dependsOn: [crds] }));
        const kourier = new k8s.yaml.v2.ConfigFile(`${name}-kourier`, { file: urls.kourier }, opts({ dependsOn: [core] }));
        const network = new k8s.core.v1.ConfigMapPatch(`${name}-knative-network`, knativeNetworkPatch(platform), opts({ dependsOn: [core] }));
        out.knative = { crds, core, kourier, network };
        ready.push(crds, core, kourier, network);
    }
    if (mode.gatewayApi) {
        const crds = new k8s.yaml.v2.ConfigFile(`${name}-gateway-api`, { file: gatewayApiManifestUrl(platform) }, opts());
        out.gatewayApi = { crds };
        ready.push(crds);
    }

    if (platform.kserve.enabled) {
        const ks = platform.kserve;
        const ns = namespace("kserve", ks.namespace);
        const crds = new k8s.helm.v4.Chart(
            `${name}-kserve-crd`,
            { ...kserveChartSource(platform, "kserve-crd"), name: "kserve-crd", namespace: ks.namespace },
            opts({ dependsOn: [ns] }),
        );
        // The controller's chart creates cert-manager Issuer/Certificate objects and, in Knative
        // mode, reconciles Knative Services: it waits for both.
        const controllerDeps: pulumi.Resource[] = [ns, crds];
        if (out.certManager) controllerDeps.push(out.certManager.chart);
        if (out.knative) controllerDeps.push(out.knative.core, out.knative.kourier, out.knative.network);
        if (out.gatewayApi) controllerDeps.push(out.gatewayApi.crds);
        const controller = new k8s.helm.v4.Chart(
            `${name}-kserve`,
            { ...kserveChartSource(platform, "kserve-resources"), name: "kserve", namespace: ks.namespace, values: kserveChartValues(platform) },
            opts({ dependsOn: controllerDeps }),
        );
        // ClusterServingRuntimes go through the controller's validating webhook.
        const runtimes = new k8s.helm.v4.Chart(
            `${name}-kserve-runtime-configs`,
            {
                ...kserveChartSource(platform, "kserve-runtime-configs"),
                name: "kserve-runtime-configs",
                namespace: ks.namespace,
                values: kserveRuntimeConfigsValues(platform),
            },
            opts({ dependsOn: [controller] }),
        );
        out.kserve = { namespace: ns, crds, controller, runtimes };
        ready.push(crds, controller, runtimes);
    }

    const argoNs = platform.argocd.namespace;
    let argoNamespaceResource: k8s.core.v1.Namespace | undefined;
    if (platform.argocd.enabled) {
        const ns = namespace("argocd", argoNs);
        argoNamespaceResource = ns;
        // helm.v4.Chart skips the chart's redis-secret-init hook Job; the password it would have made
        // is generated once and kept (encrypted) in state instead.
        const redisPassword = new GeneratedPassword(`${name}-argocd-redis-password`, { bytes: 24 }, opts());
        const redisSecret = new k8s.core.v1.Secret(
            `${name}-argocd-redis`,
            {
                metadata: { name: argocdRedisSecretName, namespace: argoNs, labels: { "app.kubernetes.io/part-of": "argocd", "app.kubernetes.io/managed-by": "modelship" } },
                type: "Opaque",
                stringData: { [argocdRedisSecretKey]: pulumi.secret(redisPassword.value) },
            },
            opts({ dependsOn: [ns] }),
        );
        const chart = new k8s.helm.v4.Chart(
            `${name}-argocd`,
            { ...chartSource(platform.argocd.chart), name: "argocd", namespace: argoNs, values: argocdChartValues(platform) },
            opts({ dependsOn: [ns, redisSecret] }),
        );
        out.argocd = { namespace: ns, redisPassword, redisSecret, chart };
        ready.push(redisSecret, chart);
    }

    const creds = argocdRegistryCredsSecret(platform, registry);
    const password: Record<string, pulumi.Input<string>> = registry.username !== undefined && args.registryPassword !== undefined
        ? { password: pulumi.secret(args.registryPassword) }
        : {};
    const argocdRegistryCreds = new k8s.core.v1.Secret(
        `${name}-argocd-registry-creds`,
        { metadata: creds.metadata, stringData: { ...creds.stringData, ...password } },
        opts({ dependsOn: argoNamespaceResource ? [argoNamespaceResource] : [] }),
    );
    out.argocdRegistryCreds = argocdRegistryCreds;
    ready.push(argocdRegistryCreds);

    let kyvernoNamespaceResource: k8s.core.v1.Namespace | undefined;
    if (platform.kyverno.enabled) {
        const ky = platform.kyverno;
        const ns = namespace("kyverno", ky.namespace);
        kyvernoNamespaceResource = ns;
        const chart = new k8s.helm.v4.Chart(
            `${name}-kyverno`,
            { ...chartSource(ky.chart), name: "kyverno", namespace: ky.namespace, values: kyvernoChartValues(platform) },
            opts({ dependsOn: [ns] }),
        );
        out.kyverno = { namespace: ns, chart };
        ready.push(chart);
    }

    if (signing.enabled && platform.kyverno.signaturePolicy) {
        let registrySecret: k8s.core.v1.Secret | undefined;
        const username = registry.username;
        if (username !== undefined && args.registryPassword !== undefined) {
            registrySecret = new k8s.core.v1.Secret(
                `${name}-kyverno-registry-credentials`,
                {
                    metadata: { name: kyvernoRegistrySecretName, namespace: platform.kyverno.namespace, labels: { "app.kubernetes.io/managed-by": "modelship" } },
                    type: "kubernetes.io/dockerconfigjson",
                    stringData: { ".dockerconfigjson": pulumi.secret(pulumi.output(args.registryPassword).apply((p) => dockerConfigJson(registry.host, username, p))) },
                },
                opts({ dependsOn: kyvernoNamespaceResource ? [kyvernoNamespaceResource] : [] }),
            );
        }
        const manifest = imageValidatingPolicy(registry, signing, { credentialsSecret: registrySecret ? kyvernoRegistrySecretName : undefined });
        // The ImageValidatingPolicy CRD comes from the Kyverno chart.
        const policyDeps: pulumi.Resource[] = [];
        if (out.kyverno) policyDeps.push(out.kyverno.chart);
        if (registrySecret) policyDeps.push(registrySecret);
        const policy = new k8s.apiextensions.CustomResource(`${name}-signature-policy`, manifest, opts({ dependsOn: policyDeps }));
        out.signaturePolicy = { policy, registrySecret };
        ready.push(policy);
    }

    return { ...out, argocdRegistryCreds, readyDependencies: ready };
}

/**
 * The platform as one component. Type token `modelship:platform:Platform`; children are named
 * `${name}-<piece>` (e.g. `${name}-kserve`, `${name}-argocd-registry-creds`).
 */
export class Platform extends pulumi.ComponentResource {
    /** Namespace of Argo CD, where Applications and their repository Secrets go. */
    public readonly argocdNamespace: string;
    /** KServe deployment mode the controller runs with (InferenceService annotations should match). */
    public readonly kserveDeploymentMode: DeploymentMode;
    /** `oci://host/prefix` the Argo CD credentials template covers. */
    public readonly registryUrl: string;
    /** Name of the ImageValidatingPolicy, or undefined when no signature policy is declared. */
    public readonly signaturePolicyName: string | undefined;
    /** What an Application (or anything serving a model) should `dependsOn`: every platform piece declared. */
    public readonly readyDependencies: pulumi.Resource[];
    /** The resources by piece, for callers that need one of them. */
    public readonly resources: PlatformResources;

    constructor(name: string, args: PlatformArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("modelship:platform:Platform", name, {}, opts);
        this.resources = declarePlatform(this, name, args);
        this.argocdNamespace = args.platform.argocd.namespace;
        this.kserveDeploymentMode = args.platform.kserve.deploymentMode;
        this.registryUrl = registryPrefixUrl(args.registry);
        this.signaturePolicyName = this.resources.signaturePolicy ? signaturePolicyName : undefined;
        this.readyDependencies = this.resources.readyDependencies;
        this.registerOutputs({
            argocdNamespace: this.argocdNamespace,
            kserveDeploymentMode: this.kserveDeploymentMode,
            registryUrl: this.registryUrl,
            signaturePolicyName: this.signaturePolicyName,
            readyDependencies: this.readyDependencies,
        });
    }
}
