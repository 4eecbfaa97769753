// The push resource: a Pulumi dynamic resource keyed by the artifact's digest. Preview shows the
// digest (computed by the OCI engine while the program runs); `up` recomputes the artifact from the
// recipe in the inputs, refuses if the digest moved, and uploads only what the registry lacks.
//
// The provider's functions are serialised and run in a separate Node process without ts-node, so
// each method loads the implementation (oci-artifact-run.ts) by absolute path: the serialised
// closure captures two path strings, nothing else.
import * as pulumi from "@pulumi/pulumi";
import { loadByPath, tsNodeEntry } from "../oci/provider-process";
import type { KubernetesObject } from "./inference-service";
import type { OciArtifactInputs } from "./oci-artifact-run";

const implementationPath: string = require.resolve("./oci-artifact-run");
const tsNodePath = tsNodeEntry();

function loadImplementation(): typeof import("./oci-artifact-run") {
    return loadByPath(implementationPath, tsNodePath);
}

/** The resource's inputs as the provider receives them: the push recipe, and what only the policy pack reads. */
interface OciArtifactProviderInputs extends OciArtifactInputs {
    signing?: SigningInput;
}

/** What the provider records: its inputs, what the push did, and whether the registry still holds the manifest. */
interface OciArtifactOutputs extends OciArtifactProviderInputs {
    bytesUploaded?: number;
    blobsUploaded?: number;
    present?: boolean;
}

export const ociArtifactProvider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: OciArtifactProviderInputs): Promise<pulumi.dynamic.CreateResult<OciArtifactOutputs>> {
        const result = await loadImplementation().publishArtifact(inputs);
        return { id: inputs.reference, outs: { ...inputs, ...result, present: true } };
    },

    diff(id: string, olds: OciArtifactOutputs, news: OciArtifactProviderInputs): Promise<pulumi.dynamic.DiffResult> {
        // What identifies the artifact: a change replaces it (the old digest stays in the registry).
        const replaceKeys = (["kind", "registry", "repository", "digest"] as const).filter((k) => olds[k] !== news[k]);
        const updateKeys: string[] = (
            ["tag", "reference", "signing", "provenance", "manifests", "annotations", "modelName", "baseImage", "username", "password", "plainHttp", "insecure"] as const
        ).filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
        if (olds.present === false) updateKeys.push("present");
        return Promise.resolve({ changes: replaceKeys.length + updateKeys.length > 0, replaces: replaceKeys, deleteBeforeReplace: false });
    },

    async read(id: string, props: OciArtifactOutputs): Promise<pulumi.dynamic.ReadResult<OciArtifactOutputs>> {
        // A manifest deleted from the registry is recorded as absent, so the next up pushes it again.
        let present: boolean;
        try {
            present = await loadImplementation().artifactPresent(props);
        } catch {
            present = props?.present ?? true; // registry unreachable: say nothing new
        }
        return { id, props: { ...props, present } };
    },

    async update(id: string, olds: OciArtifactOutputs, news: OciArtifactProviderInputs): Promise<pulumi.dynamic.UpdateResult<OciArtifactOutputs>> {
        const result = await loadImplementation().publishArtifact(news);
        return { outs: { ...news, ...result, present: true } };
    },

    async delete(): Promise<void> {
        // Registries are the record of what ran: pushed digests are not deleted (and other stacks may share them).
    },
};

export interface SigningInput {
    enabled: boolean;
    transparencyLog: boolean;
    signatureFormat: string;
}

export interface OciArtifactArgs {
    kind: pulumi.Input<"modelcar-image" | "manifest-bundle">;
    /** Registry host (`host[:port]`). */
    registry: pulumi.Input<string>;
    /** Repository path without the host. */
    repository: pulumi.Input<string>;
    /** `host/repo@sha256:…`, computed at preview by composeModelImage/composeManifestBundle. */
    reference: pulumi.Input<string>;
    digest: pulumi.Input<string>;
    /** Tag moved to the digest after the push (the digest is what deployments pin). */
    tag?: pulumi.Input<string>;
    /** Images: absolute model directory, recomputed at push time. */
    modelDir?: pulumi.Input<string>;
    modelName?: pulumi.Input<string>;
    version?: pulumi.Input<string>;
    /** Images: pinned base image reference. */
    baseImage?: pulumi.Input<string>;
    provenance?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** Images: passed through untouched for the policy pack. */
    signing?: pulumi.Input<SigningInput>;
    /** Bundles: the Kubernetes objects the bundle's YAML encodes (the policy pack reads them). */
    manifests?: pulumi.Input<KubernetesObject[]>;
    /** Bundles: title/version/revision/source annotations; images: extra annotations (full names). Must match what was composed. */
    annotations?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    username?: pulumi.Input<string>;
    /** Registry password; stored as a secret. */
    password?: pulumi.Input<string>;
    /** Plain HTTP (localhost, or with `insecure`). */
    plainHttp?: pulumi.Input<boolean>;
    insecure?: pulumi.Input<boolean>;
    /** Upload in chunks of this many bytes (default: one streamed request per blob). */
    chunkSize?: pulumi.Input<number>;
    /** Blobs uploaded at once (default 4). */
    concurrency?: pulumi.Input<number>;
    /** Config path of what this pushes (`models[0] (iris) image 1.2.0`), named in errors. */
    configPath?: pulumi.Input<string>;
}

export class OciArtifact extends pulumi.dynamic.Resource {
    declare public readonly digest: pulumi.Output<string>;
    declare public readonly reference: pulumi.Output<string>;
    declare public readonly bytesUploaded: pulumi.Output<number>;
    declare public readonly blobsUploaded: pulumi.Output<number>;

    constructor(name: string, args: OciArtifactArgs, opts?: pulumi.CustomResourceOptions) {
        const props = {
            ...args,
            password: args.password === undefined ? undefined : pulumi.secret(args.password),
            bytesUploaded: undefined,
            blobsUploaded: undefined,
            present: undefined,
        };
        super(ociArtifactProvider, name, props, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["password"] }), "modelship", "OciArtifact");
    }
}
