// Argo CD with OCI sources: chart values, the redis auth Secret the chart's hook would have made,
// and the registry credentials Secret. Pure builders; secrets are filled in by the component.
import type { PlatformConfig, RegistryConfig } from "../config/schema";
import { OCI_LAYER_TAR, OCI_LAYER_TAR_GZIP } from "../oci/media-types";
import { deepMerge, Values } from "./charts";

/** Layer media type of OCI Helm charts; Argo CD's repo-server accepts it by default. */
export const HELM_CHART_LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";

/**
 * The layer media types the repo-server extracts from OCI sources: Argo CD's own default list.
 * Our bundles are `tar+gzip`; the Helm chart type stays so other Applications' OCI Helm charts keep
 * syncing (this setting replaces the default list, it does not add to it).
 */
export const ociLayerMediaTypes = [OCI_LAYER_TAR, OCI_LAYER_TAR_GZIP, HELM_CHART_LAYER] as const;

/** Name and key Argo CD's components read the redis password from (fixed by Argo CD, not by the release name). */
export const argocdRedisSecretName = "argocd-redis";
export const argocdRedisSecretKey = "auth";

/**
 * Values of the argo-cd chart.
 * - `configs.params["reposerver.oci.layer.media.types"]`: the layer media types the repo-server
 *   extracts from an OCI source, listed explicitly so our bundle's type is accepted whatever the
 *   code default of the running version (see `ociLayerMediaTypes`).
 * - `redisSecretInit.enabled: false`: the chart makes the redis password in a Helm hook Job, and
 *   `helm.v4.Chart` skips hooks; the component declares the `argocd-redis` Secret itself.
 * The user's `platform.argocd.values` are merged last.
 */
export function argocdChartValues(platform: PlatformConfig): Values {
    const ours: Values = {
        configs: {
            params: {
                "reposerver.oci.layer.media.types": ociLayerMediaTypes.join(","),
            },
        },
        redisSecretInit: { enabled: false },
    };
    return deepMerge(ours, platform.argocd.values);
}

/** `oci://host/prefix`: every model's image and bundle repository lives under it. */
export function registryPrefixUrl(registry: RegistryConfig): string {
    return `oci://${registry.host}/${registry.repositoryPrefix}`;
}

export interface ArgocdRegistrySecretManifest {
    metadata: { name: string; namespace: string; labels: Record<string, string> };
    /** Everything but the password, which the component adds as a Pulumi secret. */
    stringData: Record<string, string>;
}

/**
 * The Argo CD credentials Secret for the model registry: a `repo-creds` credential template for
 * `oci://host/prefix`, so every bundle repository under the prefix (one per model, added later)
 * gets the credentials and the plain-HTTP flag by URL prefix without a platform change. Each
 * ModelRelease still declares an exact `repository` Secret for its bundle (Argo CD 3.4.4+ treats
 * an `oci://` source without one as git, argo-cd#28517); this template is what covers a bundle
 * repository before or without that, and keeps one place for the registry's credentials.
 */
export function argocdRegistryCredsSecret(platform: PlatformConfig, registry: RegistryConfig): ArgocdRegistrySecretManifest {
    const stringData: Record<string, string> = {
        type: "oci",
        url: registryPrefixUrl(registry),
        name: "modelship-registry",
    };
    if (registry.username !== undefined) {
        stringData.username = registry.username;
    }
    if (registry.plainHttp) {
        stringData.insecureOCIForceHttp = "true";
    }
    return {
        metadata: {
            name: "modelship-registry-creds",
            namespace: platform.argocd.namespace,
            labels: { "argocd.argoproj.io/secret-type": "repo-creds", "app.kubernetes.io/managed-by": "modelship" },
        },
        stringData,
    };
}
