// Runs CrossGuard policies the way the engine's analyzer does (node_modules/@pulumi/policy/server.js),
// without constructing a PolicyPack (its constructor starts a gRPC server):
// - props are wrapped in a Proxy like `unknownCheckingProxy` (proxy.js): reading a value that is the
//   engine's "unknown during preview" sentinel throws; the engine then reports an *advisory*
//   "can't run policy … during preview" diagnostic instead of the policy's result. The harness
//   records the read path and reports the same downgrade.
// - `getConfig()` returns the policy's config without `enforcementLevel` (makeGetConfigFun); the
//   effective level is config's, else the policy's, else the pack's default (mandatory).
// - `notApplicable(reason)` throws a sentinel the harness records; violations reported after it
//   are not reached, as in the engine.
// - props are read-only here (the engine gives each validation its own copy; a write is a bug).
// - a violation message is the description, a newline, then the policy's message (makeReportViolationFun).
import type {
    EnforcementLevel,
    Policy,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";

/**
 * The engine's unknown sentinels (@pulumi/policy proxy.js). Preview sends an unknown input as one of
 * these strings; `UNKNOWN` (the string one) is what most inputs become. A test checks these stay
 * equal to the library's.
 */
export const UNKNOWN_SENTINELS = {
    boolean: "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
    number: "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
    string: "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
    array: "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
    asset: "030794c1-ac77-496b-92df-f27374a8bd58",
    archive: "e48ece36-62e2-4504-bad9-02848725956a",
    object: "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
} as const;
export const UNKNOWN: string = UNKNOWN_SENTINELS.string;
const unknownValues: ReadonlySet<unknown> = new Set(Object.values(UNKNOWN_SENTINELS));

/** Thrown by the props proxy when a policy reads an unknown value (the engine's UnknownValueError). */
export class UnknownValueRead extends Error {
    constructor(readonly path: string) {
        super(`value at .${path} can't be known during preview`);
    }
}

class NotApplicableSignal extends Error {
    constructor(readonly reason: string | undefined) {
        super(reason ?? "Policy does not apply");
    }
}

/** A property path as a linked list, turned into a string only when an unknown value is read. */
interface PathNode {
    readonly parent?: PathNode;
    readonly key: string;
}
const pathString = (node: PathNode | undefined): string => (node ? (node.parent ? `${pathString(node.parent)}.${node.key}` : node.key) : "");

/**
 * Wraps props like the engine: every nested read goes through the proxy; unknown reads throw.
 * Children's proxies are cached per wrap (the engine makes a new one per read; the reads behave the
 * same, the bench allocates less).
 */
export function unknownCheckingProps<T>(value: T, reads: string[] = []): T {
    const cache = new WeakMap<object, object>();
    const wrap = (target: object, at: PathNode | undefined): object => {
        const cached = cache.get(target);
        if (cached) {
            return cached;
        }
        const refuse = (verb: string, prop: PropertyKey): never => {
            throw new TypeError(`policy tried to ${verb} props.${pathString({ parent: at, key: String(prop) })}; policies must not modify inputs`);
        };
        const proxy = new Proxy(target, {
            get: (obj, prop): unknown => {
                const field = (obj as Record<PropertyKey, unknown>)[prop];
                if (typeof field === "string" && unknownValues.has(field)) {
                    const where = pathString({ parent: at, key: String(prop) });
                    reads.push(where);
                    throw new UnknownValueRead(where);
                }
                if (!(field instanceof Object) || typeof prop === "symbol") {
                    return field;
                }
                // The Proxy invariant for non-configurable, non-writable own data properties (the engine honours it too).
                const desc = Object.getOwnPropertyDescriptor(obj, prop);
                if (desc && "value" in desc && desc.configurable === false && desc.writable === false) {
                    return field;
                }
                return wrap(field, { parent: at, key: prop });
            },
            // The engine hands each validation a fresh copy, so a write could only hide a bug; here a
            // write fails loudly instead, which also lets the harness skip copying props per policy.
            set: (_obj, prop) => refuse("set", prop),
            deleteProperty: (_obj, prop) => refuse("delete", prop),
            defineProperty: (_obj, prop) => refuse("define", prop),
        });
        cache.set(target, proxy);
        return proxy;
    };
    return value instanceof Object ? (wrap(value, undefined) as T) : value;
}

export interface HarnessResource {
    type: string;
    name: string;
    /** Typed as the engine's API types a resource's props (the policies read them as `unknown`). */
    props: PolicyResource["props"];
    /** Parent URN, if any. */
    parent?: string;
}

export interface HarnessOptions {
    /** This policy's entry of policy/config/<stack>.json: `{enforcementLevel?, ...settings}`. */
    config?: Record<string, unknown>;
    stack?: string;
    project?: string;
}

export interface HarnessViolation {
    /** What the policy passed to reportViolation. */
    message: string;
    /** What the engine shows: description, newline, message. */
    engineMessage: string;
    urn?: string;
    enforcementLevel: EnforcementLevel;
    /** The result came from reading an unknown value (the engine's advisory downgrade). */
    unknown: boolean;
}

export interface PolicyRun {
    policy: string;
    /** The effective enforcement level; `disabled` means the policy did not run. */
    enforcementLevel: EnforcementLevel;
    violations: HarnessViolation[];
    /** Set when the policy called notApplicable. */
    notApplicable?: string;
    /** Paths of unknown values the policy read. */
    unknownReads: string[];
    /** Violations at mandatory level (what makes `pulumi preview` exit 1). */
    readonly mandatoryFailures: HarnessViolation[];
}

export function urnOf(resource: HarnessResource, stack = "dev", project = "modelship"): string {
    return `urn:pulumi:${stack}::${project}::${resource.type}::${resource.name}`;
}

const defaultOpts: PolicyResourceOptions = {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
};

const enforcementLevels: ReadonlySet<unknown> = new Set<EnforcementLevel>(["advisory", "mandatory", "remediate", "disabled"]);

/** The engine only ever passes one of these (it converts the config's level from the protocol's enum). */
function isEnforcementLevel(value: unknown): value is EnforcementLevel {
    return enforcementLevels.has(value);
}

function effectiveLevel(policy: Policy, config?: Record<string, unknown>): EnforcementLevel {
    const configured = config?.enforcementLevel;
    let level: EnforcementLevel = isEnforcementLevel(configured) ? configured : (policy.enforcementLevel ?? "mandatory");
    if (level === "remediate") {
        level = "mandatory";
    }
    return level;
}

const settingsCache = new WeakMap<object, object>();

/** The engine's getConfig: the policy's config minus enforcementLevel ({} when there is none). */
function getConfigFrom(config?: Record<string, unknown>) {
    let settings: object = {};
    if (config) {
        const cached = settingsCache.get(config);
        if (cached) {
            settings = cached;
        } else {
            const { enforcementLevel: _ignored, ...rest } = config;
            settings = Object.freeze(rest);
            settingsCache.set(config, settings);
        }
    }
    return <T extends object>(): T => settings as T;
}

class Run implements PolicyRun {
    violations: HarnessViolation[] = [];
    unknownReads: string[] = [];
    notApplicable?: string;
    constructor(
        readonly policy: string,
        readonly enforcementLevel: EnforcementLevel,
    ) {}
    get mandatoryFailures(): HarnessViolation[] {
        return this.violations.filter((v) => v.enforcementLevel === "mandatory");
    }
}

function newRun(policy: Policy, level: EnforcementLevel): PolicyRun {
    return new Run(policy.name, level);
}

function reporterFor(policy: Policy, run: PolicyRun, defaultUrn?: string) {
    return (message: string, urn?: string) => {
        run.violations.push({
            message,
            engineMessage: message ? `${policy.description}\n${message}` : policy.description,
            // Resource policies: the engine always uses the validated resource's URN.
            urn: defaultUrn ?? urn,
            enforcementLevel: run.enforcementLevel,
            unknown: false,
        });
    };
}

function settle(policy: Policy, run: PolicyRun, e: unknown): void {
    if (e instanceof UnknownValueRead) {
        run.violations.push({
            message: `can't run policy '${policy.name}' during preview: ${e.message}`,
            engineMessage: `can't run policy '${policy.name}' during preview: ${e.message}`,
            enforcementLevel: "advisory",
            unknown: true,
        });
    } else if (e instanceof NotApplicableSignal) {
        run.notApplicable = e.reason ?? "";
    } else {
        throw e;
    }
}

const throwNotApplicable = (reason?: string): never => {
    throw new NotApplicableSignal(reason);
};

/** Runs one resource policy against one resource, as the engine's Analyze RPC does. */
export async function runResourcePolicy(policy: ResourceValidationPolicy, resource: HarnessResource, options: HarnessOptions = {}): Promise<PolicyRun> {
    const level = effectiveLevel(policy, options.config);
    const run = newRun(policy, level);
    if (level === "disabled" || !policy.validateResource) {
        return run;
    }
    const urn = urnOf(resource, options.stack, options.project);
    const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
    for (const validation of validations) {
        // The engine deserializes afresh for each validation; the read-only proxy gives the same isolation.
        const props = unknownCheckingProps(resource.props, run.unknownReads);
        const args: ResourceValidationArgs = {
            type: resource.type,
            props,
            urn,
            name: resource.name,
            opts: resource.parent ? { ...defaultOpts, parent: resource.parent } : defaultOpts,
            stackTags: new Map(),
            isType: () => false,
            asType: () => undefined,
            getConfig: getConfigFrom(options.config),
            notApplicable: throwNotApplicable,
        };
        try {
            await validation(args, reporterFor(policy, run, urn));
        } catch (e) {
            settle(policy, run, e);
        }
    }
    return run;
}

/** Runs one stack policy over a whole stack, as the engine's AnalyzeStack RPC does. */
export async function runStackPolicy(policy: StackValidationPolicy, resources: readonly HarnessResource[], options: HarnessOptions = {}): Promise<PolicyRun> {
    const level = effectiveLevel(policy, options.config);
    const run = newRun(policy, level);
    if (level === "disabled") {
        return run;
    }
    const policyResources: PolicyResource[] = resources.map((r) => ({
        type: r.type,
        props: unknownCheckingProps(r.props, run.unknownReads),
        urn: urnOf(r, options.stack, options.project),
        name: r.name,
        opts: defaultOpts,
        dependencies: [],
        propertyDependencies: {},
        isType: () => false,
        asType: () => undefined,
    }));
    const args: StackValidationArgs = {
        resources: policyResources,
        stackTags: new Map(),
        getConfig: getConfigFrom(options.config),
        notApplicable: throwNotApplicable,
    };
    try {
        await policy.validateStack(args, reporterFor(policy, run));
    } catch (e) {
        settle(policy, run, e);
    }
    return run;
}

export function isStackPolicy(policy: ResourceValidationPolicy | StackValidationPolicy): policy is StackValidationPolicy {
    return typeof (policy as StackValidationPolicy).validateStack === "function";
}

/**
 * Runs every policy over a stack: each resource policy per resource, each stack policy once.
 * `config` is a whole policy/config/<stack>.json (keyed by policy name).
 */
export async function runPolicies(
    policies: ReadonlyArray<ResourceValidationPolicy | StackValidationPolicy>,
    resources: readonly HarnessResource[],
    config: Record<string, Record<string, unknown>> = {},
    options: Omit<HarnessOptions, "config"> = {},
): Promise<PolicyRun[]> {
    const runs: PolicyRun[] = [];
    for (const policy of policies) {
        const opts = { ...options, config: config[policy.name] };
        if (isStackPolicy(policy)) {
            runs.push(await runStackPolicy(policy, resources, opts));
        } else {
            for (const resource of resources) {
                runs.push(await runResourcePolicy(policy, resource, opts));
            }
        }
    }
    return runs;
}
