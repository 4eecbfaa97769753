// Model images (modelcar OciArtifacts) as the stack policies see them.
import { KIND_MODELCAR_IMAGE, OCI_ARTIFACT } from "./types";
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
        const { registry, repository, digest } = r.props;
        const reference = typeof r.props.reference === "string" && r.props.reference !== "" ? r.props.reference : `${String(registry)}/${String(repository)}@${String(digest)}`;
        out.push({
            urn: r.urn,
            name: r.name,
            registry: String(registry),
            repository: String(repository),
            reference,
            signingEnabled: field(r.props.signing, "enabled") === true,
        });
    }
    return out;
}
