// The manifest bundle: files (the rendered Kubernetes YAML) under one directory (`manifests/`) of a
// single tar+gzip layer, Argo CD's default OCI layer type, in an OCI artifact. Deterministic: sorted
// tar with fixed metadata, stored (uncompressed) deflate, canonical JSON, so the same files always
// give the same digest.
//
// Readers: Argo CD untars the one content layer and ignores annotations (its Application's
// `path` is the directory, BUNDLE_DIRECTORY). `oras pull` unpacks a layer titled with a directory
// name and marked `io.deis.oras.content.unpack`, after checking the digest of the uncompressed tar
// (`io.deis.oras.content.digest`); it requires every entry to sit under that directory.
import { ComposedArtifact, composedArtifact, pushTarget } from "./artifact";
import { Descriptor, describeBytes, sha256Digest } from "./digest";
import { gzipStored } from "./gzip";
import { ANNOTATION_TITLE, MANIFEST_BUNDLE_ARTIFACT_TYPE, OCI_EMPTY, OCI_LAYER_TAR_GZIP, OCI_MANIFEST, ORAS_CONTENT_DIGEST, ORAS_UNPACK } from "./media-types";
import { planTar, streamTar } from "./tar";

/** The directory the files sit in, inside the layer; an Argo CD Application's `source.path`. */
export const BUNDLE_DIRECTORY = "manifests";

export interface BundleAnnotations {
    title?: string;
    version?: string;
    revision?: string;
    source?: string;
    [key: string]: string | undefined;
}

export interface ComposeManifestBundleOptions {
    /** file name → text: exactly the files the bundle carries. */
    files: Record<string, string>;
    registry: string;
    repository: string;
    /** title/version/revision/source become org.opencontainers.image.*; keys with a dot are used as is. */
    annotations?: BundleAnnotations;
}

export interface ComposedManifestBundle extends ComposedArtifact {
    kind: "manifest-bundle";
    files: Record<string, string>;
    annotations: Record<string, string>;
    /** The content layer (gzip of the tar of `files`). */
    layer: Descriptor;
}

/** The tar of the files under BUNDLE_DIRECTORY (sorted, fixed metadata, ends right after its end-of-archive blocks). */
export async function bundleTar(files: Record<string, string>): Promise<Buffer> {
    const names = Object.keys(files);
    if (names.length === 0) throw new Error(`a manifest bundle needs at least one file`);
    for (const name of names) if (name.includes("/") || name === "" || name.startsWith(".")) throw new Error(`bundle file name "${name}" must be a plain file name`);
    const plan = planTar([
        { archivePath: BUNDLE_DIRECTORY, type: "directory" as const, mode: 0o755, size: 0 },
        ...names.map((name) => {
            const content = Buffer.from(files[name], "utf8");
            return { archivePath: `${BUNDLE_DIRECTORY}/${name}`, type: "file" as const, mode: 0o644, size: content.length, content };
        }),
    ]);
    const parts: Buffer[] = [];
    for await (const chunk of streamTar(plan)) parts.push(chunk);
    return Buffer.concat(parts);
}

export async function composeManifestBundle(opts: ComposeManifestBundleOptions): Promise<ComposedManifestBundle> {
    const target = pushTarget(opts.registry, opts.repository);
    const tar = await bundleTar(opts.files);
    const layerBytes = gzipStored(tar);
    const layer: Descriptor = { ...describeBytes(OCI_LAYER_TAR_GZIP, layerBytes), annotations: bundleLayerAnnotations(sha256Digest(tar)) };
    const emptyConfig = Buffer.from("{}");
    const configDescriptor = describeBytes(OCI_EMPTY, emptyConfig);
    const annotations: Record<string, string> = {};
    for (const [key, value] of Object.entries(opts.annotations ?? {})) {
        if (value === undefined || value === "") continue;
        annotations[key.includes(".") ? key : `org.opencontainers.image.${key}`] = value;
    }
    const manifest = {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: MANIFEST_BUNDLE_ARTIFACT_TYPE,
        config: configDescriptor,
        layers: [layer],
        ...(Object.keys(annotations).length ? { annotations } : {}),
    };
    return {
        ...composedArtifact("manifest-bundle", target.registry, target.repository, manifest, [
            { descriptor: configDescriptor, origin: { kind: "bytes", bytes: emptyConfig } },
            { descriptor: layer, origin: { kind: "bytes", bytes: layerBytes } },
        ]),
        files: opts.files,
        annotations,
        layer,
    };
}

/** What `oras pull` needs to write the files (Argo CD ignores these). */
function bundleLayerAnnotations(tarDigest: string): Record<string, string> {
    return { [ANNOTATION_TITLE]: BUNDLE_DIRECTORY, [ORAS_UNPACK]: "true", [ORAS_CONTENT_DIGEST]: tarDigest };
}
