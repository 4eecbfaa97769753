// Pure helpers shared by the platform pieces: Helm chart coordinates and value merging.
import type { ChartRef } from "../config/schema";
import { isPlainObject } from "../lib/plain-object";

/** The `chart`/`version`/`repositoryOpts` inputs of a `helm.v4.Chart` for a pinned chart reference. */
export interface ChartSource {
    chart: string;
    version: string;
    repositoryOpts?: { repo: string };
}

/**
 * `oci://` prefixes are joined with the chart name (`oci://ghcr.io/kserve/charts/kserve-crd`); an
 * https repository goes to `repositoryOpts.repo` (the same as `helm install --repo`).
 */
export function chartSource(ref: ChartRef): ChartSource {
    if (ref.repository.startsWith("oci://")) {
        return { chart: `${ref.repository.replace(/\/+$/, "")}/${ref.name}`, version: ref.version };
    }
    return { chart: ref.name, version: ref.version, repositoryOpts: { repo: ref.repository } };
}

export type Values = Record<string, unknown>;

/**
 * Deep merge for Helm values: maps merge key by key, anything else (lists included, as Helm does)
 * is replaced by the later value. Inputs are not modified.
 */
export function deepMerge(...layers: Values[]): Values {
    const out: Values = {};
    for (const layer of layers) {
        for (const [k, v] of Object.entries(layer)) {
            const prev = out[k];
            out[k] = isPlainObject(prev) && isPlainObject(v) ? deepMerge(prev, v) : isPlainObject(v) ? deepMerge(v) : v;
        }
    }
    return out;
}
