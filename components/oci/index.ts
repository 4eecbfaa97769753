// Public API of the OCI engine. No Pulumi imports anywhere in components/oci: the push resource
// that drives it lives in the release layer (release/oci-artifact.ts).
//
// Layers, bottom up: reference/digest/media-types/errors → auth, auth-challenge → transport (HTTP,
// auth, retry, redirects, timeouts) → remote (distribution API) + upload (resumable blob uploads)
// → tar, layers, base-image, image, bundle (composition) → push (parallel upload, mount, manifest
// last) → recipe (what the push resource's provider calls).
export { parseImageReference, makeImageReference, isLoopbackHost, digestOfReference } from "./reference";
export type { ImageReference } from "./reference";
export { sha256Digest, canonicalJson } from "./digest";
export type { Descriptor } from "./digest";
export * as mediaTypes from "./media-types";
export { RegistryError, isRegistryError } from "./errors";
export type { RegistryErrorKind } from "./errors";
export { composeModelImage, modelcarImage, provenanceAnnotations, MODEL_PATH_IN_IMAGE } from "./image";
export type { ComposeModelImageOptions, ComposedModelImage } from "./image";
export { composeManifestBundle, BUNDLE_DIRECTORY } from "./bundle";
export type { ComposeManifestBundleOptions, ComposedManifestBundle, BundleAnnotations } from "./bundle";
export type { ComposedArtifact } from "./artifact";
export { RegistryClient } from "./remote";
export type { RegistryConnection } from "./remote";
export { credentialsFromDockerConfig, dockerConfigJson, dockerConfigPath } from "./auth";
export { directoryLayer, modelLayers } from "./layers";
export { defaultCacheDir } from "./disk-cache";
export { pushArtifact } from "./push";
export type { PushOptions, PushResult } from "./push";
export { formatProgress } from "./progress";
export type { PushProgress } from "./progress";
export { publishRecipe, recomposeFromRecipe, manifestPresent } from "./recipe";
export type { ArtifactRecipe } from "./recipe";
