// Turns the zod schema's issues into problems a person can act on: one per problem, every problem at
// once, each with its path ("models[1].baseImage") and the fix. Pure: no Pulumi imports.
import { z } from "zod";
import { isPlainObject } from "../lib/plain-object";
import { mlflowRequiredIssues } from "./mlflow-schema";
import { ConfigIssue, emptyModelsIssues, modelIssues, registryIssues, renderIssues, SecretPresence, signingIssues, StackConfig, stackConfigSchema, stackIssues } from "./schema";

export interface ConfigProblem {
    /** Where the problem is, e.g. `models[1].baseImage` or `registryPassword`. */
    path: string;
    /** The whole sentence, path first: what is wrong and how to fix it. */
    message: string;
}

export type StackConfigValidation = { ok: true; config: StackConfig } | { ok: false; problems: ConfigProblem[] };

/** `["models", 1, "baseImage"]` → `models[1].baseImage`; keys that are not identifiers are quoted. */
export function formatPath(path: readonly PropertyKey[]): string {
    let out = "";
    for (const seg of path) {
        if (typeof seg === "number") {
            out += `[${seg}]`;
        } else if (typeof seg === "string" && /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(seg)) {
            out += out === "" ? seg : `.${seg}`;
        } else {
            out += `[${JSON.stringify(String(seg))}]`;
        }
    }
    return out === "" ? "(stack config)" : out;
}

function problem(path: readonly PropertyKey[], text: string): ConfigProblem {
    const p = formatPath(path);
    return { path: p, message: `${p} ${text}` };
}

function describeValue(v: unknown): string {
    if (v === null) {
        return "null";
    }
    if (Array.isArray(v)) {
        return "a list";
    }
    if (typeof v === "object") {
        return "an object";
    }
    return JSON.stringify(v);
}

const expectedNames: Record<string, string> = {
    string: "a string",
    number: "a number",
    int: "a whole number",
    boolean: "true or false",
    object: "an object (a map of settings)",
    array: "a list",
    record: "a map",
};

/** Messages for issues the schema does not word itself; passed to every parse. */
const defaultMessages: z.core.$ZodErrorMap = (iss) => {
    switch (iss.code) {
        case "invalid_type": {
            const expected = expectedNames[iss.expected] ?? iss.expected;
            return iss.input === undefined ? `is required: set it to ${expected}` : `must be ${expected}, got ${describeValue(iss.input)}`;
        }
        case "invalid_value":
            return `must be one of ${iss.values.map((v) => JSON.stringify(v)).join(", ")}, got ${describeValue(iss.input)}`;
        case "too_small":
            return `must be at least ${String(iss.minimum)}`;
        case "too_big":
            return `must be at most ${String(iss.maximum)}`;
        case "invalid_format":
            return `must be a valid ${iss.format}`;
        default:
            return undefined;
    }
};

// -- schema lookup, for "did you mean" / "known here" hints on unknown keys

function unwrapSchema(schema: z.core.$ZodType): z.core.$ZodType {
    let s = schema;
    for (let i = 0; i < 10; i++) {
        const def = s._zod.def as { type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType; out?: z.core.$ZodType };
        if (def.innerType && ["default", "prefault", "optional", "nullable", "readonly", "catch", "nonoptional"].includes(def.type)) {
            s = def.innerType;
        } else if (def.type === "pipe" && def.in && def.out && (def.in._zod.def as { type: string }).type === "transform") {
            // z.preprocess: the schema that validates is the pipe's output side.
            s = def.out;
        } else if (def.type === "pipe" && def.in) {
            s = def.in;
        } else {
            break;
        }
    }
    return s;
}

function schemaAt(root: z.core.$ZodType, path: readonly PropertyKey[]): z.core.$ZodType | undefined {
    let s: z.core.$ZodType | undefined = unwrapSchema(root);
    for (const seg of path) {
        if (!s) {
            return undefined;
        }
        const def = s._zod.def as { type: string; shape?: Record<string, z.core.$ZodType>; element?: z.core.$ZodType; valueType?: z.core.$ZodType };
        if (def.type === "object" && def.shape && typeof seg === "string") {
            s = def.shape[seg];
        } else if (def.type === "array" && def.element) {
            s = def.element;
        } else if (def.type === "record" && def.valueType) {
            s = def.valueType;
        } else {
            return undefined;
        }
        s = s ? unwrapSchema(s) : undefined;
    }
    return s;
}

function knownKeysAt(path: readonly PropertyKey[]): string[] {
    const s = schemaAt(stackConfigSchema, path);
    const def = s?._zod.def as { type: string; shape?: Record<string, unknown> } | undefined;
    return def?.type === "object" && def.shape ? Object.keys(def.shape) : [];
}

/** Edit distance (insertions, deletions, substitutions and adjacent transpositions), case-insensitive. */
export function editDistance(a: string, b: string): number {
    const x = a.toLowerCase();
    const y = b.toLowerCase();
    const dp = Array.from({ length: x.length + 1 }, (_, i) => [i, ...Array<number>(y.length).fill(0)]);
    for (let j = 1; j <= y.length; j++) {
        dp[0][j] = j;
    }
    for (let i = 1; i <= x.length; i++) {
        for (let j = 1; j <= y.length; j++) {
            dp[i][j] = Math.min(dp[i - 1][j] + 1, dp[i][j - 1] + 1, dp[i - 1][j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
            if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) {
                dp[i][j] = Math.min(dp[i][j], dp[i - 2][j - 2] + 1);
            }
        }
    }
    return dp[x.length][y.length];
}

/**
 * The known key `key` was most likely meant to be, for a "did you mean" hint: within edit distance 2
 * (but not a complete rewrite of a short key), or a prefix either way (3 characters or more). The
 * nearest wins; at equal distance a key the input is cut short of, then the first in `known`.
 * Undefined when none is close.
 */
export function closestKey(key: string, known: readonly string[]): string | undefined {
    let best: { key: string; distance: number; truncated: boolean } | undefined;
    const k = key.toLowerCase();
    for (const candidate of known) {
        const distance = editDistance(key, candidate);
        const close = distance <= 2 && distance < Math.min(key.length, candidate.length);
        const c = candidate.toLowerCase();
        const truncated = k.length >= 3 && c.startsWith(k);
        const prefix = truncated || (c.length >= 3 && k.startsWith(c));
        if (!close && !prefix) {
            continue;
        }
        // Nearest first; at equal distance, a key the input is cut short of ("registryPass").
        if (best === undefined || distance < best.distance || (distance === best.distance && truncated && !best.truncated)) {
            best = { key: candidate, distance, truncated };
        }
    }
    return best?.key;
}

/** The text after the path for an unknown key: the closest known key, or "remove it" and the keys known there. */
function unknownKeyText(key: string, known: readonly string[]): string {
    const suggestion = closestKey(key, known);
    if (suggestion !== undefined) {
        return `is not a known key: did you mean "${suggestion}"?`;
    }
    return known.length > 0 ? `is not a known key: remove it (known here: ${known.join(", ")})` : "is not a known key: remove it";
}

function issuesToProblems(issues: readonly z.core.$ZodIssue[]): ConfigProblem[] {
    const out: ConfigProblem[] = [];
    for (const iss of issues) {
        if (iss.code === "unrecognized_keys") {
            for (const key of iss.keys) {
                out.push(problem([...iss.path, key], unknownKeyText(key, knownKeysAt(iss.path))));
            }
        } else {
            out.push(problem(iss.path, iss.message));
        }
    }
    return out;
}

function secretProblems(raw: Record<string, unknown>, secrets: SecretPresence): ConfigProblem[] {
    const out: ConfigProblem[] = [];
    const registry = isPlainObject(raw.registry) ? raw.registry : undefined;
    const username = registry && typeof registry.username === "string" && registry.username !== "" ? registry.username : undefined;
    if (username !== undefined && !secrets.registryPassword) {
        out.push(
            problem(
                ["registryPassword"],
                `is required when registry.username is set ("${username}"): run \`pulumi config set --secret modelship:registryPassword\` (or remove registry.username for an anonymous registry)`,
            ),
        );
    }
    if (username === undefined && secrets.registryPassword && registry !== undefined) {
        out.push(problem(["registry", "username"], "is required when modelship:registryPassword is set: set the registry user name, or remove registryPassword"));
    }
    return out;
}

/**
 * Validates the raw stack config (the objects read from `modelship:platform`, `registry`, `signing`,
 * `models`) plus which secrets are present. Returns the parsed config with defaults applied, or every
 * problem found, each with its path and the fix.
 */
export function validateStackConfig(raw: unknown, secrets: SecretPresence): StackConfigValidation {
    if (!isPlainObject(raw)) {
        return { ok: false, problems: [problem([], `must be an object with platform, registry, signing and models, got ${describeValue(raw)}`)] };
    }
    const problems: ConfigProblem[] = [];
    const full = stackConfigSchema.safeParse(raw, { error: defaultMessages });
    if (!full.success) {
        problems.push(...issuesToProblems(full.error.issues));
        // zod skips an object's refinements when one of its fields failed; run the cross-field checks
        // on the raw input as well, so a duplicate name is reported together with a bad base image.
        for (const issue of rawCrossFieldIssues(raw)) {
            problems.push(problem(issue.path, issue.message));
        }
    }
    problems.push(...secretProblems(raw, secrets));
    const unique = dedupe(problems);
    if (unique.length > 0 || !full.success) {
        return { ok: false, problems: unique };
    }
    return { ok: true, config: full.data };
}

function rawCrossFieldIssues(raw: Record<string, unknown>): ConfigIssue[] {
    const under = (prefix: (string | number)[], issues: ConfigIssue[]) => issues.map((i) => ({ path: [...prefix, ...i.path], message: i.message }));
    const out: ConfigIssue[] = [];
    if (isPlainObject(raw.registry)) {
        out.push(...under(["registry"], registryIssues(raw.registry)));
    }
    if (raw.signing === undefined || isPlainObject(raw.signing)) {
        out.push(...under(["signing"], signingIssues(raw.signing ?? {})));
    }
    if (Array.isArray(raw.models)) {
        raw.models.forEach((m, i) => {
            if (isPlainObject(m)) {
                out.push(...under(["models", i], modelIssues(m)));
            }
        });
    }
    out.push(...emptyModelsIssues(raw.models, raw.allowEmptyModels));
    out.push(...stackIssues(raw.platform, raw.models));
    out.push(...renderIssues(raw.kubernetes, raw.registry, raw.platform));
    out.push(...mlflowRequiredIssues(raw.mlflow, raw.models));
    return out;
}

function dedupe(problems: ConfigProblem[]): ConfigProblem[] {
    const seen = new Set<string>();
    return problems.filter((p) => {
        if (seen.has(p.message)) {
            return false;
        }
        seen.add(p.message);
        return true;
    });
}

const namedEscapes: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/**
 * Control characters (Unicode Cc: U+0000–U+001F, U+007F–U+009F) and line separators as escapes
 * (`\n`, `\u001b`), so a config value quoted in a message keeps its problem on one line and cannot
 * drive the terminal.
 */
function escapeControlCharacters(text: string): string {
    return text.replace(/[\p{Cc}\u2028\u2029]/gu, (c) => namedEscapes[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** One block listing every problem, for the single error `loadStackConfig` throws: one line per problem. */
export function formatConfigProblems(problems: readonly ConfigProblem[]): string {
    const n = problems.length;
    const header = `modelship: the stack configuration has ${n} problem${n === 1 ? "" : "s"}; nothing was created:`;
    return [header, ...problems.map((p) => `  - ${escapeControlCharacters(p.message)}`)].join("\n");
}
