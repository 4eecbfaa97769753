// Strict validation of Kubernetes custom resources against upstream CRDs (apiextensions.k8s.io/v1),
// with the API server's semantics where they differ from plain JSON Schema. Test tooling: pure
// functions, plus the directory reader and a per-directory cache of validators; no Pulumi.
//
// Approach: each version's structural `openAPIV3Schema` is converted to a JSON Schema and compiled
// with Ajv (once per group/version/kind, on first use). The conversion encodes what the API server
// does silently, so that it becomes an error here:
// - pruning: an object schema without `x-kubernetes-preserve-unknown-fields: true` (and without
//   `additionalProperties`) gets `additionalProperties: false`, so an unknown field fails with its path;
// - `nullable`: null is allowed only where the schema says `nullable: true` (elsewhere the API server
//   drops the null, so the field the author meant to set is lost);
// - `x-kubernetes-int-or-string` → integer or string; `x-kubernetes-list-type: set` → unique items,
//   `map` → unique `x-kubernetes-list-map-keys`;
// - root `metadata` → ObjectMeta (name, namespace, labels, annotations checked; the other ObjectMeta
//   fields allowed), and `x-kubernetes-embedded-resource` objects get apiVersion/kind/metadata;
// - formats are checked loosely: int32/int64/float/double/date-time/date/byte, any other is ignored.
// Not evaluated: `x-kubernetes-validations` (CEL rules) and admission webhooks; the e2e's real API
// server covers those.
import * as fs from "fs";
import * as path from "path";
import Ajv, { ErrorObject, ValidateFunction } from "ajv";
import { parseAllDocuments } from "yaml";

/** A node of a CRD's structural schema (`JSONSchemaProps`), as it appears in the YAML. */
export type StructuralSchema = { [keyword: string]: any };

export interface CrdVersion {
    name: string;
    served: boolean;
    storage: boolean;
    schema?: { openAPIV3Schema?: StructuralSchema };
}

export interface CustomResourceDefinition {
    apiVersion: "apiextensions.k8s.io/v1";
    kind: "CustomResourceDefinition";
    metadata: { name: string };
    spec: {
        group: string;
        names: { kind: string; plural: string };
        scope: "Namespaced" | "Cluster";
        versions: CrdVersion[];
    };
}

/** One thing the API server would reject or silently drop. */
export interface CrdProblem {
    /** `Kind/name` of the object. */
    object: string;
    /** JSON path inside the object, e.g. `spec.predictor.model.storageUri`; empty for the object itself. */
    path: string;
    message: string;
}

export function formatProblem(p: CrdProblem): string {
    return `${p.object}: ${p.path || "(object)"}: ${p.message}`;
}

export function formatProblems(problems: readonly CrdProblem[]): string {
    return problems.map(formatProblem).join("\n");
}

// ---------------------------------------------------------------------------------------------
// Where the CRDs are, and reading them

/**
 * The directory holding the upstream CRD YAML files: `$MODELSHIP_UPSTREAM_DIR/crds` when that
 * variable is set (it names the `upstream` directory), else `<repo root>/../shared/upstream/crds`.
 */
export function upstreamCrdDirectory(repoRoot: string, env: NodeJS.ProcessEnv = process.env): string {
    const upstream = env.MODELSHIP_UPSTREAM_DIR ? path.resolve(env.MODELSHIP_UPSTREAM_DIR) : path.resolve(repoRoot, "..", "shared", "upstream");
    return path.join(upstream, "crds");
}

/** The CRDs in one YAML text (other documents are ignored; a CRD that is not v1 is an error). */
export function parseCrds(text: string, source = "<text>"): CustomResourceDefinition[] {
    const out: CustomResourceDefinition[] = [];
    for (const doc of parseAllDocuments(text)) {
        if (doc.errors.length > 0) throw new Error(`${source}: invalid YAML: ${doc.errors[0].message}`);
        const value = doc.toJS() as Record<string, any> | null;
        if (!value || value.kind !== "CustomResourceDefinition") continue;
        if (value.apiVersion !== "apiextensions.k8s.io/v1") {
            throw new Error(`${source}: CRD ${value.metadata?.name} is ${value.apiVersion}; only apiextensions.k8s.io/v1 (structural schemas) is supported`);
        }
        out.push(value as CustomResourceDefinition);
    }
    return out;
}

/** A CRD file indexed by group and kind; its (large) schema is parsed on first use. */
export interface CrdSource {
    file: string;
    group: string;
    kind: string;
    load(): CustomResourceDefinition;
}

// controller-gen and Argo CD both write `spec:\n  group: G\n  names:\n    kind: K` at the top; a
// file that does not look like that (or holds several documents) is parsed whole instead.
const CRD_HEADER = /^spec:\n(?: {2}\S.*\n| {4,}.*\n)*? {2}group: (\S+)\n(?: {2}\S.*\n| {4,}.*\n)*? {2}names:\n(?: {4,}.*\n)*? {4}kind: (\S+)\n/m;

/** Indexes every `*.yaml`/`*.yml` CRD file of `dir`; the YAML of a file is parsed only when validating its kind. */
export function readCrdDirectory(dir: string): CrdSource[] {
    if (!fs.existsSync(dir)) {
        throw new Error(`upstream CRD directory ${dir} does not exist: put the upstream CRDs there or set MODELSHIP_UPSTREAM_DIR to the directory that holds crds/`);
    }
    const sources: CrdSource[] = [];
    for (const name of fs.readdirSync(dir).sort()) {
        if (!/\.ya?ml$/.test(name)) continue;
        const file = path.join(dir, name);
        const text = fs.readFileSync(file, "utf8");
        const header = /\n---\s*\n\S/.test(text) ? null : CRD_HEADER.exec(text);
        if (header) {
            let cached: CustomResourceDefinition | undefined;
            const [, group, kind] = header;
            sources.push({
                file,
                group,
                kind,
                load: () => {
                    if (cached) return cached;
                    const crds = parseCrds(text, file);
                    if (crds.length !== 1 || crds[0].spec.group !== group || crds[0].spec.names.kind !== kind) {
                        throw new Error(
                            `${file}: header says ${kind}.${group} but the file holds ${crds.map((c) => `${c.spec.names.kind}.${c.spec.group}`).join(", ") || "no CRD"}`,
                        );
                    }
                    cached = crds[0];
                    return cached;
                },
            });
        } else {
            for (const crd of parseCrds(text, file)) sources.push({ file, group: crd.spec.group, kind: crd.spec.names.kind, load: () => crd });
        }
    }
    if (sources.length === 0) throw new Error(`no CustomResourceDefinition found in ${dir}`);
    return sources;
}

// ---------------------------------------------------------------------------------------------
// Structural schema → JSON Schema

type JsonSchema = { [keyword: string]: any };

const PRESERVE_UNKNOWN = "x-kubernetes-preserve-unknown-fields";
const INT_OR_STRING = "x-kubernetes-int-or-string";
const EMBEDDED_RESOURCE = "x-kubernetes-embedded-resource";
const LIST_TYPE = "x-kubernetes-list-type";
const LIST_MAP_KEYS = "x-kubernetes-list-map-keys";

/** Custom keyword: items of an `x-kubernetes-list-type: map` list are unique by these keys. */
const LIST_MAP_KEYS_KEYWORD = "k8sListMapKeys";
/** Custom keyword: every key of the object is a Kubernetes qualified name (label and annotation keys). */
const QUALIFIED_KEYS_KEYWORD = "k8sQualifiedNameKeys";

/** Keywords whose meaning is the same in structural schemas and JSON Schema: copied as they are. */
const COPIED_KEYWORDS = [
    "pattern",
    "maxLength",
    "minLength",
    "maximum",
    "minimum",
    "multipleOf",
    "maxItems",
    "minItems",
    "uniqueItems",
    "maxProperties",
    "minProperties",
    "required",
];

/** Formats the API server checks; any other format is ignored (as the API server does). */
const KNOWN_FORMATS = new Set(["int32", "int64", "float", "double", "date-time", "date", "byte"]);

const DNS_LABEL = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
const DNS_SUBDOMAIN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
const LABEL_VALUE = "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$";

/** ObjectMeta as the API server reads it: name, namespace, labels and annotations checked, the rest allowed. */
function objectMetaSchema(opts: { nameRequired: boolean }): JsonSchema {
    const strings = { type: "object", additionalProperties: { type: "string" }, [QUALIFIED_KEYS_KEYWORD]: true };
    return {
        type: "object",
        additionalProperties: false,
        ...(opts.nameRequired ? { anyOf: [{ required: ["name"] }, { required: ["generateName"] }] } : {}),
        properties: {
            name: { type: "string", minLength: 1, maxLength: 253, pattern: DNS_SUBDOMAIN },
            generateName: { type: "string" },
            namespace: { type: "string", minLength: 1, maxLength: 63, pattern: DNS_LABEL },
            labels: { ...strings, additionalProperties: { type: "string", maxLength: 63, pattern: LABEL_VALUE } },
            annotations: strings,
            finalizers: { type: "array", items: { type: "string" } },
            ownerReferences: { type: "array", items: { type: "object" } },
            managedFields: { type: "array", items: { type: "object" } },
            uid: { type: "string" },
            resourceVersion: { type: "string" },
            generation: { type: "integer" },
            selfLink: { type: "string" },
            creationTimestamp: { type: ["string", "null"] },
            deletionTimestamp: { type: ["string", "null"] },
            deletionGracePeriodSeconds: { type: "integer" },
        },
    };
}

function isIntOrStringAnyOf(anyOf: unknown): boolean {
    if (!Array.isArray(anyOf) || anyOf.length !== 2) return false;
    const types = anyOf.map((b) => (b && typeof b === "object" && Object.keys(b).length === 1 ? (b as StructuralSchema).type : undefined)).sort();
    return types[0] === "integer" && types[1] === "string";
}

/**
 * Converts one structural schema node. `structural` is false inside `allOf`/`anyOf`/`oneOf`/`not`:
 * there a schema only adds value validations to the node it belongs to, so it must not forbid the
 * fields that the node's own `properties` declare.
 */
function convertNode(s: StructuralSchema, structural: boolean): JsonSchema {
    const out: JsonSchema = {};
    const nullable = s.nullable === true;
    const intOrString = s[INT_OR_STRING] === true;
    if (intOrString) {
        out.type = nullable ? ["integer", "string", "null"] : ["integer", "string"];
    } else if (typeof s.type === "string") {
        out.type = nullable ? [s.type, "null"] : s.type;
    }
    for (const k of COPIED_KEYWORDS) if (s[k] !== undefined) out[k] = s[k];
    if (Array.isArray(s.enum)) out.enum = nullable && !s.enum.includes(null) ? [...s.enum, null] : s.enum;
    // OpenAPI v3.0 booleans → JSON Schema numbers.
    if (s.exclusiveMinimum === true && typeof s.minimum === "number") {
        out.exclusiveMinimum = s.minimum;
        delete out.minimum;
    }
    if (s.exclusiveMaximum === true && typeof s.maximum === "number") {
        out.exclusiveMaximum = s.maximum;
        delete out.maximum;
    }
    if (typeof s.format === "string" && KNOWN_FORMATS.has(s.format)) out.format = s.format;

    if (s.properties) {
        out.properties = Object.fromEntries(Object.entries(s.properties as Record<string, StructuralSchema>).map(([k, v]) => [k, convertNode(v, structural)]));
    }
    if (s.items && typeof s.items === "object" && !Array.isArray(s.items)) out.items = convertNode(s.items, structural);
    if (s.additionalProperties !== undefined) {
        out.additionalProperties = typeof s.additionalProperties === "boolean" ? s.additionalProperties : convertNode(s.additionalProperties, structural);
    }

    if (s[EMBEDDED_RESOURCE] === true) {
        out.properties = { apiVersion: { type: "string" }, kind: { type: "string" }, metadata: objectMetaSchema({ nameRequired: false }), ...out.properties };
        out.required = [...new Set([...(out.required ?? []), "apiVersion", "kind"])];
    }
    const isObject = s.type === "object" || (s.type === undefined && s.properties !== undefined);
    if (structural && isObject && s.additionalProperties === undefined && s[PRESERVE_UNKNOWN] !== true) {
        // The API server prunes every field not declared here: an error for us.
        out.additionalProperties = false;
        out.properties ??= {};
    }

    if (s[LIST_TYPE] === "set") out.uniqueItems = true;
    if (s[LIST_TYPE] === "map" && Array.isArray(s[LIST_MAP_KEYS])) out[LIST_MAP_KEYS_KEYWORD] = s[LIST_MAP_KEYS];

    for (const junctor of ["allOf", "anyOf", "oneOf"] as const) {
        if (!Array.isArray(s[junctor])) continue;
        if (junctor === "anyOf" && intOrString && isIntOrStringAnyOf(s.anyOf)) continue; // expressed by `type` above
        out[junctor] = (s[junctor] as StructuralSchema[]).map((b) => convertNode(b, false));
    }
    if (s.not && typeof s.not === "object") out.not = convertNode(s.not, false);
    return out;
}

/**
 * The JSON Schema of one CRD version's `openAPIV3Schema`, for a whole object: the root is an object
 * with `apiVersion`, `kind` and ObjectMeta `metadata` (whatever the CRD says about them).
 */
export function structuralToJsonSchema(openAPIV3Schema: StructuralSchema): JsonSchema {
    const root = convertNode({ type: "object", ...openAPIV3Schema }, true);
    root.properties = {
        ...root.properties,
        apiVersion: { type: "string" },
        kind: { type: "string" },
        metadata: objectMetaSchema({ nameRequired: true }),
    };
    root.required = [...new Set([...(root.required ?? []), "apiVersion", "kind", "metadata"])];
    return root;
}

/** Child schemas of a converted node that `shareRepeatedSchemas` may replace (junctor branches stay inline). */
function childSchemaSlots(node: JsonSchema): [JsonSchema, string][] {
    const slots: [JsonSchema, string][] = [];
    if (node.properties) for (const k of Object.keys(node.properties)) slots.push([node.properties, k]);
    if (node.items && typeof node.items === "object") slots.push([node, "items"]);
    if (node.additionalProperties && typeof node.additionalProperties === "object") slots.push([node, "additionalProperties"]);
    return slots;
}

/**
 * Moves every subschema that occurs more than once into `$defs` and refers to it by `$ref`. With
 * descriptions gone, the InferenceService CRD (18,500 schema nodes: a PodSpec and its Container for
 * every predictor framework, transformer and explainer) has fewer than 500 distinct ones; compiled
 * once each, it takes a fraction of a second instead of ~8 s.
 */
export function shareRepeatedSchemas(root: JsonSchema, minSize = 64): JsonSchema {
    // Hash-consing, bottom-up: a node's text has its children replaced by their ids, so each node is
    // serialized once (stringifying whole subtrees at every level is quadratic in depth).
    const idOf = new Map<string, number>();
    const shapes: { text: string; shape: JsonSchema; uses: number }[] = [];
    const placeholder = (id: number) => ({ $ref: `#${id}` });
    const intern = (node: JsonSchema): number => {
        const shape: JsonSchema = { ...node, ...(node.properties ? { properties: { ...node.properties } } : {}) };
        for (const [holder, key] of childSchemaSlots(shape)) holder[key] = placeholder(intern(holder[key]));
        const text = JSON.stringify(shape);
        let id = idOf.get(text);
        if (id === undefined) {
            id = shapes.length;
            idOf.set(text, id);
            shapes.push({ text, shape, uses: 0 });
        }
        shapes[id].uses++;
        return id;
    };
    const rootId = intern(root);

    const defs: Record<string, JsonSchema> = {};
    const materialize = (id: number): JsonSchema => {
        const { shape } = shapes[id];
        const copy: JsonSchema = { ...shape, ...(shape.properties ? { properties: { ...shape.properties } } : {}) };
        for (const [holder, key] of childSchemaSlots(copy)) {
            const child = Number(String(holder[key].$ref).slice(1));
            const shared = shapes[child].uses > 1 && shapes[child].text.length >= minSize;
            if (shared) {
                if (!(`s${child}` in defs)) {
                    defs[`s${child}`] = {}; // reserved before recursing, so each def is built once
                    defs[`s${child}`] = materialize(child);
                }
                holder[key] = { $ref: `#/$defs/s${child}` };
            } else {
                holder[key] = materialize(child);
            }
        }
        return copy;
    };
    const out = materialize(rootId);
    return Object.keys(defs).length > 0 ? { ...out, $defs: defs } : out;
}

// ---------------------------------------------------------------------------------------------
// Ajv

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function isQualifiedName(key: string): boolean {
    const slash = key.lastIndexOf("/");
    const name = slash >= 0 ? key.slice(slash + 1) : key;
    const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
    if (!/^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/.test(name) || name.length > 63) return false;
    return prefix === undefined || (prefix.length <= 253 && new RegExp(DNS_SUBDOMAIN).test(prefix));
}

function newAjv(): Ajv {
    const ajv = new Ajv({
        allErrors: true, // report every problem of an object at once
        verbose: true, // errors carry the offending value
        strictSchema: true, // a keyword the converter left in by mistake fails the compile
        strictTypes: false, // junctor branches (`required` only) carry no `type`, as structural schemas demand
        allowUnionTypes: true,
        unicodeRegExp: false, // CRD patterns are Go RE2 syntax, closer to plain JS regexps than to /u
        inlineRefs: false, // each shared subschema becomes one function (see shareRepeatedSchemas)
    });
    ajv.addFormat("int32", { type: "number", validate: (n: number) => Number.isInteger(n) && n >= -2147483648 && n <= 2147483647 });
    ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isInteger(n) });
    ajv.addFormat("float", { type: "number", validate: () => true });
    ajv.addFormat("double", { type: "number", validate: () => true });
    ajv.addFormat("date-time", { type: "string", validate: (v: string) => RFC3339.test(v) });
    ajv.addFormat("date", { type: "string", validate: (v: string) => /^\d{4}-\d{2}-\d{2}$/.test(v) });
    ajv.addFormat("byte", { type: "string", validate: (v: string) => /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(v) });
    ajv.addKeyword({
        keyword: LIST_MAP_KEYS_KEYWORD,
        type: "array",
        schemaType: "array",
        errors: true,
        validate: function listMapKeys(keys: string[], data: unknown[]): boolean {
            const seen = new Map<string, number>();
            const errors: Partial<ErrorObject>[] = [];
            data.forEach((item, i) => {
                if (!item || typeof item !== "object") return;
                const id = JSON.stringify(keys.map((k) => (item as Record<string, unknown>)[k]));
                const first = seen.get(id);
                if (first === undefined) seen.set(id, i);
                else
                    errors.push({
                        keyword: LIST_MAP_KEYS_KEYWORD,
                        message: `duplicate entry: items [${first}] and [${i}] have the same ${keys.join("/")} ${id} (x-kubernetes-list-type: map)`,
                        params: { index: i },
                    });
            });
            (listMapKeys as unknown as { errors: Partial<ErrorObject>[] }).errors = errors;
            return errors.length === 0;
        },
    });
    ajv.addKeyword({
        keyword: QUALIFIED_KEYS_KEYWORD,
        type: "object",
        schemaType: "boolean",
        errors: true,
        validate: function qualifiedKeys(_: boolean, data: Record<string, unknown>): boolean {
            const bad = Object.keys(data).filter((k) => !isQualifiedName(k));
            (qualifiedKeys as unknown as { errors: Partial<ErrorObject>[] }).errors = bad.map((k) => ({
                keyword: QUALIFIED_KEYS_KEYWORD,
                message: `key ${JSON.stringify(k)} is not a qualified name ([prefix/]name: name ≤ 63 alphanumerics, '-', '_' or '.', starting and ending alphanumeric; prefix a DNS subdomain)`,
                params: { key: k },
            }));
            return bad.length === 0;
        },
    });
    return ajv;
}

// ---------------------------------------------------------------------------------------------
// Errors → problems

/** `spec.canary[0].predictor`, `metadata.annotations["serving.kserve.io/deploymentMode"]`. */
export function formatJsonPath(segments: readonly (string | number)[]): string {
    let out = "";
    for (const s of segments) {
        if (typeof s === "number") out += `[${s}]`;
        else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(s)) out += out === "" ? s : `.${s}`;
        else out += `[${JSON.stringify(s)}]`;
    }
    return out;
}

/** JSON pointer → segments, array indices as numbers (decided by the data, not by the text). */
function pointerSegments(pointer: string, data: unknown): (string | number)[] {
    if (pointer === "") return [];
    const segments: (string | number)[] = [];
    let at: unknown = data;
    for (const raw of pointer.split("/").slice(1)) {
        const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
        if (Array.isArray(at)) {
            segments.push(Number(key));
            at = at[Number(key)];
        } else {
            segments.push(key);
            at = at && typeof at === "object" ? (at as Record<string, unknown>)[key] : undefined;
        }
    }
    return segments;
}

function describeValue(v: unknown): string {
    if (v === null) return "null";
    if (Array.isArray(v)) return "an array";
    if (typeof v === "object") return "an object";
    const text = JSON.stringify(v);
    return `${typeof v} ${text.length > 80 ? `${text.slice(0, 77)}...` : text}`;
}

function typeNames(t: unknown): string {
    const names = (Array.isArray(t) ? t : [t]).filter((x) => x !== "null").map((x) => (x === "integer" ? "an integer" : x === "object" || x === "array" ? `an ${x}` : `a ${x}`));
    return names.join(" or ");
}

/** A junctor branch in words: `{required: [cosign]}` → `cosign`. */
function describeBranch(b: JsonSchema): string {
    const keys = Object.keys(b);
    if (keys.length === 1 && Array.isArray(b.required)) return b.required.join(" + ");
    return JSON.stringify(b);
}

function problemMessage(e: ErrorObject): { extra?: string; message: string } {
    switch (e.keyword) {
        case "additionalProperties":
            return { extra: String(e.params.additionalProperty), message: "unknown field: the CRD schema does not declare it, so the API server would prune it silently" };
        case "required":
            return { extra: String(e.params.missingProperty), message: "required field is missing" };
        case "type":
            if (e.data === null) return { message: `is null, but the schema does not say nullable (the API server would drop it); must be ${typeNames(e.schema)}` };
            return { message: `must be ${typeNames(e.schema)}, got ${describeValue(e.data)}` };
        case "enum":
            return { message: `must be one of ${(e.schema as unknown[]).map((x) => JSON.stringify(x)).join(", ")}; got ${describeValue(e.data)}` };
        case "pattern":
            return { message: `must match ${String(e.schema)}; got ${describeValue(e.data)}` };
        case "format":
            return { message: `must be a valid ${e.params.format}; got ${describeValue(e.data)}` };
        case "oneOf": {
            const branches = (e.schema as JsonSchema[]).map(describeBranch).join(" | ");
            return {
                message: `must match exactly one of: ${branches}${e.params.passingSchemas ? ` (matches ${(e.params.passingSchemas as number[]).length})` : " (matches none)"}`,
            };
        }
        case "anyOf":
            return { message: `must match at least one of: ${(e.schema as JsonSchema[]).map(describeBranch).join(" | ")}` };
        case "not": {
            const not = e.schema as JsonSchema;
            const onlyRequired = Object.keys(not).length === 1 && Array.isArray(not.required);
            return { message: onlyRequired ? `must not set all of: ${not.required.join(", ")}` : `must not match ${JSON.stringify(not)}` };
        }
        case "uniqueItems":
            return { message: `items [${Math.min(e.params.i, e.params.j)}] and [${Math.max(e.params.i, e.params.j)}] are duplicates (x-kubernetes-list-type: set)` };
        case LIST_MAP_KEYS_KEYWORD:
        case QUALIFIED_KEYS_KEYWORD:
            return { message: e.message ?? e.keyword };
        default:
            return { message: `${e.message ?? e.keyword}; got ${describeValue(e.data)}` };
    }
}

/** Errors inside a junctor branch only explain why that branch failed: the junctor's own error says it. */
const BRANCH_ERROR = /\/(anyOf|oneOf)\/\d+\/|\/not\//;

export function problemsFromAjvErrors(object: string, data: unknown, errors: readonly ErrorObject[]): CrdProblem[] {
    const problems: CrdProblem[] = [];
    const seen = new Set<string>();
    for (const e of errors) {
        if (BRANCH_ERROR.test(e.schemaPath)) continue;
        const { extra, message } = problemMessage(e);
        const segments = pointerSegments(e.instancePath, data);
        if (extra !== undefined) segments.push(extra);
        const problem = { object, path: formatJsonPath(segments), message };
        const key = `${problem.path}\u0000${problem.message}`;
        if (seen.has(key)) continue;
        seen.add(key);
        problems.push(problem);
    }
    return problems;
}

// ---------------------------------------------------------------------------------------------
// The validator

export interface CrdValidator {
    /** The CRD for an apiVersion/kind, or undefined (core kinds, or no CRD among the sources). */
    crdFor(apiVersion: string, kind: string): CrdSource | undefined;
    /** Every problem the API server would reject or silently drop; empty when the object is valid. */
    validate(object: unknown): CrdProblem[];
    /** Throws one error listing every problem. */
    assertValid(object: unknown): void;
}

export function objectName(object: unknown): string {
    const o = (object ?? {}) as { kind?: unknown; metadata?: { name?: unknown } };
    return `${typeof o.kind === "string" ? o.kind : "<no kind>"}/${typeof o.metadata?.name === "string" ? o.metadata.name : "<no name>"}`;
}

/** `serving.kserve.io/v1beta1` → group and version; `v1` → core group "". */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
    const slash = apiVersion.indexOf("/");
    return slash < 0 ? { group: "", version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** A validator over CRDs (parsed documents or lazily loaded files); compiled schemas are cached per version. */
export function createCrdValidator(crds: readonly (CustomResourceDefinition | CrdSource)[]): CrdValidator {
    const sources: CrdSource[] = crds.map((c) => ("load" in c ? c : { file: "<memory>", group: c.spec.group, kind: c.spec.names.kind, load: () => c }));
    const compiled = new Map<string, ValidateFunction>();
    let ajv: Ajv | undefined;

    const crdFor = (apiVersion: string, kind: string) => {
        const { group } = splitApiVersion(apiVersion);
        return sources.find((s) => s.group === group && s.kind === kind);
    };

    const validate = (object: unknown): CrdProblem[] => {
        const name = objectName(object);
        const problem = (path: string, message: string): CrdProblem[] => [{ object: name, path, message }];
        if (!object || typeof object !== "object" || Array.isArray(object)) return problem("", `is ${describeValue(object)}, not a Kubernetes object`);
        const o = object as Record<string, any>;
        if (typeof o.apiVersion !== "string" || typeof o.kind !== "string") return problem("", "apiVersion and kind must be strings");
        const { group, version } = splitApiVersion(o.apiVersion);
        const source = crdFor(o.apiVersion, o.kind);
        if (!source) return problem("", `no CRD for kind ${o.kind} in group ${group || "(core)"} among ${sources.length} upstream CRDs`);
        const crd = source.load();
        const v = crd.spec.versions.find((x) => x.name === version);
        if (!v) return problem("apiVersion", `version ${version} is not in CRD ${crd.metadata.name} (versions: ${crd.spec.versions.map((x) => x.name).join(", ")})`);
        if (!v.served) return problem("apiVersion", `version ${version} of CRD ${crd.metadata.name} is not served`);
        const schema = v.schema?.openAPIV3Schema;
        if (!schema) return problem("", `CRD ${crd.metadata.name} version ${version} has no openAPIV3Schema`);

        const key = `${group}/${version}/${o.kind}`;
        let check = compiled.get(key);
        if (!check) {
            ajv ??= newAjv();
            check = ajv.compile(shareRepeatedSchemas(structuralToJsonSchema(schema)));
            compiled.set(key, check);
        }
        const problems = check(object) ? [] : problemsFromAjvErrors(name, object, check.errors ?? []);
        if (crd.spec.scope === "Cluster" && o.metadata && typeof o.metadata === "object" && o.metadata.namespace !== undefined) {
            problems.push({ object: name, path: "metadata.namespace", message: `${o.kind} is cluster-scoped: the API server ignores a namespace` });
        }
        return problems;
    };

    return {
        crdFor,
        validate,
        assertValid(object: unknown) {
            const problems = validate(object);
            if (problems.length > 0)
                throw new Error(`${objectName(object)} does not match its CRD (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${formatProblems(problems)}`);
        },
    };
}

const validatorsByDirectory = new Map<string, CrdValidator>();

/**
 * A validator over the upstream CRD directory of this repository, one per directory and process:
 * test files share the parsed CRDs and compiled schemas (the files do not change during a run).
 */
export function upstreamCrdValidator(repoRoot: string, env: NodeJS.ProcessEnv = process.env): CrdValidator {
    const dir = upstreamCrdDirectory(repoRoot, env);
    let validator = validatorsByDirectory.get(dir);
    if (!validator) {
        validator = createCrdValidator(readCrdDirectory(dir));
        validatorsByDirectory.set(dir, validator);
    }
    return validator;
}
