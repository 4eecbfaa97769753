// Values of arbitrary shape (resource props, the Kubernetes objects inside them, engine JSON) are
// `unknown` and narrowed where they are read. The guards look at nothing but the value they are
// given: under the engine's props proxy a policy reads exactly the fields it names, no more, so
// reading an unknown-during-preview value still happens where (and only where) it did.

/** A non-null object, arrays included: something whose fields can be read by key. */
export function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null;
}

/** `Array.isArray` with `unknown` elements. */
export function isArray(value: unknown): value is readonly unknown[] {
    return Array.isArray(value);
}

/**
 * `value?.[key]?.[key2]…` for a value of unknown shape: the field at that path of keys, or
 * undefined when a step on the way is not an object.
 */
export function field(value: unknown, ...keys: string[]): unknown {
    let v = value;
    for (const key of keys) {
        v = isRecord(v) ? v[key] : undefined;
    }
    return v;
}

/** A value of arbitrary shape as a message shows it: `String(value)`, what a template literal prints. */
export function stringOf(value: unknown): string {
    return String(value);
}
