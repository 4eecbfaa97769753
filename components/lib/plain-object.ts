// Helpers every layer may use: generic, no knowledge of modelship, importing nothing of ours.

/** A JSON-style object (what parsed YAML/JSON maps become): not null, not an array. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}
