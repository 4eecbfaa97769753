// Model releases: images, signatures, InferenceService bundles and Argo CD Applications.
export * from "./signing";
export * from "./inference-service";
export * from "./application";
export { ModelImage, modelcarDockerfile, digestReferenceOf } from "./model-image";
export type { ModelImageArgs, ModelImageComposer } from "./model-image";
export { ImageSignature, imageSignatureProvider, signingEnvironment } from "./image-signature";
export type { ImageSignatureArgs } from "./image-signature";
export { ManifestBundle } from "./manifest-bundle";
export type { ManifestBundleArgs, ManifestBundleComposer } from "./manifest-bundle";
export { ModelRelease, provenanceRecord, releaseRepositories } from "./model-release";
export type { ModelReleaseArgs, ProvenanceRecord, ImageRecord, ModelArtifactsArgs, ModelImages } from "./model-release";
