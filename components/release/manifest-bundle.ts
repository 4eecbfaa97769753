// ManifestBundle: the rendered Kubernetes YAML of one model, pushed as a single-layer OCI artifact
// Argo CD syncs. The objects are inputs of the push resource (`manifests`), so `pulumi preview` and
// the policy pack see exactly what Argo CD will apply, and the digest is computed while the program
// runs (known at preview).
import * as pulumi from "@pulumi/pulumi";
import type { RegistryConfig } from "../config/schema";
import { composeManifestBundle } from "../oci";
import type { BundleAnnotations, ComposeManifestBundleOptions } from "../oci";
import type { KubernetesObject } from "./inference-service";
import { renderManifestFiles } from "./manifest-files";
import { OciArtifact } from "./oci-artifact";
import { pushConnectionInputs } from "./registry-connection";

export type ManifestBundleComposer = (opts: ComposeManifestBundleOptions) => Promise<{ digest: string; reference: string; files: Record<string, string> }>;

export interface ManifestBundleArgs {
    /** The objects the bundle carries (plain JSON, no secrets). */
    manifests: pulumi.Input<KubernetesObject[]>;
    registry: RegistryConfig;
    /** Repository path without host, e.g. `modelship/iris-manifests`. */
    repository: string;
    registryPassword?: pulumi.Input<string>;
    /** OCI annotations of the bundle manifest (title, version, revision, source). */
    annotations?: BundleAnnotations;
    /** Tag moved to the bundle after the push (Argo CD pins the digest, never this). */
    tag?: string;
    /** Default `composeManifestBundle` from components/oci. */
    composer?: ManifestBundleComposer;
    /** Config path named in push errors, e.g. `models[0] (iris) bundle`. */
    configPath?: string;
}

export class ManifestBundle extends pulumi.ComponentResource {
    /** `host/repo@sha256:…` of the bundle. */
    public readonly reference: pulumi.Output<string>;
    public readonly digest: pulumi.Output<string>;
    /** `host/repo`, for Argo CD's `oci://` repoURL. */
    public readonly repository: pulumi.Output<string>;
    /** file name → YAML, exactly the bundle's files. */
    public readonly files: pulumi.Output<Record<string, string>>;
    public readonly push: OciArtifact;

    constructor(name: string, args: ManifestBundleArgs, opts?: pulumi.ComponentResourceOptions) {
        super("modelship:release:ManifestBundle", name, {}, opts);
        const compose = args.composer ?? composeManifestBundle;
        const { registry } = args;
        const manifests = pulumi.output(args.manifests);
        const composed = manifests.apply((m) => compose({ files: renderManifestFiles(m), registry: registry.host, repository: args.repository, annotations: args.annotations }));
        this.push = new OciArtifact(
            `${name}-push`,
            {
                kind: "manifest-bundle",
                registry: registry.host,
                repository: args.repository,
                reference: composed.apply((c) => c.reference),
                digest: composed.apply((c) => c.digest),
                ...(args.tag ? { tag: args.tag } : {}),
                manifests,
                ...(args.annotations ? { annotations: definedOnly(args.annotations) } : {}),
                ...pushConnectionInputs(registry, args.registryPassword),
                ...(args.configPath ? { configPath: args.configPath } : {}),
            },
            { parent: this },
        );
        this.reference = composed.apply((c) => c.reference);
        this.digest = composed.apply((c) => c.digest);
        this.repository = pulumi.output(`${registry.host}/${args.repository}`);
        this.files = composed.apply((c) => c.files);
        this.registerOutputs({ reference: this.reference, digest: this.digest, repository: this.repository, files: this.files });
    }
}

function definedOnly(a: BundleAnnotations): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(a)) if (v !== undefined && v !== "") out[k] = v;
    return out;
}
