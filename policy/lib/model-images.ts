// Model images (modelcar OciArtifacts) as the stack policies see them.
import { IMAGE_SIGNATURE, KIND_MODELCAR_IMAGE, OCI_ARTIFACT } from "./types";
import { field } from "./values";

export interface ModelImage {
    readonly urn: string;
    readonly name: string;
    readonly registry: string;
    readonly repository: string;
    /** `host/repo@sha256:…`: what the InferenceService and Kyverno see. */
    readonly reference: string;
    readonly signingEnabled: boolean;
}

export interface ResourceLike {
    type: string;
    name: string;
    urn: string;
    props: Record<string, unknown>;
}

export function isModelImage(resource: { type: string; props: Record<string, unknown> }): boolean {
    return resource.type === OCI_ARTIFACT && resource.props.kind === KIND_MODELCAR_IMAGE;
}

export function modelImagesOf(resources: readonly ResourceLike[]): ModelImage[] {
    const out: ModelImage[] = [];
    for (const r of resources) {
        if (!isModelImage(r)) {
            continue;
        }
        out.push({
            urn: r.urn,
            name: r.name,
            registry: String(r.props.registry),
            repository: String(r.props.repository),
            reference: bundleReferenceOf(r.props),
            signingEnabled: field(r.props.signing, "enabled") === true,
        });
    }
    return out;
}

/**
 * The digest reference (`host/repo@sha256:…`) of an OciArtifact's props — a manifest bundle or a
 * model image: its `reference` when that is a non-empty string, else `registry/repository@digest`.
 */
export function bundleReferenceOf(props: Record<string, unknown>): string {
    return typeof props.reference === "string" && props.reference !== "" ? props.reference : `${String(props.registry)}/${String(props.repository)}@${String(props.digest)}`;
}

/** The references some signature resource (ImageSignature) signs; with `requireCosign`, only cosign's. */
export function signedReferences(resources: readonly { type: string; props: Record<string, unknown> }[], requireCosign: boolean): Set<string> {
    const signed = new Set<string>();
    for (const r of resources) {
        if (r.type !== IMAGE_SIGNATURE || typeof r.props.reference !== "string") {
            continue;
        }
        if (requireCosign && r.props.signer !== "cosign") {
            continue;
        }
        signed.add(r.props.reference);
    }
    return signed;
}
