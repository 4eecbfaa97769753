// Knative Serving + Kourier for KServe's Knative mode, from the pinned release manifests (no
// operator to run), and Gateway API CRDs for Standard mode. URLs are overridable for mirrors.
import type { PlatformConfig } from "../config/schema";

export interface KnativeManifests {
    crds: string;
    core: string;
    kourier: string;
}

/** Release manifest URLs; with `manifestBaseUrl` all three files are read from that one mirror directory. */
export function knativeManifestUrls(platform: PlatformConfig): KnativeManifests {
    const kn = platform.knative;
    if (kn.manifestBaseUrl) {
        const base = kn.manifestBaseUrl.replace(/\/+$/, "");
        return { crds: `${base}/serving-crds.yaml`, core: `${base}/serving-core.yaml`, kourier: `${base}/kourier.yaml` };
    }
    const serving = `https://github.com/knative/serving/releases/download/knative-v${kn.version}`;
    return {
        crds: `${serving}/serving-crds.yaml`,
        core: `${serving}/serving-core.yaml`,
        kourier: `https://github.com/knative-extensions/net-kourier/releases/download/knative-v${kn.kourierVersion}/kourier.yaml`,
    };
}

/** Knative's ingress class for Kourier, set in `config-network`. */
export const kourierIngressClass = "kourier.ingress.networking.knative.dev";

/** The `config-network` patch that makes Kourier Knative's networking layer. */
export function knativeNetworkPatch(platform: PlatformConfig): {
    metadata: { name: string; namespace: string; annotations: Record<string, string> };
    data: Record<string, string>;
} {
    return {
        metadata: {
            name: "config-network",
            namespace: platform.knative.namespace,
            // serving-core.yaml owns this ConfigMap; take over just this field.
            annotations: { "pulumi.com/patchForce": "true" },
        },
        data: { "ingress-class": kourierIngressClass },
    };
}

/** Gateway API standard-channel CRDs (HTTPRoute, Gateway, ...), pinned. */
export function gatewayApiManifestUrl(platform: PlatformConfig): string {
    const g = platform.gatewayApi;
    return g.manifestUrl ?? `https://github.com/kubernetes-sigs/gateway-api/releases/download/${g.version}/standard-install.yaml`;
}

/** Which of the mode-specific pieces this config installs. */
export function modeDependencies(platform: PlatformConfig): { knative: boolean; gatewayApi: boolean } {
    // Independent of kserve.enabled: turning KServe off removes exactly KServe's resources.
    return {
        knative: platform.kserve.deploymentMode === "Knative" && platform.knative.enabled,
        gatewayApi: platform.kserve.deploymentMode === "Standard" && platform.gatewayApi.enabled,
    };
}
