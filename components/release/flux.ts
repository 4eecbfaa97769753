// The Flux path (pure): for users who reconcile with Flux instead of Argo CD, an OCIRepository that
// pulls the manifest bundle by digest and verifies its cosign signature (`spec.verify`, the stack's
// public key in a Secret), and a Kustomization that applies the bundle's `manifests/` directory.
import { BUNDLE_DIRECTORY } from "../oci/bundle";
import { OCI_LAYER_TAR_GZIP } from "../oci/media-types";
import type { KubernetesObject } from "./inference-service";

export const FLUX_NAMESPACE = "flux-system";

export interface FluxBundleInput {
    /** Names both objects (the model's name). */
    name: string;
    /** Where the Flux objects live; default flux-system. */
    namespace?: string;
    /** `host/repo` of the bundle. */
    bundleRepository: string;
    /** `sha256:…`: the source is pinned to it, never a tag. */
    bundleDigest: string;
    /** Plain HTTP registry (`spec.insecure`). */
    plainHttp?: boolean;
    /** dockerconfigjson Secret with the registry login, in `namespace`. */
    registrySecretName?: string;
    /** Secret holding `cosign.pub` (the stack's public key), in `namespace`; verification is on when set. */
    cosignPublicKeySecretName?: string;
    /** Reconcile interval; default 5m. */
    interval?: string;
}

/** The OCIRepository buildOciRepository renders (`source.toolkit.fluxcd.io/v1`). */
export interface FluxOciRepository extends KubernetesObject {
    spec: {
        url: string;
        ref: { digest: string };
        interval: string;
        layerSelector: { mediaType: string; operation: string };
        insecure?: boolean;
        secretRef?: { name: string };
        verify?: { provider: string; secretRef: { name: string } };
    };
}

/** The Kustomization buildKustomization renders (`kustomize.toolkit.fluxcd.io/v1`). */
export interface FluxKustomization extends KubernetesObject {
    spec: { interval: string; sourceRef: { kind: string; name: string }; path: string; prune: boolean; wait: boolean };
}

const labels = { "app.kubernetes.io/managed-by": "modelship" };

export function buildOciRepository(input: FluxBundleInput): FluxOciRepository {
    if (!/^sha256:[a-f0-9]{64}$/.test(input.bundleDigest)) throw new Error(`the Flux source must be pinned by digest, got "${input.bundleDigest}"`);
    return {
        apiVersion: "source.toolkit.fluxcd.io/v1",
        kind: "OCIRepository",
        metadata: { name: `${input.name}-manifests`, namespace: input.namespace ?? FLUX_NAMESPACE, labels },
        spec: {
            url: `oci://${input.bundleRepository}`,
            ref: { digest: input.bundleDigest },
            interval: input.interval ?? "5m",
            layerSelector: { mediaType: OCI_LAYER_TAR_GZIP, operation: "extract" },
            ...(input.plainHttp ? { insecure: true } : {}),
            ...(input.registrySecretName ? { secretRef: { name: input.registrySecretName } } : {}),
            ...(input.cosignPublicKeySecretName ? { verify: { provider: "cosign", secretRef: { name: input.cosignPublicKeySecretName } } } : {}),
        },
    };
}

export function buildKustomization(input: FluxBundleInput): FluxKustomization {
    return {
        apiVersion: "kustomize.toolkit.fluxcd.io/v1",
        kind: "Kustomization",
        metadata: { name: input.name, namespace: input.namespace ?? FLUX_NAMESPACE, labels },
        spec: {
            interval: input.interval ?? "5m",
            sourceRef: { kind: "OCIRepository", name: `${input.name}-manifests` },
            path: `./${BUNDLE_DIRECTORY}`,
            prune: true,
            wait: true,
        },
    };
}

/** The Secret `spec.verify` reads: Flux takes every `*.pub` key as a trusted cosign public key. */
export function buildCosignPublicKeySecret(name: string, namespace: string, publicKeyPem: string): KubernetesObject {
    if (!/-----BEGIN PUBLIC KEY-----/.test(publicKeyPem)) throw new Error("the cosign public key must be PEM (-----BEGIN PUBLIC KEY-----)");
    return { apiVersion: "v1", kind: "Secret", metadata: { name, namespace, labels }, type: "Opaque", stringData: { "cosign.pub": publicKeyPem } };
}
