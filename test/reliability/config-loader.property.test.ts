// Property tests of the stack config loader (components/config: load.ts, validate.ts, schema.ts,
// model-dirs.ts). Valid configs are changed at random (keys deleted, misspelt or added, values of the
// wrong type, huge or unicode values, the model list emptied, model directories pointed at missing
// paths, files or places outside the project, secrets in plaintext). Whatever the change:
//   - the loader throws nothing but its own configuration error (a pulumi.RunError);
//   - every problem it lists names a config path, and the list matches the count in its header;
//   - a change that must be refused is refused, with a problem naming the changed place;
//   - the program (index.ts) registers no resource when the config is refused.
// The seed is fixed (property-settings.ts); fast-check prints it with any counterexample.
import { expect } from "chai";
import fc from "fast-check";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { knownKeys, loadStackConfig } from "../../components/config/load";
import { stackConfigSchema } from "../../components/config/schema";
import { validateStackConfig } from "../../components/config/validate";
import { installRecordingMocks, recorder } from "../support/pulumi-mocks";
import { projectRoot, stackFileConfig, testPublicKeyPem, validRaw } from "../config/fixtures";
import { propertySettings } from "./property-settings";

type Path = (string | number)[];
type Json = unknown;

/** The `modelship:*` keys of a stack (without the namespace) and which of them are secret. */
interface StackKeys {
    values: Record<string, Json>;
    secret: string[];
}

/** Sets the process's Pulumi config as the engine would: strings as they are, anything else as JSON. */
function setConfig(keys: StackKeys): void {
    const c: Record<string, string> = {};
    for (const [k, v] of Object.entries(keys.values)) {
        c[`modelship:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    }
    pulumi.runtime.setAllConfig(
        c,
        keys.secret.map((k) => `modelship:${k}`),
    );
}

/** A top-level value as `pulumi.Config.getObject` hands it to the loader: strings holding JSON are parsed. */
function effectiveTopLevel(v: Json): Json {
    if (typeof v !== "string") return v;
    try {
        return JSON.parse(v) as Json;
    } catch {
        return v;
    }
}

// -- plain-data helpers; keys are set with defineProperty so "__proto__" is an ordinary key

function isObject(v: Json): v is Record<string, Json> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

function hasOwn(o: object, k: PropertyKey): boolean {
    return Object.prototype.hasOwnProperty.call(o, k);
}

function setOwn(o: Record<string, Json>, key: string, value: Json): void {
    Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The value at `p`, or `{ found: false }` when the path does not exist. */
function getAt(root: Json, p: Path): { found: boolean; value?: Json } {
    let cur: Json = root;
    for (const seg of p) {
        if (typeof seg === "number" ? !(Array.isArray(cur) && seg < cur.length) : !(isObject(cur) && hasOwn(cur, seg))) return { found: false };
        cur = (cur as Record<string | number, Json>)[seg];
    }
    return { found: true, value: cur };
}

/** Every path below the root (object members and list items), depth first. */
function allPaths(v: Json, prefix: Path = []): Path[] {
    const out: Path[] = [];
    if (Array.isArray(v)) {
        v.forEach((item, i) => out.push([...prefix, i], ...allPaths(item, [...prefix, i])));
    } else if (isObject(v)) {
        for (const k of Object.keys(v)) out.push([...prefix, k], ...allPaths(v[k], [...prefix, k]));
    }
    return out;
}

function sameJson(a: Json, b: Json): boolean {
    return JSON.stringify(a) === JSON.stringify(b);
}

/** Independent of validate.ts's formatter: `models[0].canary`, non-identifier keys as `["a b"]`. */
function pathText(p: Path): string {
    let out = "";
    for (const seg of p) {
        if (typeof seg === "number") out += `[${seg}]`;
        else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(seg)) out += out === "" ? seg : `.${seg}`;
        else out += `[${JSON.stringify(seg)}]`;
    }
    return out;
}

// -- what the schema expects at a path, read from the zod schema itself

type Category = "string" | "number" | "boolean" | "object" | "array" | "null";

function categoryOf(v: Json): Category {
    if (v === null) return "null";
    if (Array.isArray(v)) return "array";
    return typeof v as Category;
}

interface Def {
    type: string;
    innerType?: z.core.$ZodType;
    in?: z.core.$ZodType;
    shape?: Record<string, z.core.$ZodType>;
    element?: z.core.$ZodType;
    valueType?: z.core.$ZodType;
    catchall?: z.core.$ZodType;
    options?: z.core.$ZodType[];
    values?: unknown[];
}

function defOf(s: z.core.$ZodType): Def {
    return s._zod.def;
}

function unwrapSchema(s: z.core.$ZodType): z.core.$ZodType {
    for (;;) {
        const def = defOf(s);
        if (def.innerType && ["default", "prefault", "optional", "readonly", "nonoptional"].includes(def.type)) s = def.innerType;
        else if (def.type === "pipe" && def.in) s = def.in;
        else return s;
    }
}

function schemaAt(p: Path): z.core.$ZodType | undefined {
    let s: z.core.$ZodType | undefined = unwrapSchema(stackConfigSchema);
    for (const seg of p) {
        const def = defOf(s);
        if (def.type === "object" && def.shape && typeof seg === "string" && hasOwn(def.shape, seg)) s = def.shape[seg];
        else if (def.type === "array" && def.element && typeof seg === "number") s = def.element;
        else if (def.type === "record" && def.valueType) s = def.valueType;
        else return undefined;
        s = unwrapSchema(s);
    }
    return s;
}

/** The JSON category the schema accepts at `p`; undefined when it accepts several or anything. */
function expectedCategory(p: Path): Category | undefined {
    const s = schemaAt(p);
    if (!s) return undefined;
    const def = defOf(s);
    switch (def.type) {
        case "string":
        case "enum":
            return "string";
        case "number":
        case "boolean":
        case "array":
            return def.type;
        case "object":
        case "record":
            return "object";
        case "union": {
            const cats = new Set((def.options ?? []).map((o) => expectedCategory1(unwrapSchema(o))));
            return cats.size === 1 ? [...cats][0] : undefined;
        }
        default:
            return undefined;
    }
}

function expectedCategory1(s: z.core.$ZodType): Category | undefined {
    const def = defOf(s);
    if (def.type === "literal" && def.values && def.values.length > 0) return categoryOf(def.values[0]);
    return undefined;
}

/** Keys a strict object at `p` knows; undefined when `p` is not a strict object (e.g. Helm `values`). */
function strictKeysAt(p: Path): string[] | undefined {
    if (p.length === 0) return [...knownKeys];
    const s = schemaAt(p);
    const def = s && defOf(s);
    if (!def || def.type !== "object" || !def.shape || !def.catchall || defOf(def.catchall).type !== "never") return undefined;
    return Object.keys(def.shape);
}

// -- mutations

type Typo = { op: "drop" | "double" | "swap" | "upper" | "space" | "insert"; at: number; ch: string };

function applyTypo(key: string, t: Typo): string {
    const i = key.length === 0 ? 0 : t.at % key.length;
    let out: string;
    switch (t.op) {
        case "drop":
            out = key.slice(0, i) + key.slice(i + 1);
            break;
        case "double":
            out = key.slice(0, i + 1) + key.slice(i);
            break;
        case "swap":
            out = key.slice(0, i) + key.slice(i + 1, i + 2) + key.slice(i, i + 1) + key.slice(i + 2);
            break;
        case "upper":
            out = key.slice(0, i) + (key[i] === key[i].toUpperCase() ? key[i].toLowerCase() : key[i].toUpperCase()) + key.slice(i + 1);
            break;
        case "space":
            out = `${key} `;
            break;
        case "insert":
            out = key.slice(0, i) + t.ch + key.slice(i);
            break;
    }
    return out === key ? `${key}_` : out;
}

/** Model directory values that must be refused (the fixture project below lays them out). */
const badModelDirs = {
    missing: "models/missing",
    missingDeep: "models/iris/v1/nope/deeper",
    file: "models/iris/model.joblib",
    empty: "models/empty",
    device: "/dev/null",
    // Only refused while the model does not set allowOutsideProject: true.
    parent: "../elsewhere",
    absoluteOutside: "<base>/elsewhere",
    linkOut: "models/linked",
    filesystemRoot: "/",
} as const;
type BadModelDir = keyof typeof badModelDirs;
const outsideOnly: BadModelDir[] = ["parent", "absoluteOutside", "linkOut", "filesystemRoot"];

type Mutation =
    | { kind: "delete"; pick: number }
    | { kind: "rename"; pick: number; typo: Typo }
    | { kind: "replace"; pick: number; value: Json }
    | { kind: "addKey"; pick: number; key: string; value: Json }
    | { kind: "emptyModels" }
    | { kind: "modelDir"; pick: number; canary: boolean; target: BadModelDir }
    | { kind: "plaintextSecret"; key: "registryPassword" | "signingKeyPassword"; value: string };

/** A problem the loader must report: a problem starting with `text` while `path` still holds `value`. */
interface Expectation {
    mutation: string;
    path: Path;
    value: Json;
    text: string;
    /** Further condition on the final config (e.g. allowEmptyModels not true). */
    holds?: (values: Record<string, Json>) => boolean;
}

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const hugeStrings = ["a".repeat(200_000), "é".repeat(100_000), "🙂".repeat(50_000), "\u0000".repeat(1_000)];

const keyArb = fc.oneof(
    fc.string({ minLength: 1, maxLength: 12 }),
    fc.string({ unit: "grapheme", minLength: 1, maxLength: 8 }),
    fc.string({ unit: "binary", maxLength: 8 }),
    fc.string({ unit: loneSurrogate, minLength: 1, maxLength: 2 }),
    fc.constantFrom("__proto__", "constructor", "toString", "hasOwnProperty", "", " ", "a b", "a.b", "[0]", 'q"uote', "x\ny", "名前", "🙂", "modelship:models", "Models"),
);

/** Values of every JSON type, odd strings included; mostly the wrong type wherever they land. */
const valueArb: fc.Arbitrary<Json> = fc.oneof(
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.string({ maxLength: 20 }),
    fc.string({ unit: "binary", maxLength: 20 }),
    fc.string({ unit: loneSurrogate, maxLength: 3 }),
    fc.constantFrom(...hugeStrings),
    fc.constantFrom("", " ", "true", "false", "null", "42", "[]", "{}", "-----BEGIN PUBLIC KEY-----", "env://", "../../../etc/passwd", "line\n  - forged problem\r\u001b[2J\u2028"),
    fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
    fc.dictionary(keyArb, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
);

const typoArb: fc.Arbitrary<Typo> = fc.record({
    op: fc.constantFrom("drop", "double", "swap", "upper", "space", "insert"),
    at: fc.nat(),
    ch: fc.oneof(fc.string({ minLength: 1, maxLength: 1 }), fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 })),
});

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({ kind: fc.constant("delete" as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant("rename" as const), pick: fc.nat(), typo: typoArb }),
    fc.record({ kind: fc.constant("replace" as const), pick: fc.nat(), value: valueArb }),
    fc.record({ kind: fc.constant("addKey" as const), pick: fc.nat(), key: keyArb, value: valueArb }),
    fc.record({ kind: fc.constant("emptyModels" as const) }),
    fc.record({
        kind: fc.constant("modelDir" as const),
        pick: fc.nat(),
        canary: fc.boolean(),
        target: fc.constantFrom(...(Object.keys(badModelDirs) as BadModelDir[])),
    }),
    fc.record({
        kind: fc.constant("plaintextSecret" as const),
        key: fc.constantFrom("registryPassword" as const, "signingKeyPassword" as const),
        value: fc.string({ minLength: 1, maxLength: 10 }),
    }),
);

function parentOf(values: Record<string, Json>, p: Path): Json {
    return p.length === 1 ? values : getAt(values, p.slice(0, -1)).value;
}

function removeAt(values: Record<string, Json>, p: Path): void {
    const parent = parentOf(values, p);
    const last = p[p.length - 1];
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete (parent as Record<string, Json>)[last as string];
}

function setAt(values: Record<string, Json>, p: Path, value: Json): void {
    const parent = parentOf(values, p);
    const last = p[p.length - 1];
    if (Array.isArray(parent)) parent[last as number] = value;
    else setOwn(parent as Record<string, Json>, last as string, value);
}

/** Renames the member at `p` in place, keeping the members' order. */
function renameAt(values: Record<string, Json>, p: Path, newKey: string): void {
    const parent = parentOf(values, p) as Record<string, Json>;
    const entries = Object.keys(parent).map((k) => [k === p[p.length - 1] ? newKey : k, parent[k]] as const);
    for (const k of Object.keys(parent)) delete parent[k];
    for (const [k, v] of entries) setOwn(parent, k, v);
}

/** Applies one mutation; returns the problem it guarantees, if any. */
function mutate(keys: StackKeys, m: Mutation, base: string): Expectation | undefined {
    const { values } = keys;
    const paths = allPaths(values);
    const describe = JSON.stringify(m).slice(0, 200);
    switch (m.kind) {
        case "delete": {
            if (paths.length === 0) return undefined;
            removeAt(values, paths[m.pick % paths.length]);
            return undefined;
        }
        case "rename": {
            const members = paths.filter((p) => typeof p[p.length - 1] === "string");
            if (members.length === 0) return undefined;
            const p = members[m.pick % members.length];
            const parent = p.slice(0, -1);
            const newKey = applyTypo(p[p.length - 1] as string, m.typo);
            if (hasOwn(parentOf(values, p) as object, newKey)) return undefined;
            const value = getAt(values, p).value;
            renameAt(values, p, newKey);
            const known = strictKeysAt(parent);
            if (!known || known.includes(newKey)) return undefined;
            return { mutation: describe, path: [...parent, newKey], value, text: parent.length === 0 ? `modelship:${newKey}` : pathText([...parent, newKey]) };
        }
        case "replace": {
            if (paths.length === 0) return undefined;
            const p = paths[m.pick % paths.length];
            setAt(values, p, m.value);
            const effective = p.length === 1 ? effectiveTopLevel(m.value) : m.value;
            const want = expectedCategory(p);
            if (want === undefined || want === categoryOf(effective)) return undefined;
            return { mutation: describe, path: p, value: m.value, text: pathText(p) };
        }
        case "addKey": {
            const objects: Path[] = [[], ...paths.filter((p) => isObject(getAt(values, p).value))];
            const parent = objects[m.pick % objects.length];
            const target = parent.length === 0 ? values : (getAt(values, parent).value as Record<string, Json>);
            if (hasOwn(target, m.key)) return undefined;
            setOwn(target, m.key, m.value);
            const known = strictKeysAt(parent);
            if (!known || known.includes(m.key)) return undefined;
            return { mutation: describe, path: [...parent, m.key], value: m.value, text: parent.length === 0 ? `modelship:${m.key}` : pathText([...parent, m.key]) };
        }
        case "emptyModels": {
            values.models = [];
            return { mutation: describe, path: ["models"], value: [], text: "models", holds: (v) => effectiveTopLevel(v.allowEmptyModels) !== true };
        }
        case "modelDir": {
            const models = values.models;
            if (!Array.isArray(models) || models.length === 0) return undefined;
            const i = m.pick % models.length;
            const model = models[i];
            if (!isObject(model)) return undefined;
            const p: Path = m.canary && isObject(model.canary) ? ["models", i, "canary", "modelDir"] : ["models", i, "modelDir"];
            const dir = badModelDirs[m.target].replace("<base>", base);
            setAt(values, p, dir);
            const onlyOutside = outsideOnly.includes(m.target);
            return {
                mutation: describe,
                path: p,
                value: dir,
                text: pathText(p),
                holds: (v) => !onlyOutside || getAt(v, ["models", i, "allowOutsideProject"]).value !== true,
            };
        }
        case "plaintextSecret": {
            values[m.key] = m.value;
            keys.secret = keys.secret.filter((k) => k !== m.key);
            return { mutation: describe, path: [m.key], value: m.value, text: m.key };
        }
    }
}

// -- reading the loader's error

const quotedKey = /^\["(?:[^"\\]|\\.)*"\]/;

/**
 * Length of the config path a problem starts with (`models[0].canary.modelDir`, `registry["a b"]`),
 * followed by a space; 0 when the problem does not start with one. The first key must be one the
 * namespace knows, unless `anyRoot` (validateStackConfig called directly with unknown top-level keys).
 */
function leadingPathLength(problem: string, anyRoot = false): number {
    const root = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(problem) ?? (anyRoot ? quotedKey.exec(problem) : null);
    if (!root || !(anyRoot || knownKeys.includes(root[0]))) return 0;
    let i = root[0].length;
    for (;;) {
        const rest = problem.slice(i);
        const member = /^\.[A-Za-z_$][A-Za-z0-9_$]*/.exec(rest) ?? /^\[[0-9]+\]/.exec(rest);
        if (member) {
            i += member[0].length;
            continue;
        }
        const quoted = quotedKey.exec(rest);
        if (quoted) {
            JSON.parse(quoted[0].slice(1, -1)); // a JSON string, or this throws
            i += quoted[0].length;
            continue;
        }
        return problem[i] === " " ? i : 0;
    }
}

/** The problems listed in the loader's error, one per line; checks the header and its count. */
function problemsOf(message: string): string[] {
    const [header, ...lines] = message.split("\n");
    const m = /^modelship: the stack configuration has ([0-9]+) problems?; nothing was created:$/.exec(header);
    expect(m, `header of: ${message.slice(0, 500)}`).to.not.equal(null);
    expect(lines.length, "lines listed vs. the count in the header").to.equal(Number(m![1]));
    for (const line of lines) expect(line.startsWith("  - "), `a line that is not a problem: ${JSON.stringify(line.slice(0, 300))}`).to.equal(true);
    return lines.map((line) => line.slice("  - ".length));
}

/** How the loader's error shows text from the config: control characters and line separators escaped. */
function shown(text: string): string {
    const named: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Checks the loader's verdict on `keys` against the properties; returns the problems (empty when loaded). */
function checkLoad(keys: StackKeys, expectations: Expectation[], projectDir: string): string[] {
    setConfig(keys);
    let problems: string[];
    try {
        loadStackConfig({ projectDir });
        problems = [];
    } catch (e) {
        if (!pulumi.RunError.isInstance(e)) {
            throw new Error(`loadStackConfig threw ${(e as Error)?.constructor?.name}, not its configuration error: ${(e as Error)?.stack ?? String(e)}`, { cause: e });
        }
        problems = problemsOf(e.message);
        expect(problems.length, "a refused config lists at least one problem").to.be.greaterThan(0);
    }
    const unknownTopLevel = Object.keys(keys.values).filter((k) => !knownKeys.includes(k));
    for (const problem of problems) {
        const namesUnknownKey = unknownTopLevel.some((k) => problem.startsWith(`modelship:${shown(k)} is not a known key`));
        expect(namesUnknownKey || leadingPathLength(problem) > 0, `problem does not start with a config path: ${JSON.stringify(problem.slice(0, 300))}`).to.equal(true);
    }
    for (const exp of expectations) {
        const now = exp.path.length === 1 ? { found: hasOwn(keys.values, exp.path[0]), value: keys.values[exp.path[0] as string] } : getAt(keys.values, exp.path);
        if (!now.found || !sameJson(now.value, exp.value) || (exp.holds && !exp.holds(keys.values))) continue;
        const named = problems.some((p) => p.startsWith(`${shown(exp.text)} `));
        expect(named, `no problem names ${exp.text} after ${exp.mutation}; problems: ${JSON.stringify(problems.map((p) => p.slice(0, 200)))}`).to.equal(true);
    }
    return problems;
}

// -- fixtures

/** A richer valid config than validRaw(): canary, provenance, platform, kubernetes, a private registry. */
function richKeys(): StackKeys {
    const raw = validRaw();
    raw.models[0] = {
        ...raw.models[0],
        namespace: "serving",
        resources: { cpu: "500m", memory: "1Gi" },
        canary: { version: "v2", modelDir: "models/iris/v2", trafficPercent: 10 },
        provenance: { sourceRevision: "0123abc", datasetHash: `sha256:${"b".repeat(64)}` },
    };
    return {
        values: {
            ...raw,
            kubernetes: { context: "kind-modelship" },
            platform: {
                kserve: { deploymentMode: "Standard", version: "v0.20.0", modelcar: { uid: 1010, cpu: "10m" } },
                argocd: { enabled: false, values: { dex: { enabled: false } } },
                kyverno: { namespace: "kyverno", signaturePolicy: true },
            },
            registry: { host: "ghcr.io", repositoryPrefix: "org/models", username: "bot" },
            signing: { enabled: true, key: "cosign.key", publicKey: "cosign.pub", signatureFormat: "bundle", cosignVersion: 3 },
            allowEmptyModels: false,
            registryPassword: "s3cret",
        },
        secret: ["registryPassword"],
    };
}

const baseConfigs: Record<string, () => StackKeys> = {
    minimal: () => ({ values: validRaw(), secret: [] }),
    rich: richKeys,
    "Pulumi.dev.yaml": () => ({ values: stackFileConfig("dev"), secret: [] }),
};
const baseNames = Object.keys(baseConfigs);

function freshBase(name: string): StackKeys {
    const keys = baseConfigs[name]();
    return { values: JSON.parse(JSON.stringify(keys.values)) as Record<string, Json>, secret: [...keys.secret] };
}

describe("reliability: config loader under random mutations (property)", function () {
    this.timeout(60_000);
    /** Temporary root; the project is `<base>/project`, so `<base>/elsewhere` is outside it. */
    let base: string;
    let project: string;

    before(() => {
        base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "modelship-config-prop-")));
        project = path.join(base, "project");
        const modelFiles = (dir: string) => {
            fs.mkdirSync(dir, { recursive: true });
            fs.writeFileSync(path.join(dir, "model.joblib"), "model");
        };
        for (const m of ["models/iris/v1", "models/iris/v2", "models/wine/v3"]) modelFiles(path.join(project, m));
        fs.writeFileSync(path.join(project, "cosign.pub"), `${testPublicKeyPem}\n`);
        fs.writeFileSync(path.join(project, "cosign.key"), "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n");
        fs.writeFileSync(path.join(project, "models/iris/model.joblib"), "model");
        fs.mkdirSync(path.join(project, "models/empty"));
        modelFiles(path.join(base, "elsewhere"));
        fs.symlinkSync(path.join(base, "elsewhere"), path.join(project, "models/linked"));
    });
    after(() => {
        pulumi.runtime.setAllConfig({}, []);
        fs.rmSync(base, { recursive: true, force: true });
    });

    it("starts from configs that load", () => {
        for (const name of baseNames) {
            expect(checkLoad(freshBase(name), [], project), name).to.deep.equal([]);
        }
    });

    it("keeps one problem per line when a value holds line breaks or escape sequences (found by the property below)", () => {
        const keys = freshBase("minimal");
        (keys.values.models as Record<string, Json>[])[0].modelDir = "v1\n  - forged\u001b[2J";
        setConfig(keys);
        let message = "";
        try {
            loadStackConfig({ projectDir: project });
        } catch (e) {
            message = (e as Error).message;
        }
        expect(message).to.equal(
            [
                "modelship: the stack configuration has 1 problem; nothing was created:",
                `  - models[0].modelDir "v1\\n  - forged\\u001b[2J" does not exist (resolved to ${project}/v1\\n  - forged\\u001b[2J): create it or fix the path`,
            ].join("\n"),
        );
    });

    it("never throws anything but its configuration error; every problem names a config path, including the changed place", () => {
        fc.assert(
            fc.property(fc.constantFrom(...baseNames), fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (baseName, mutations) => {
                const keys = freshBase(baseName);
                const expectations: Expectation[] = [];
                for (const m of mutations) {
                    const e = mutate(keys, m, base);
                    if (e) expectations.push(e);
                }
                // The values as the engine hands them over (JSON), so the expectations compare like with like.
                keys.values = JSON.parse(JSON.stringify(keys.values)) as Record<string, Json>;
                checkLoad(keys, expectations, project);
            }),
            propertySettings(400),
        );
    });

    it("reports a problem, never a crash, for arbitrary values under the known keys", () => {
        const topLevel = fc.dictionary(fc.oneof(fc.constantFrom(...knownKeys), keyArb), fc.oneof(valueArb, fc.jsonValue({ maxDepth: 4 })), { maxKeys: 8 });
        fc.assert(
            fc.property(topLevel, (values) => {
                checkLoad({ values: JSON.parse(JSON.stringify(values)) as Record<string, Json>, secret: [] }, [], project);
            }),
            propertySettings(300),
        );
    });

    it("validateStackConfig: any JSON input gives a config or problems that each start with their path", () => {
        const models = fc.array(fc.dictionary(fc.oneof(fc.constantFrom("name", "version", "modelDir", "format", "baseImage", "canary"), keyArb), fc.jsonValue({ maxDepth: 2 })), {
            maxLength: 3,
        });
        const raw = fc.oneof(
            fc.jsonValue({ maxDepth: 4 }),
            fc.record({ registry: fc.jsonValue({ maxDepth: 2 }), signing: fc.jsonValue({ maxDepth: 2 }), models }, { requiredKeys: [] }),
        );
        fc.assert(
            fc.property(raw, fc.boolean(), fc.boolean(), (input, registryPassword, signingKeyPassword) => {
                const result = validateStackConfig(input, { registryPassword, signingKeyPassword });
                if (result.ok) return;
                expect(result.problems.length).to.be.greaterThan(0);
                for (const p of result.problems) {
                    expect(p.message.startsWith(`${p.path} `), JSON.stringify(p).slice(0, 300)).to.equal(true);
                    expect(p.path === "(stack config)" || leadingPathLength(`${p.path} `, true) > 0, `path ${JSON.stringify(p.path)}`).to.equal(true);
                }
            }),
            propertySettings(300),
        );
    });

    describe("the program (index.ts) under mocks", () => {
        const indexPath = path.join(projectRoot, "index.ts");
        before(() => installRecordingMocks());

        /** Runs index.ts afresh; returns its error. */
        function runProgram(): unknown {
            delete require.cache[require.resolve(indexPath)];
            try {
                // eslint-disable-next-line @typescript-eslint/no-require-imports -- re-running the program needs a fresh require (its cache entry was deleted)
                require(indexPath);
            } catch (e) {
                return e;
            }
            return undefined;
        }

        /**
         * Registrations are asynchronous: declare a sentinel after the program and wait for it, so a
         * resource the program began to register before throwing is recorded by then.
         */
        async function registeredBesidesSentinel(): Promise<string[]> {
            const sentinel = new pulumi.ComponentResource("test:reliability:Sentinel", "sentinel");
            await new Promise((resolve) => sentinel.urn.apply(resolve));
            await new Promise((resolve) => setTimeout(resolve, 20));
            return recorder.resources.filter((r) => r.type !== "test:reliability:Sentinel").map((r) => r.key);
        }

        it("the sentinel check sees a resource registered just before it (so the next test can fail)", async () => {
            recorder.reset();
            new pulumi.ComponentResource("test:reliability:Early", "early");
            expect(await registeredBesidesSentinel()).to.deep.equal(["test:reliability:Early::early"]);
        });

        it("registers no resource when the config is refused", async () => {
            // index.ts resolves paths from the working directory: the repository root under `npm test`.
            const projectDir = process.cwd();
            await fc.assert(
                fc.asyncProperty(fc.array(mutationArb, { minLength: 1, maxLength: 3 }), async (mutations) => {
                    const keys = freshBase("Pulumi.dev.yaml");
                    for (const m of mutations) mutate(keys, m, base);
                    keys.values = JSON.parse(JSON.stringify(keys.values)) as Record<string, Json>;
                    const problems = checkLoad(keys, [], projectDir);
                    fc.pre(problems.length > 0);
                    recorder.reset();
                    const err = runProgram();
                    expect(pulumi.RunError.isInstance(err), `index.ts threw ${String(err).slice(0, 300)}`).to.equal(true);
                    expect(problemsOf((err as Error).message)).to.deep.equal(problems);
                    expect(await registeredBesidesSentinel()).to.deep.equal([]);
                }),
                propertySettings(25),
            );
        });

        after(() => {
            delete require.cache[require.resolve(indexPath)];
            pulumi.runtime.setAllConfig({}, []);
        });
    });
});
