// Dynamic providers run their methods in a separate Node process, from serialised closures, and
// without ts-node. So a provider captures two path strings (its implementation module and ts-node)
// and loads the implementation by path in whatever process runs it. Keeping the closures this small
// keeps serialisation from dragging whole modules (and their state) along.

/** ts-node's entry point when it is installed (a TypeScript checkout), else undefined (compiled JS). */
export function tsNodeEntry(): string | undefined {
    try {
        return require.resolve("ts-node");
    } catch {
        return undefined;
    }
}

/** Requires `implementationPath`, registering ts-node first when the path is a .ts file. */
export function loadByPath<T>(implementationPath: string, tsNodePath: string | undefined): T {
    if (implementationPath.endsWith(".ts") && tsNodePath) {
        const registered = (process as unknown as { [k: symbol]: unknown })[Symbol.for("ts-node.register.instance")];
        if (!registered) requireByPath<typeof import("ts-node")>(tsNodePath).register({ transpileOnly: true });
    }
    return requireByPath<T>(implementationPath);
}

/** The module at an absolute path, typed as the caller says (require() itself returns `any`). */
function requireByPath<T>(modulePath: string): T {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the path is known only in the provider's process, and the load must be synchronous: no static import can do it
    return require(modulePath) as T;
}
