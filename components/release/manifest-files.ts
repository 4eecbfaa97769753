// The files of a manifest bundle: one YAML file per Kubernetes object, rendered so the bytes never
// vary (keys sorted, no line folding), named `<kind>-<name>.yaml` in lowercase, sorted by name.
import { stringify } from "yaml";
import { isPlainObject } from "../lib/plain-object";
import { sortKeysDeep } from "../oci/digest";

/** Renders one Kubernetes object as YAML: keys sorted, no line folding, so bytes never vary. */
export function renderManifestYaml(object: Record<string, unknown>): string {
    return stringify(sortKeysDeep(object), { sortMapEntries: true, lineWidth: 0, minContentWidth: 0, aliasDuplicateObjects: false, version: "1.2" });
}

/** Two objects that would share a file name are an error naming both (give them distinct names). */
export function renderManifestFiles(manifests: Array<Record<string, unknown>>): Record<string, string> {
    if (!Array.isArray(manifests) || manifests.length === 0) throw new Error(`manifests must be a non-empty array of Kubernetes objects`);
    const byName = new Map<string, string>();
    manifests.forEach((object, i) => {
        const kind = object?.kind;
        const metadata = object?.metadata;
        const name = isPlainObject(metadata) ? metadata.name : undefined;
        if (typeof kind !== "string" || kind === "") throw new Error(`manifests[${i}].kind is missing; every Kubernetes object needs a kind`);
        if (typeof name !== "string" || name === "") throw new Error(`manifests[${i}].metadata.name is missing (kind ${kind})`);
        const file = `${kind}-${name}.yaml`.toLowerCase().replace(/[^a-z0-9._-]/g, "-");
        if (byName.has(file)) throw new Error(`manifests[${i}] (${kind} ${name}) would be written to ${file}, like an earlier object; give them distinct names`);
        byName.set(file, renderManifestYaml(object));
    });
    const sorted: Record<string, string> = {};
    for (const file of [...byName.keys()].sort()) sorted[file] = byName.get(file)!;
    return sorted;
}
