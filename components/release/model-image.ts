// ModelImage: one model version as a modelcar image in the registry, addressed by digest.
// Default builder: the daemonless composer (components/oci) — the digest is computed while the
// program runs, so `pulumi preview` already shows `host/repo@sha256:…`, and the push is an
// OciArtifact keyed by that digest. Opt-in builder `docker`: @pulumi/docker's Image with the user's
// Dockerfile or a generated modelcar one; its digest is known only after the push.
import { digestOfReference } from "../oci/reference";
import * as path from "path";
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import type { ProvenanceConfig, RegistryConfig, SigningConfig } from "../config/schema";
import { composeModelImage } from "../oci";
import type { ComposeModelImageOptions } from "../oci";
import { OciArtifact } from "./oci-artifact";
import { pushConnectionInputs, registryConnection } from "./registry-connection";
import { explainRegistryError } from "./registry-hints";

/** What the component needs from the composer (the OCI engine's `composeModelImage`; tests inject a fake). */
export type ModelImageComposer = (opts: ComposeModelImageOptions) => Promise<{ digest: string; reference: string; files?: Record<string, string> }>;

export interface ModelImageArgs {
    modelName: string;
    version: string;
    /** Absolute path of the model files. */
    modelDir: string;
    /** Modelcar base image pinned by digest. */
    baseImage: string;
    registry: RegistryConfig;
    /** Repository path without host, e.g. `modelship/iris`. */
    repository: string;
    /** Registry password (a Pulumi secret); only in the push resource's encrypted inputs. */
    registryPassword?: pulumi.Input<string>;
    provenance?: ProvenanceConfig;
    /**
     * Extra image annotations (full names, e.g. `dev.modelship.mlflow.version`). Carried with the
     * provenance (dotted keys are annotation names as is), so the push recomposes the same digest.
     */
    annotations?: Record<string, string>;
    /** Recorded on the push resource for the policy pack (`require-model-signing-enabled`). */
    signing: Pick<SigningConfig, "enabled" | "transparencyLog" | "signatureFormat">;
    /** `daemonless` (default: digest at preview) or `docker` (custom Dockerfile; needs a Docker daemon). */
    builder?: "daemonless" | "docker";
    /** docker builder: the Dockerfile; default a generated modelcar Dockerfile. */
    dockerfile?: string;
    /** docker builder: generated Dockerfiles go to `<projectDir>/.modelship/dockerfiles` (gitignored). Default the working directory. */
    projectDir?: string;
    /** docker builder: uid the modelcar runs as (KServe's `uidModelcar`), owner of /models. Default 1010. */
    modelcarUid?: number;
    /** Default `composeModelImage` from components/oci. */
    composer?: ModelImageComposer;
    /** Config path named in push errors, e.g. `models[0] (iris) image 1.2.0`. */
    configPath?: string;
    /** Compute every model file's sha256 for the provenance attestation (daemonless builder). Default false. */
    fileDigests?: boolean;
}

/** The modelcar Dockerfile the docker builder generates: model files under /models, owned by the modelcar uid. */
export function modelcarDockerfile(baseImage: string, uid = 1010): string {
    if (!/@sha256:[a-f0-9]{64}$/.test(baseImage)) throw new Error(`base image must be pinned by digest, got "${baseImage}"`);
    return [`FROM ${baseImage}`, `COPY --chown=${uid}:${uid} . /models/`, `USER ${uid}`, ""].join("\n");
}

/** `host/repo@sha256:…` from docker's repoDigest, which may carry a tag (`host/repo:tag@sha256:…`). */
export function digestReferenceOf(repoDigest: string, registry: string, repository: string): string {
    const at = repoDigest.lastIndexOf("@");
    if (at < 0) throw new Error(`docker build of ${registry}/${repository} gave no digest ("${repoDigest}")`);
    return `${registry}/${repository}${repoDigest.slice(at)}`;
}

function provenanceInput(p: ProvenanceConfig | undefined, annotations: Record<string, string> = {}): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(p ?? {})) if (typeof v === "string" && v !== "") out[k] = v;
    for (const [k, v] of Object.entries(annotations)) {
        if (!k.includes(".")) throw new Error(`image annotation "${k}" must be a full name with a dot, e.g. "dev.modelship.mlflow.version"`);
        out[k] = v;
    }
    return out;
}

export class ModelImage extends pulumi.ComponentResource {
    /** `host/repo@sha256:<hex>`; known at preview with the daemonless builder. */
    public readonly reference: pulumi.Output<string>;
    public readonly digest: pulumi.Output<string>;
    /** sha256 of every model file by path (with `fileDigests`; empty otherwise or with the docker builder). */
    public readonly files: pulumi.Output<Record<string, string>>;
    /** The resource that pushes the image (signing depends on it). */
    public readonly push: pulumi.Resource;

    constructor(name: string, args: ModelImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("modelship:release:ModelImage", name, {}, opts);
        const built = args.builder === "docker" ? declareDockerImage(this, name, args) : declareDaemonlessImage(this, name, args);
        this.reference = built.reference;
        this.digest = built.reference.apply(digestOfReference);
        this.push = built.push;
        this.files = built.files;
        this.registerOutputs({ reference: this.reference, digest: this.digest, files: this.files });
    }
}

function declareDaemonlessImage(parent: pulumi.Resource, name: string, args: ModelImageArgs) {
    const compose = args.composer ?? composeModelImage;
    const { registry } = args;
    const provenance = provenanceInput(args.provenance, args.annotations);
    const composeWith = (password?: string) =>
        compose({
            modelDir: args.modelDir,
            modelName: args.modelName,
            version: args.version,
            baseImage: args.baseImage,
            registry: registry.host,
            repository: args.repository,
            connection: registryConnection(registry, password),
            provenance,
            fileDigests: args.fileDigests,
        }).catch((err: unknown) => {
            // Reading the base image at preview: say which model and what to change.
            throw explainRegistryError(err, { configPath: args.configPath });
        });
    // The password is needed in plaintext only to read a private base image; the digest it helps
    // compute is not secret, so it is unsecreted (nothing of the password is in the result).
    const composed =
        registry.username && args.registryPassword !== undefined
            ? pulumi.unsecret(pulumi.output(args.registryPassword).apply((pw) => composeWith(pw)))
            : pulumi.output(composeWith());
    const reference = composed.apply((c) => c.reference);
    const push = new OciArtifact(
        `${name}-image`,
        {
            kind: "modelcar-image",
            registry: registry.host,
            repository: args.repository,
            reference,
            digest: composed.apply((c) => c.digest),
            tag: args.version,
            modelDir: args.modelDir,
            modelName: args.modelName,
            version: args.version,
            baseImage: args.baseImage,
            provenance,
            signing: { enabled: args.signing.enabled, transparencyLog: args.signing.transparencyLog, signatureFormat: args.signing.signatureFormat },
            ...pushConnectionInputs(registry, args.registryPassword),
            ...(args.configPath ? { configPath: args.configPath } : {}),
        },
        { parent },
    );
    return { reference, push, files: composed.apply((c) => c.files ?? {}) };
}

function declareDockerImage(parent: pulumi.Resource, name: string, args: ModelImageArgs) {
    const { registry } = args;
    let dockerfile = args.dockerfile;
    if (!dockerfile) {
        // A generated Dockerfile lives outside the build context, named by model and version.
        const dir = path.resolve(args.projectDir ?? process.cwd(), ".modelship", "dockerfiles");
        dockerfile = path.join(dir, `${args.modelName}-${args.version}.Dockerfile`);
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(dockerfile, modelcarDockerfile(args.baseImage, args.modelcarUid));
    }
    const image = new docker.Image(
        `${name}-docker`,
        {
            imageName: `${registry.host}/${args.repository}:${args.version}`,
            build: { context: args.modelDir, dockerfile, platform: "linux/amd64" },
            ...(registry.username ? { registry: { server: registry.host, username: registry.username, password: args.registryPassword } } : {}),
        },
        { parent },
    );
    const reference = image.repoDigest.apply((d) => digestReferenceOf(d, registry.host, args.repository));
    return { reference, push: image as pulumi.Resource, files: pulumi.output({} as Record<string, string>) };
}
