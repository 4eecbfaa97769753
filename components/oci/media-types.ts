// Media types and annotation keys the engine reads and writes: one home, imported by everyone who
// names them (the platform's Argo CD settings, the policy pack, the tests).

export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
export const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
export const DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
/** What a manifest GET accepts. */
export const MANIFEST_ACCEPT = [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST].join(", ");

export const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
export const OCI_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar";
export const OCI_LAYER_TAR_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
export const OCI_LAYER_TAR_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd";
export const OCI_EMPTY = "application/vnd.oci.empty.v1+json";

/** Docker schema 2 layer types have OCI twins with the same bytes. */
export const LAYER_TYPE_TO_OCI: Readonly<Record<string, string>> = {
    "application/vnd.docker.image.rootfs.diff.tar.gzip": OCI_LAYER_TAR_GZIP,
    "application/vnd.docker.image.rootfs.diff.tar": OCI_LAYER_TAR,
    [OCI_LAYER_TAR]: OCI_LAYER_TAR,
    [OCI_LAYER_TAR_GZIP]: OCI_LAYER_TAR_GZIP,
    [OCI_LAYER_TAR_ZSTD]: OCI_LAYER_TAR_ZSTD,
};

/** Bundles' artifactType: tells tools what the artifact is; Argo CD looks only at the layer. */
export const MANIFEST_BUNDLE_ARTIFACT_TYPE = "application/vnd.modelship.manifest-bundle.v1";

/** Standard OCI annotations. */
export const ANNOTATION_TITLE = "org.opencontainers.image.title";
export const ANNOTATION_VERSION = "org.opencontainers.image.version";
export const ANNOTATION_REVISION = "org.opencontainers.image.revision";
export const ANNOTATION_SOURCE = "org.opencontainers.image.source";
export const ANNOTATION_BASE_NAME = "org.opencontainers.image.base.name";
export const ANNOTATION_BASE_DIGEST = "org.opencontainers.image.base.digest";

/** CNCF ModelPack (model-spec): the file path a layer holds, relative to the model's root. */
export const MODELPACK_FILEPATH = "org.cncf.model.filepath";

/** oras: a layer titled like a directory and marked for unpacking is extracted by `oras pull`. */
export const ORAS_UNPACK = "io.deis.oras.content.unpack";
export const ORAS_CONTENT_DIGEST = "io.deis.oras.content.digest";
