// Reads a model's rollout from `Pulumi.<stack>.yaml` and writes a promotion decision back, with the
// `yaml` package's Document API so every comment and all formatting survive: only the model's
// `canary.trafficPercent` (step-up, rollback) or `version`, its `modelDir`/`modelSource` and `canary` (promote) change,
// spliced in at the nodes' source positions.
// The new file is what the GitOps trail reviews (a commit / PR). Pure: text in, text out.
import { Document, isMap, isScalar, isSeq, parseDocument, Scalar, YAMLMap } from "yaml";
import { locationOf, ModelLocation, ModelRollout, RolloutState } from "./decide";

export const MODELS_KEY = "modelship:models";
export const PROMOTION_KEY = "modelship:promotion";

/** A stack file that cannot be read or changed as asked; the message says what and how to fix it. */
export class StackFileError extends Error {}

function parse(text: string, file: string): Document.Parsed {
    const doc = parseDocument(text, { keepSourceTokens: false });
    if (doc.errors.length > 0) {
        throw new StackFileError(`${file} is not valid YAML: ${doc.errors[0].message}`);
    }
    return doc;
}

function modelNode(doc: Document.Parsed, model: string, file: string): { node: YAMLMap; index: number } {
    const models = doc.getIn(["config", MODELS_KEY]);
    if (!isSeq(models)) {
        throw new StackFileError(`${file} has no config."${MODELS_KEY}" list: nothing to promote; add the model there first`);
    }
    const names: string[] = [];
    for (const [index, item] of models.items.entries()) {
        if (!isMap(item)) continue;
        const name = item.get("name");
        if (typeof name === "string") names.push(name);
        if (name === model) return { node: item, index };
    }
    throw new StackFileError(`${file} has no model "${model}" in ${MODELS_KEY} (models: ${names.length > 0 ? names.join(", ") : "none"}): pass --model with one of them`);
}

/** The model's rollout as the stack file has it; throws a StackFileError naming what is missing. */
export function readModelRollout(text: string, model: string, file: string): ModelRollout {
    const doc = parse(text, file);
    const { node, index } = modelNode(doc, model, file);
    const at = `${file}: ${MODELS_KEY}[${index}]`;
    const version = node.get("version");
    const location = locationIn(node);
    if (typeof version !== "string" || !location) {
        throw new StackFileError(`${at} ("${model}") needs a string version and one of modelDir or modelSource`);
    }
    const namespace = typeof node.get("namespace") === "string" ? (node.get("namespace") as string) : undefined;
    const canaryNode = node.get("canary");
    if (canaryNode === undefined || canaryNode === null) {
        return { name: model, version, ...location, ...(namespace ? { namespace } : {}) };
    }
    if (!isMap(canaryNode)) {
        throw new StackFileError(`${at}.canary must be a map {version, modelDir or modelSource, trafficPercent}`);
    }
    const canaryVersion = canaryNode.get("version");
    const canaryLocation = locationIn(canaryNode);
    const trafficPercent = canaryNode.get("trafficPercent");
    if (typeof canaryVersion !== "string" || !canaryLocation || typeof trafficPercent !== "number" || !Number.isInteger(trafficPercent)) {
        throw new StackFileError(
            `${at}.canary needs version and one of modelDir or modelSource (strings) and trafficPercent (a whole number), got ${JSON.stringify(canaryNode.toJSON())}`,
        );
    }
    return { name: model, version, ...location, ...(namespace ? { namespace } : {}), canary: { version: canaryVersion, ...canaryLocation, trafficPercent } };
}

/** The one location key a model (or canary) map sets, or undefined when it sets none or both. */
function locationIn(node: YAMLMap): ModelLocation | undefined {
    const dir = node.get("modelDir");
    const source = node.get("modelSource");
    if (typeof dir === "string" && source === undefined) return { modelDir: dir };
    if (typeof source === "string" && dir === undefined) return { modelSource: source };
    return undefined;
}

const locationKey = (l: ModelLocation): "modelDir" | "modelSource" => (l.modelSource !== undefined ? "modelSource" : "modelDir");
const sameState = (a: RolloutState, b: RolloutState) =>
    JSON.stringify({ version: a.version, ...locationOf(a), canary: a.canary }) === JSON.stringify({ version: b.version, ...locationOf(b), canary: b.canary });

/** The raw `modelship:promotion` value (validated by the caller), or undefined. */
export function readPromotionConfig(text: string, file: string): unknown {
    const value = parse(text, file).getIn(["config", PROMOTION_KEY]);
    return value && typeof value === "object" && "toJSON" in value ? (value as { toJSON(): unknown }).toJSON() : value;
}

interface Splice {
    start: number;
    end: number;
    text: string;
}

/** The text of a scalar value as YAML writes it (`v2`, `25`, quoted when it must be). */
function scalarText(value: string | number): string {
    return new Document(value).toString().trimEnd();
}

/**
 * The stack file with the model's rollout changed from `from` to `to`. Refuses (StackFileError) when
 * the model or its canary is not there, or the file no longer holds `from` (changed meanwhile).
 *
 * The change is spliced into the original text at the nodes' source ranges rather than re-serialising
 * the document, so nothing else moves, not even the spacing before an inline comment. Removing the
 * canary (promote) takes the comment lines directly above `canary:` with it: they describe it.
 */
export function writeModelRollout(text: string, model: string, from: RolloutState, to: RolloutState, file: string): string {
    const current = readModelRollout(text, model, file);
    if (!current.canary) {
        throw new StackFileError(`${file}: model "${model}" has no canary: there is nothing to step up, promote or roll back`);
    }
    if (!sameState(current, from)) {
        throw new StackFileError(
            `${file}: model "${model}" changed since the decision was made (expected ${JSON.stringify(from)}, found ${JSON.stringify(current)}): run the promotion again`,
        );
    }
    const doc = parse(text, file);
    const { node } = modelNode(doc, model, file);
    const splices: Splice[] = [];
    const setScalar = (map: YAMLMap, key: string, value: string | number) => {
        const scalar = map.get(key, true);
        if (!scalar?.range) throw new StackFileError(`${file}: model "${model}": cannot locate ${key} in the file`);
        splices.push({ start: scalar.range[0], end: scalar.range[1], text: scalarText(value) });
    };
    if (to.version !== from.version) setScalar(node, "version", to.version);
    const fromKey = locationKey(from);
    const toKey = locationKey(to);
    const toValue = to[toKey]!;
    if (fromKey !== toKey) {
        // A promotion from a directory to an MLflow source (or back): the key itself changes.
        const pair = node.items.find((p) => isScalar(p.key) && p.key.value === fromKey);
        const key = pair?.key as Scalar | undefined;
        if (!key?.range) throw new StackFileError(`${file}: model "${model}": cannot locate ${fromKey} in the file`);
        splices.push({ start: key.range[0], end: key.range[1], text: toKey });
        setScalar(node, fromKey, toValue);
    } else if (toValue !== from[fromKey]) {
        setScalar(node, toKey, toValue);
    }
    const canaryPair = node.items.find((pair) => isScalar(pair.key) && pair.key.value === "canary");
    const canaryMap = canaryPair?.value as YAMLMap;
    if (to.canary === undefined) {
        const keyStart = (canaryPair!.key as Scalar).range![0];
        let start = text.lastIndexOf("\n", keyStart - 1) + 1;
        const indent = text.slice(start, keyStart);
        // Comment lines right above `canary:`, at its indentation, go with it.
        for (;;) {
            const prevStart = text.lastIndexOf("\n", start - 2) + 1;
            if (start === 0 || !text.slice(prevStart, start).startsWith(`${indent}#`)) break;
            start = prevStart;
        }
        const end = canaryMap.range![2];
        splices.push({ start, end: text[end - 1] === "\n" || end >= text.length ? end : text.indexOf("\n", end) + 1 || text.length, text: "" });
    } else {
        for (const key of ["version", "modelDir", "modelSource", "trafficPercent"] as const) {
            const value = to.canary[key];
            if (value !== undefined && from.canary![key] !== value) setScalar(canaryMap, key, value);
        }
    }
    let out = text;
    for (const sp of splices.sort((a, b) => b.start - a.start)) out = out.slice(0, sp.start) + sp.text + out.slice(sp.end);
    // The edit must read back as exactly the decided state.
    const written = readModelRollout(out, model, file);
    if (!sameState(written, to)) {
        throw new StackFileError(`${file}: model "${model}": the edit did not read back as ${JSON.stringify(to)}; change the file by hand`);
    }
    return out;
}
