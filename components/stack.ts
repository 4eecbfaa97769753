// The composition root: the whole program as a function (index.ts only calls it): config → Platform → pull Secrets →
// one ModelRelease per model → outputs. Kept here so tests declare the real graph under mocks.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { StackSecrets } from "./config/load";
import type { KubernetesConfig, StackConfig } from "./config/schema";
import type { ResolvedSources } from "./config/model-sources";
import { Platform } from "./platform/platform";
import { dockerConfigJson } from "./oci/auth";
import { ModelRelease, ProvenanceRecord } from "./release/model-release";
import type { ModelImageComposer } from "./release/model-image";

/** The dockerconfigjson Secret each model namespace gets for a private registry. */
export const PULL_SECRET_NAME = "modelship-registry";

export interface ModelshipStack {
    platform: Platform;
    releases: Record<string, ModelRelease>;
    /** Stack output `models`: the provenance record per model name. */
    models: pulumi.Output<Record<string, ProvenanceRecord>>;
}

export interface DeclareOptions {
    projectDir?: string;
    /** Test seam (the real composer reads the base image from its registry). */
    composeModelImage?: ModelImageComposer;
}

export function declareModelship(
    loaded: {
        config: StackConfig;
        secrets: Pick<StackSecrets, "registryPassword" | "signingKeyPassword">;
        /** Models from MLflow (`modelSource`), resolved before anything is declared (config/model-sources.ts). */
        sources?: ResolvedSources;
    },
    opts: DeclareOptions = {},
): ModelshipStack {
    const { config, secrets } = loaded;
    const projectDir = path.resolve(opts.projectDir ?? process.cwd());
    // One explicit provider when the stack names a context or renders to a directory; otherwise the
    // default provider (current kubectl context). Components pass it on to their children.
    const kubernetes = kubernetesProvider(config.kubernetes, projectDir);
    const k8sOpts: pulumi.ComponentResourceOptions = kubernetes ? { providers: [kubernetes] } : {};
    const platform = new Platform(
        "platform",
        {
            platform: config.platform,
            registry: config.registry,
            signing: config.signing,
            registryPassword: secrets.registryPassword,
        },
        k8sOpts,
    );

    // A private registry: each model namespace gets a pull Secret (never in the bundle: it holds the password).
    const pullSecrets = new Map<string, k8s.core.v1.Secret>();
    if (config.registry.username && secrets.registryPassword) {
        const { host, username } = config.registry;
        for (const ns of [...new Set(config.models.map((m) => m.namespace))].sort()) {
            // A patch (server-side apply upsert), not a Namespace: the namespace may exist already
            // (another team, an earlier Argo CD sync with CreateNamespace=true) and must not clash.
            const namespace = new k8s.core.v1.NamespacePatch(`models-${ns}`, { metadata: { name: ns } }, { dependsOn: platform.readyDependencies, provider: kubernetes });
            pullSecrets.set(
                ns,
                new k8s.core.v1.Secret(
                    `models-${ns}-${PULL_SECRET_NAME}`,
                    {
                        metadata: { name: PULL_SECRET_NAME, namespace: ns },
                        type: "kubernetes.io/dockerconfigjson",
                        stringData: { ".dockerconfigjson": pulumi.secret(secrets.registryPassword.apply((pw) => dockerConfigJson(host, username, pw))) },
                    },
                    { dependsOn: [namespace], provider: kubernetes },
                ),
            );
        }
    }

    const releases: Record<string, ModelRelease> = {};
    config.models.forEach((model, index) => {
        const pullSecret = pullSecrets.get(model.namespace);
        releases[model.name] = new ModelRelease(
            model.name,
            {
                model,
                configPath: `models[${index}] (${model.name})`,
                registry: config.registry,
                signing: config.signing,
                deploymentMode: config.platform.kserve.deploymentMode,
                argocdNamespace: config.platform.argocd.namespace,
                secrets,
                projectDir,
                imagePullSecretName: pullSecret ? PULL_SECRET_NAME : undefined,
                modelcarUid: config.platform.kserve.modelcar.uid,
                platformDependencies: [...platform.readyDependencies, ...(pullSecret ? [pullSecret] : [])],
                composeModelImage: opts.composeModelImage,
                resolvedSources: loaded.sources?.[model.name],
            },
            k8sOpts,
        );
    });
    const names = Object.keys(releases).sort();
    const models = pulumi.all(names.map((n) => releases[n].provenance)).apply((records) => Object.fromEntries(names.map((n, i) => [n, records[i]])));
    return { platform, releases, models };
}

/** The stack's Kubernetes provider, or undefined to use the default one (current kubectl context). */
export function kubernetesProvider(cfg: KubernetesConfig, projectDir: string): k8s.Provider | undefined {
    if (!cfg.context && !cfg.renderYamlToDirectory) {
        return undefined;
    }
    return new k8s.Provider("kubernetes", {
        context: cfg.context,
        renderYamlToDirectory: cfg.renderYamlToDirectory ? path.resolve(projectDir, cfg.renderYamlToDirectory) : undefined,
    });
}
