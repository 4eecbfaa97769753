// The Argo CD Application that syncs one model's manifest bundle, pinned by digest (pure: no Pulumi).
import { BUNDLE_DIRECTORY } from "../oci/bundle";
import type { KubernetesObject } from "./inference-service";

export const IN_CLUSTER_SERVER = "https://kubernetes.default.svc";

export interface ApplicationInput {
    name: string;
    /** Namespace Argo CD runs in (where Applications live). */
    argocdNamespace: string;
    /** Argo CD project. */
    project: string;
    /** Namespace the model's manifests are applied to (created by Argo CD if absent). */
    destinationNamespace: string;
    /** Bundle repository without scheme: `host/repo`. */
    bundleRepository: string;
    /** Bundle manifest digest `sha256:<hex>`. */
    bundleDigest: string;
    /** Extra annotations (provenance). */
    annotations?: Record<string, string>;
}

/** The Application buildApplication renders (`argoproj.io/v1alpha1`). */
export interface ArgoApplication extends KubernetesObject {
    spec: {
        project: string;
        source: { repoURL: string; targetRevision: string; path: string };
        destination: { server: string; namespace: string };
        syncPolicy: { automated: { prune: boolean; selfHeal: boolean }; syncOptions: string[] };
    };
}

/** `oci://host/repo`, the form Argo CD (≥3.1) takes for OCI sources. */
export function ociRepoUrl(repository: string): string {
    if (/^[a-z]+:\/\//.test(repository) || repository.includes("@") || /:[^/]*$/.test(repository.split("/").slice(1).join("/"))) {
        throw new Error(`bundle repository must be host/repo without scheme, tag or digest, got "${repository}"`);
    }
    return `oci://${repository}`;
}

export function buildApplication(input: ApplicationInput): ArgoApplication {
    if (!/^sha256:[a-f0-9]{64}$/.test(input.bundleDigest)) {
        throw new Error(`Application ${input.name}: targetRevision must be a bundle digest sha256:<64 hex>, got "${input.bundleDigest}"`);
    }
    return {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "Application",
        metadata: {
            name: input.name,
            namespace: input.argocdNamespace,
            labels: { "app.kubernetes.io/managed-by": "modelship" },
            annotations: { ...(input.annotations ?? {}) },
            // Deleting the Application (pulumi destroy) deletes what it synced.
            finalizers: ["resources-finalizer.argocd.argoproj.io"],
        },
        spec: {
            project: input.project,
            source: {
                repoURL: ociRepoUrl(input.bundleRepository),
                targetRevision: input.bundleDigest,
                path: BUNDLE_DIRECTORY,
            },
            destination: { server: IN_CLUSTER_SERVER, namespace: input.destinationNamespace },
            syncPolicy: {
                automated: { prune: true, selfHeal: true },
                syncOptions: ["CreateNamespace=true", "ServerSideApply=true"],
            },
        },
    };
}

/**
 * The Argo CD repository Secret for one bundle repository. Argo CD 3.4.4+ treats an `oci://` source
 * without one as git (argo-cd#28517), so it is declared even for an anonymous registry. The password,
 * when there is one, is added by the caller as a Pulumi secret (`stringData.password`).
 */
export function buildRepositorySecret(input: {
    name: string;
    argocdNamespace: string;
    bundleRepository: string;
    plainHttp: boolean;
    username?: string;
}): KubernetesObject & { stringData: Record<string, string> } {
    const stringData: Record<string, string> = {
        type: "oci",
        name: input.name,
        url: ociRepoUrl(input.bundleRepository),
    };
    if (input.username) stringData.username = input.username;
    if (input.plainHttp) stringData.insecureOCIForceHttp = "true";
    return {
        apiVersion: "v1",
        kind: "Secret",
        metadata: {
            name: input.name,
            namespace: input.argocdNamespace,
            labels: { "argocd.argoproj.io/secret-type": "repository", "app.kubernetes.io/managed-by": "modelship" },
        },
        stringData,
    };
}
