// The supply chain of each model as the preview plans it, for auditors: model image digest →
// signature → provenance attestation, and the manifest bundle that deploys them → its signature →
// the Argo CD Application pinned to it. Read from the engine's planned resources (their inputs);
// each link is present or missing. Pure.
import { EngineEvent } from "./events";
import { isManifestBundle } from "../lib/kubernetes";
import { bundleReferenceOf } from "../lib/model-images";
import { IMAGE_ATTESTATION, IMAGE_SIGNATURE, ARGOCD_APPLICATION } from "../lib/types";
import { field, stringOf } from "../lib/values";

export interface ChainImage {
    reference: string;
    /** The signature resource's name, or undefined when none signs this reference. */
    signature?: string;
    attestation?: { name: string; predicateType: string };
}

export interface ModelChain {
    /** The bundle's title annotation (the model name), else its repository. */
    model: string;
    bundle: { reference: string; signature?: string };
    images: ChainImage[];
    /** `namespace/name` of the Application whose source is this bundle's digest. */
    application?: string;
    /** True when every link is present. */
    complete: boolean;
}

interface Planned {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
}

function plannedOf(events: readonly EngineEvent[]): Planned[] {
    const byUrn = new Map<string, Planned>();
    for (const e of events) {
        const md = e.resourcePreEvent?.metadata as { urn: string; type: string; new?: { inputs?: Record<string, unknown>; outputs?: Record<string, unknown> } } | undefined;
        if (!md) continue;
        const inputs = md.new?.inputs ?? md.new?.outputs;
        if (!inputs) continue;
        byUrn.set(md.urn, { type: md.type, name: md.urn.split("::").pop()!, inputs });
    }
    return [...byUrn.values()];
}

/** Digest references the bundle's objects run (`oci://…@sha256:…` storage URIs), in order of appearance. */
function imagesOfBundle(manifests: unknown): string[] {
    const found: string[] = [];
    const visit = (v: unknown) => {
        if (typeof v === "string") {
            const m = /^oci:\/\/(.+@sha256:[a-f0-9]{64})$/.exec(v);
            if (m && !found.includes(m[1])) found.push(m[1]);
        } else if (Array.isArray(v)) v.forEach(visit);
        else if (v && typeof v === "object") Object.values(v).forEach(visit);
    };
    visit(manifests);
    return found;
}

export function supplyChainOf(events: readonly EngineEvent[]): ModelChain[] {
    const planned = plannedOf(events);
    const signatureFor = (reference: string) => planned.find((p) => p.type === IMAGE_SIGNATURE && p.inputs.reference === reference)?.name;
    const chains: ModelChain[] = [];
    for (const b of planned.filter((p) => isManifestBundle(p.type, p.inputs))) {
        const reference = bundleReferenceOf(b.inputs);
        const images = imagesOfBundle(b.inputs.manifests).map((image): ChainImage => {
            const att = planned.find((p) => p.type === IMAGE_ATTESTATION && p.inputs.reference === image);
            return { reference: image, signature: signatureFor(image), ...(att ? { attestation: { name: att.name, predicateType: stringOf(att.inputs.predicateType) } } : {}) };
        });
        const app = planned.find(
            (p) =>
                p.type === ARGOCD_APPLICATION &&
                field(p.inputs.spec, "source", "repoURL") === `oci://${stringOf(b.inputs.registry)}/${stringOf(b.inputs.repository)}` &&
                field(p.inputs.spec, "source", "targetRevision") === b.inputs.digest,
        );
        const bundle = { reference, signature: signatureFor(reference) };
        const application = app ? `${stringOf(field(app.inputs.metadata, "namespace") ?? "")}/${stringOf(field(app.inputs.metadata, "name") ?? app.name)}` : undefined;
        const complete = bundle.signature !== undefined && application !== undefined && images.length > 0 && images.every((i) => i.signature && i.attestation);
        chains.push({ model: stringOf(field(b.inputs.annotations, "title") ?? b.inputs.repository), bundle, images, application, complete });
    }
    return chains.sort((a, b) => (a.model < b.model ? -1 : 1));
}

const ok = (v: unknown) => (v ? "✅" : "❌ missing");
const short = (reference: string) => reference.replace(/@sha256:([a-f0-9]{12})[a-f0-9]{52}$/, "@sha256:$1…");

/** Markdown: a table per model, then a Mermaid flowchart of the chain (GitHub renders it). */
export function renderSupplyChain(chains: readonly ModelChain[]): string[] {
    const lines: string[] = ["## Supply chain", ""];
    if (chains.length === 0) return [...lines, "No manifest bundle in this preview.", ""];
    for (const c of chains) {
        lines.push(`### ${c.model} ${c.complete ? "✅ complete" : "❌ incomplete"}`, "");
        lines.push("| Link | Reference | Present |", "|---|---|---|");
        c.images.forEach((i, n) => {
            lines.push(`| model image ${n + 1} | \`${i.reference}\` | ✅ |`);
            lines.push(`| ↳ signature | ${i.signature ? `\`${i.signature}\`` : "—"} | ${ok(i.signature)} |`);
            lines.push(`| ↳ attestation | ${i.attestation ? `\`${i.attestation.name}\` (${i.attestation.predicateType})` : "—"} | ${ok(i.attestation)} |`);
        });
        lines.push(`| manifest bundle | \`${c.bundle.reference}\` | ✅ |`);
        lines.push(`| ↳ signature | ${c.bundle.signature ? `\`${c.bundle.signature}\`` : "—"} | ${ok(c.bundle.signature)} |`);
        lines.push(`| Argo CD Application | ${c.application ? `\`${c.application}\`` : "—"} | ${ok(c.application)} |`);
        lines.push("");
        lines.push("```mermaid", "flowchart LR");
        const node = (id: string, label: string, present: boolean) => `    ${id}["${label.replace(/"/g, "'")}"]${present ? "" : ":::missing"}`;
        c.images.forEach((i, n) => {
            lines.push(node(`img${n}`, `image ${short(i.reference)}`, true));
            lines.push(node(`sig${n}`, i.signature ? `signature ${i.signature}` : "no signature", !!i.signature));
            lines.push(node(`att${n}`, i.attestation ? `attestation ${i.attestation.predicateType}` : "no attestation", !!i.attestation));
            lines.push(`    img${n} --> sig${n}`, `    img${n} --> att${n}`, `    img${n} --> bundle`);
        });
        lines.push(node("bundle", `bundle ${short(c.bundle.reference)}`, true));
        lines.push(node("bsig", c.bundle.signature ? `signature ${c.bundle.signature}` : "no signature", !!c.bundle.signature));
        lines.push(node("app", c.application ? `Application ${c.application}` : "no Application", !!c.application));
        lines.push("    bundle --> bsig", "    bundle --> app", "    classDef missing stroke:#d00,stroke-width:2px,color:#d00", "```", "");
    }
    return lines;
}
