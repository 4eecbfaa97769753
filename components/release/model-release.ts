// ModelRelease: one model from the stack config to an Argo CD Application.
//   ModelImage per version (stable, and the canary when there is one)
//   ImageSignature and ImageAttestation (SLSA provenance) per image, unless the stack turns them off
//   ManifestBundle of the InferenceService (digest at preview), signed like the images
//   Argo CD repository Secret + Application pinned to the bundle digest
// and a provenance record auditors read with `pulumi stack output --json`.
import type { StackSecrets } from "../config/load";
import { digestOfReference } from "../oci/reference";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { attestsProvenance, type DeploymentMode, type ModelConfig, type ProvenanceConfig, type RegistryConfig, type SigningConfig } from "../config/schema";
import type { ResolvedSource } from "../config/model-sources";
import { buildApplication, buildRepositorySecret } from "./application";
import { ImageAttestation } from "./image-attestation";
import { ImageSignature } from "./image-signature";
import { SLSA_PROVENANCE_V1, slsaProvenancePredicate } from "../supply-chain/provenance";
import { buildInferenceService, canaryState, CanaryState, inferenceServiceInputFor, KubernetesObject, PROVENANCE_ANNOTATIONS } from "./inference-service";
import { ManifestBundle, ManifestBundleComposer } from "./manifest-bundle";
import { ModelImage, ModelImageComposer } from "./model-image";
import { attestationLocation, signatureLocation } from "./signing";

export interface ModelReleaseArgs {
    model: ModelConfig;
    /** Where the model is in the stack config, e.g. `models[0] (iris)`; named in push errors. Default `models (<name>)`. */
    configPath?: string;
    registry: RegistryConfig;
    signing: SigningConfig;
    /** KServe deployment mode (platform.kserve.deploymentMode): decides how a canary renders. */
    deploymentMode: DeploymentMode;
    /** Namespace of Argo CD (platform.argocd.namespace), where the Application and its repository Secret live. */
    argocdNamespace: string;
    /** Pulumi secrets from the stack config. */
    secrets?: Pick<StackSecrets, "registryPassword" | "signingKeyPassword">;
    /** Model directories are resolved from here. Default: the working directory (the project root under `pulumi up`). */
    projectDir?: string;
    /** dockerconfigjson Secret in the model's namespace for a private registry (listed in imagePullSecrets). */
    imagePullSecretName?: string;
    /** Modelcar uid (platform.kserve.modelcar.uid), for the docker builder's generated Dockerfile. */
    modelcarUid?: number;
    /** Whatever installs Argo CD, KServe and Kyverno in this stack: the Application waits for it. */
    platformDependencies?: pulumi.Input<pulumi.Resource>[];
    /**
     * Versions whose files come from MLflow (`modelSource`), by version label: the cached model
     * directory, the run's provenance (under the configured one) and the `dev.modelship.mlflow.*`
     * image annotations. Resolved before the release is declared (config/model-sources.ts).
     */
    resolvedSources?: Record<string, ResolvedSource>;
    /** Test seams; default the OCI engine's composers. */
    composeModelImage?: ModelImageComposer;
    composeManifestBundle?: ManifestBundleComposer;
}

export interface ImageRecord {
    version: string;
    /** `host/repo@sha256:…` */
    image: string;
    digest: string;
    /** null when the stack turns signing off. */
    signature: SignatureRecord | null;
    /** The provenance attestation; null when signing or attestations are off. */
    attestation: { predicateType: string; reference: string } | null;
}

export interface SignatureRecord {
    format: "legacy" | "bundle";
    reference: string;
    transparencyLog: boolean;
}

/** The per-model provenance record (stack output). */
export interface ProvenanceRecord {
    model: string;
    namespace: string;
    deploymentMode: DeploymentMode;
    stable: ImageRecord;
    canary: (ImageRecord & { trafficPercent: number }) | null;
    canaryState: CanaryState;
    bundle: { reference: string; digest: string; signature: SignatureRecord | null };
    application: { name: string; namespace: string; project: string; repoURL: string; targetRevision: string };
    source: Record<string, string>;
    signed: boolean;
    /** Present when a version came from MLflow: the model version each alias resolved to, by version label. */
    mlflow?: Record<string, { uri: string; name: string; version: string; runId: string; alias?: string; metrics: Record<string, number> }>;
}

/** Repositories of a model: `<prefix>/<model>` for images, `<prefix>/<model>-manifests` for the bundle. */
export function releaseRepositories(registry: Pick<RegistryConfig, "repositoryPrefix">, model: string): { image: string; bundle: string } {
    return { image: `${registry.repositoryPrefix}/${model}`, bundle: `${registry.repositoryPrefix}/${model}-manifests` };
}

/** Builds the provenance record from known values (pure). */
export function provenanceRecord(input: {
    model: ModelConfig;
    deploymentMode: DeploymentMode;
    signing: SigningConfig;
    stableImage: string;
    canaryImage?: string;
    bundleReference: string;
    application: ProvenanceRecord["application"];
    resolvedSources?: Record<string, ResolvedSource>;
    /** The stable version's provenance (provenanceOf); default computed from `model` and `resolvedSources`. */
    stableProvenance?: ProvenanceConfig;
}): ProvenanceRecord {
    const { model, signing } = input;
    const stableProvenance = input.stableProvenance ?? provenanceOf(model, model.version, input.resolvedSources);
    const signatureOf = (reference: string): SignatureRecord | null =>
        signing.enabled
            ? { format: signing.signatureFormat, reference: signatureLocation(reference, signing.signatureFormat).reference, transparencyLog: signing.transparencyLog }
            : null;
    const imageRecord = (version: string, image: string): ImageRecord => ({
        version,
        image,
        digest: digestOfReference(image),
        signature: signatureOf(image),
        attestation: attestsProvenance(signing) ? { predicateType: SLSA_PROVENANCE_V1, reference: attestationLocation(image, signing.signatureFormat).reference } : null,
    });
    const source: Record<string, string> = {};
    for (const key of Object.keys(PROVENANCE_ANNOTATIONS) as (keyof typeof PROVENANCE_ANNOTATIONS)[]) {
        const v = stableProvenance[key];
        if (v) source[key] = v;
    }
    return {
        model: model.name,
        namespace: model.namespace,
        deploymentMode: input.deploymentMode,
        stable: imageRecord(model.version, input.stableImage),
        canary: model.canary && input.canaryImage ? { ...imageRecord(model.canary.version, input.canaryImage), trafficPercent: model.canary.trafficPercent } : null,
        canaryState: canaryState(model.canary),
        bundle: { reference: input.bundleReference, digest: digestOfReference(input.bundleReference), signature: signatureOf(input.bundleReference) },
        application: input.application,
        source,
        signed: signing.enabled,
        ...(input.resolvedSources && Object.keys(input.resolvedSources).length > 0
            ? {
                  mlflow: Object.fromEntries(
                      Object.entries(input.resolvedSources)
                          .sort(([a], [b]) => (a < b ? -1 : 1))
                          .map(([v, r]) => [v, r.mlflow]),
                  ),
              }
            : {}),
    };
}

/**
 * A version's provenance: when it came from MLflow, the resolved one (resolveModelSources already laid
 * the configured provenance over the run's); otherwise the configured one.
 */
export function provenanceOf(model: Pick<ModelConfig, "provenance">, version: string, resolvedSources?: Record<string, ResolvedSource>): ProvenanceConfig {
    return resolvedSources?.[version]?.provenance ?? model.provenance ?? {};
}

/** provenanceOf for each version of the model (stable, and the canary when there is one), computed once. */
function provenanceByVersion(model: ModelConfig, resolvedSources?: Record<string, ResolvedSource>): Record<string, ProvenanceConfig> {
    const versions = [model.version, ...(model.canary ? [model.canary.version] : [])];
    return Object.fromEntries(versions.map((v) => [v, provenanceOf(model, v, resolvedSources)]));
}

/** What `declareModelImages` and `declareModelBundle` read from the release args. */
export type ModelArtifactsArgs = Pick<
    ModelReleaseArgs,
    | "model"
    | "configPath"
    | "registry"
    | "signing"
    | "deploymentMode"
    | "secrets"
    | "projectDir"
    | "imagePullSecretName"
    | "modelcarUid"
    | "composeModelImage"
    | "composeManifestBundle"
    | "resolvedSources"
>;

export interface ModelImages {
    stableImage: ModelImage;
    canaryImage?: ModelImage;
    /** Stable first, then the canary when there is one. */
    images: ModelImage[];
    /** The version of each entry of `images`. */
    versions: string[];
}

/**
 * The model images of one release: a ModelImage for the stable version and one for the canary, as
 * children of `parent`, named `<name>-<version>`.
 */
function declareModelImages(name: string, args: ModelArtifactsArgs, provenance: Record<string, ProvenanceConfig>, parent: pulumi.Resource): ModelImages {
    const { model, registry, signing } = args;
    const projectDir = args.projectDir ?? process.cwd();
    const repos = releaseRepositories(registry, model.name);
    const secrets = args.secrets ?? {};
    const configPath = args.configPath ?? `models (${model.name})`;
    const image = (version: string, configuredDir: string | undefined) => {
        const resolved = args.resolvedSources?.[version];
        const modelDir = resolved?.modelDir ?? configuredDir;
        if (modelDir === undefined) throw new Error(`${configPath}: version ${version} has neither modelDir nor a resolved modelSource`);
        return new ModelImage(
            `${name}-${version}`,
            {
                modelName: model.name,
                version,
                modelDir: path.resolve(projectDir, modelDir),
                baseImage: model.baseImage,
                registry,
                repository: repos.image,
                registryPassword: secrets.registryPassword,
                provenance: provenance[version],
                annotations: resolved?.annotations,
                signing,
                builder: model.builder,
                dockerfile: model.dockerfile ? path.resolve(projectDir, model.dockerfile) : undefined,
                projectDir,
                modelcarUid: args.modelcarUid,
                composer: args.composeModelImage,
                fileDigests: attestsProvenance(args.signing),
                configPath: `${configPath}${version === model.version ? "" : ".canary"} image ${version}`,
            },
            { parent },
        );
    };
    const stableImage = image(model.version, model.modelDir);
    const canaryImage = model.canary ? image(model.canary.version, model.canary.modelDir) : undefined;
    return {
        stableImage,
        canaryImage,
        images: [stableImage, ...(canaryImage ? [canaryImage] : [])],
        versions: [model.version, ...(model.canary ? [model.canary.version] : [])],
    };
}

/**
 * The InferenceService of the release (buildInferenceService over the images' references) in a
 * ManifestBundle named `<name>-bundle`, child of `parent`.
 */
function declareModelBundle(
    name: string,
    args: ModelArtifactsArgs,
    images: Pick<ModelImages, "stableImage" | "canaryImage">,
    stableProvenance: ProvenanceConfig,
    parent: pulumi.Resource,
): { bundle: ManifestBundle; manifests: pulumi.Output<KubernetesObject[]>; newestVersion: string } {
    const { registry } = args;
    // A model from MLflow: its run's provenance (under the configured one) annotates the InferenceService and the bundle.
    const model: ModelConfig = { ...args.model, provenance: stableProvenance };
    const repos = releaseRepositories(registry, model.name);
    const secrets = args.secrets ?? {};
    const manifests = pulumi
        .all([images.stableImage.reference, images.canaryImage ? images.canaryImage.reference : pulumi.output(undefined)])
        .apply(([stable, canary]): KubernetesObject[] => [
            buildInferenceService(
                inferenceServiceInputFor(
                    model,
                    { stable, canary },
                    {
                        deploymentMode: args.deploymentMode,
                        imagePullSecrets: args.imagePullSecretName ? [args.imagePullSecretName] : [],
                    },
                ),
            ),
        ]);
    const newestVersion = model.canary?.version ?? model.version;
    const bundle = new ManifestBundle(
        `${name}-bundle`,
        {
            manifests,
            registry,
            repository: repos.bundle,
            registryPassword: secrets.registryPassword,
            annotations: {
                title: model.name,
                version: newestVersion,
                revision: model.provenance?.sourceRevision,
                source: model.provenance?.sourceRepository,
            },
            tag: newestVersion,
            composer: args.composeManifestBundle,
            configPath: `${args.configPath ?? `models (${model.name})`} bundle`,
        },
        { parent },
    );
    return { bundle, manifests, newestVersion };
}

export class ModelRelease extends pulumi.ComponentResource {
    public readonly stableImage: ModelImage;
    public readonly canaryImage?: ModelImage;
    public readonly signatures: ImageSignature[];
    /** Provenance attestations of the images (empty when signing or attestations are off). */
    public readonly attestations: ImageAttestation[];
    /** The bundle's signature (undefined when signing is off). */
    public readonly bundleSignature?: ImageSignature;
    public readonly bundle: ManifestBundle;
    public readonly application: k8s.apiextensions.CustomResource;
    public readonly provenance: pulumi.Output<ProvenanceRecord>;
    /** What the Application waits for (platform, repository Secret, pushes, signatures). */
    public readonly applicationDependsOn: pulumi.Input<pulumi.Resource>[];

    constructor(name: string, args: ModelReleaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("modelship:release:ModelRelease", name, {}, opts);
        const { model, registry, signing } = args;
        const repos = releaseRepositories(registry, model.name);
        const secrets = args.secrets ?? {};

        const provenance = provenanceByVersion(model, args.resolvedSources);
        const declared = declareModelImages(name, args, provenance, this);
        this.stableImage = declared.stableImage;
        this.canaryImage = declared.canaryImage;
        const { images, versions } = declared;

        this.signatures = signing.enabled
            ? images.map(
                  (img, i) =>
                      new ImageSignature(
                          `${name}-${versions[i]}-signature`,
                          {
                              reference: img.reference,
                              signing,
                              registry,
                              registryPassword: secrets.registryPassword,
                              signingKeyPassword: secrets.signingKeyPassword,
                          },
                          { parent: this, dependsOn: img.push },
                      ),
              )
            : [];

        const cosignSecrets = { registryPassword: secrets.registryPassword, signingKeyPassword: secrets.signingKeyPassword };
        this.attestations = attestsProvenance(signing)
            ? images.map(
                  (img, i) =>
                      new ImageAttestation(
                          `${name}-${versions[i]}-attestation`,
                          {
                              reference: img.reference,
                              predicate: img.files.apply((files) =>
                                  slsaProvenancePredicate({
                                      modelName: model.name,
                                      version: versions[i],
                                      baseImage: model.baseImage,
                                      files,
                                      provenance: provenance[versions[i]],
                                  }),
                              ),
                              signing,
                              registry,
                              ...cosignSecrets,
                          },
                          // After the signature: cosign v2 writes both through the same image's tags.
                          { parent: this, dependsOn: [img.push, this.signatures[i]] },
                      ),
              )
            : [];

        const { bundle, newestVersion } = declareModelBundle(name, args, declared, provenance[model.version], this);
        this.bundle = bundle;
        this.bundleSignature = signing.enabled
            ? new ImageSignature(`${name}-bundle-signature`, { reference: bundle.reference, signing, registry, ...cosignSecrets }, { parent: this, dependsOn: bundle.push })
            : undefined;

        const platform = args.platformDependencies ?? [];
        const repoSecret = buildRepositorySecret({
            name: `modelship-${model.name}-manifests`,
            argocdNamespace: args.argocdNamespace,
            bundleRepository: `${registry.host}/${repos.bundle}`,
            plainHttp: registry.plainHttp,
            username: registry.username,
        });
        const repositorySecret = new k8s.core.v1.Secret(
            `${name}-repository`,
            {
                metadata: repoSecret.metadata,
                stringData: {
                    ...repoSecret.stringData,
                    ...(registry.username && secrets.registryPassword !== undefined ? { password: pulumi.secret(secrets.registryPassword) } : {}),
                },
            },
            { parent: this, dependsOn: platform },
        );

        const appName = model.name;
        const app = this.bundle.digest.apply((digest) =>
            buildApplication({
                name: appName,
                argocdNamespace: args.argocdNamespace,
                project: model.project,
                destinationNamespace: model.namespace,
                bundleRepository: `${registry.host}/${repos.bundle}`,
                bundleDigest: digest,
                annotations: {
                    "modelship.io/model-version": newestVersion,
                    "modelship.io/canary-state": canaryState(model.canary),
                },
            }),
        );
        // Argo CD must not sync before the images are signed (Kyverno would refuse the pods), the
        // bundle is pushed and its repository Secret exists.
        this.applicationDependsOn = [
            ...platform,
            repositorySecret,
            this.bundle.push,
            ...images.map((i) => i.push),
            ...this.signatures,
            ...this.attestations,
            ...(this.bundleSignature ? [this.bundleSignature] : []),
        ];
        this.application = new k8s.apiextensions.CustomResource(
            `${name}-application`,
            {
                apiVersion: "argoproj.io/v1alpha1",
                kind: "Application",
                metadata: app.apply((a) => a.metadata),
                spec: app.apply((a) => a.spec),
            },
            { parent: this, dependsOn: this.applicationDependsOn },
        );

        this.provenance = pulumi
            .all([this.stableImage.reference, this.canaryImage ? this.canaryImage.reference : pulumi.output(undefined), this.bundle.reference, app])
            .apply(([stableImage, canaryImage, bundleReference, a]) =>
                provenanceRecord({
                    model,
                    deploymentMode: args.deploymentMode,
                    signing,
                    stableImage,
                    canaryImage,
                    bundleReference,
                    resolvedSources: args.resolvedSources,
                    stableProvenance: provenance[model.version],
                    application: {
                        name: a.metadata.name,
                        namespace: a.metadata.namespace!,
                        project: a.spec.project,
                        repoURL: a.spec.source.repoURL,
                        targetRevision: a.spec.source.targetRevision,
                    },
                }),
            );
        this.registerOutputs({ provenance: this.provenance });
    }
}
