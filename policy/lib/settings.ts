// Policy settings: the engine passes the per-stack config (policy/config/<stack>.json) through
// `getConfig()`. Defaults are applied here as well as in each configSchema, so a policy behaves
// safely whether or not the engine filled schema defaults in.

const merged = new WeakMap<object, WeakMap<object, object>>();

export function settingsOf<T extends object>(args: { getConfig<U extends object>(): U }, defaults: T): T {
    const given = args.getConfig<Partial<T>>() ?? {};
    // The same config object gives the same settings: skip re-merging per resource.
    const byDefaults = merged.get(given);
    const hit = byDefaults?.get(defaults);
    if (hit) {
        return hit as T;
    }
    const result = mergeSettings(given, defaults);
    if (byDefaults) byDefaults.set(defaults, result);
    else merged.set(given, new WeakMap([[defaults, result]]));
    return result;
}

function mergeSettings<T extends object>(given: Partial<T>, defaults: T): T {
    const merged = { ...defaults } as Record<string, unknown>;
    for (const [key, value] of Object.entries(given)) {
        if (value !== undefined && value !== null && key !== "enforcementLevel") {
            merged[key] = value;
        }
    }
    return merged as T;
}

/** A policy description with the three parts auditors look for. */
export function describePolicy(parts: { what: string; why: string; fix: string }): string {
    return `${parts.what} Why: ${parts.why} Fix: ${parts.fix}`;
}

export const stringList = (defaultValue: string[], description: string) => ({
    type: "array" as const,
    items: { type: "string" as const },
    default: defaultValue,
    description,
});
