// Public API of the OCI engine. Everything except OciArtifact (push.ts) is pure: no Pulumi imports.
export { parseImageReference, makeImageReference, isLoopbackHost } from "./reference";
export type { ImageReference } from "./reference";
export { sha256Digest, canonicalJson } from "./digest";
export type { Descriptor } from "./digest";
export {
    composeModelImage,
    composeManifestBundle,
    renderManifestFiles,
    renderManifestYaml,
    provenanceAnnotations,
    OCI_LAYER_TAR,
    OCI_LAYER_TAR_GZIP,
    MANIFEST_BUNDLE_ARTIFACT_TYPE,
} from "./compose";
export type { ComposeModelImageOptions, ComposeManifestBundleOptions, ComposedArtifact, ComposedModelImage, ComposedManifestBundle, BundleAnnotations } from "./compose";
export { RegistryClient, RegistryError, OCI_MANIFEST } from "./registry";
export type { RegistryConnection, UploadProgress } from "./registry";
export { credentialsFromDockerConfig, dockerConfigJson, dockerConfigPath } from "./auth";
export { directoryLayer, defaultCacheDir } from "./layer";
export { pushArtifact, publishRecipe, recomposeFromRecipe } from "./publish";
export type { ArtifactRecipe, PushOptions, PushResult } from "./publish";
export { OciArtifact } from "./push";
export type { OciArtifactArgs, SigningInput } from "./push";
