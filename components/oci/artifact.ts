// What composition produces and a push consumes: a manifest, its bytes and digest, and for every
// blob it references, where the blob's bytes come from.
import { canonicalJson, Descriptor, sha256Digest, sortKeysDeep } from "./digest";
import { HashedLayer } from "./layers";
import { OCI_MANIFEST } from "./media-types";
import { parseImageReference } from "./reference";

/** Where a blob's bytes come from when it is pushed. */
export type BlobOrigin =
    { kind: "bytes"; bytes: Buffer } | { kind: "directory"; layer: HashedLayer; modelDir: string } | { kind: "registry"; registry: string; repository: string };

export interface ArtifactBlob {
    descriptor: Descriptor;
    origin: BlobOrigin;
}

export interface ComposedArtifact {
    kind: "modelcar-image" | "manifest-bundle";
    /** Manifest digest. */
    digest: string;
    /** `host/repo@sha256:…` */
    reference: string;
    registry: string;
    repository: string;
    mediaType: string;
    manifest: Record<string, unknown>;
    manifestBytes: Buffer;
    /** Every blob the manifest references, config first. */
    blobs: ArtifactBlob[];
}

/**
 * The common part of every composed artifact: the manifest serialised canonically, its digest and
 * the digest reference. `registry` is used as given (callers pass a normalised host).
 */
export function composedArtifact<K extends ComposedArtifact["kind"]>(
    kind: K,
    registry: string,
    repository: string,
    manifest: Record<string, unknown>,
    blobs: ArtifactBlob[],
): ComposedArtifact & { kind: K } {
    const manifestBytes = Buffer.from(canonicalJson(manifest));
    const digest = sha256Digest(manifestBytes);
    return {
        kind,
        digest,
        reference: `${registry}/${repository}@${digest}`,
        registry,
        repository,
        mediaType: OCI_MANIFEST,
        manifest: sortKeysDeep(manifest) as Record<string, unknown>,
        manifestBytes,
        blobs,
    };
}

/** The push target, host normalised; a repository the reference grammar would read differently is refused. */
export function pushTarget(registry: string, repository: string): { registry: string; repository: string } {
    const target = parseImageReference(`${registry}/${repository}`);
    if (target.repository !== repository) throw new Error(`repository "${repository}" is not a valid repository path`);
    return { registry: target.registry, repository };
}
