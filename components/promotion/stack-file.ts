// Reads a model's rollout from `Pulumi.<stack>.yaml` and writes a promotion decision back, with the
// `yaml` package's Document API so every comment and all formatting survive: only the model's
// `canary.trafficPercent` (step-up, rollback) or `version`, `modelDir` and `canary` (promote) change,
// spliced in at the nodes' source positions.
// The new file is what the GitOps trail reviews (a commit / PR). Pure: text in, text out.
import { Document, isMap, isScalar, isSeq, parseDocument, Scalar, YAMLMap, YAMLSeq } from "yaml";
import { ModelRollout, RolloutState } from "./decide";

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
    for (const [index, item] of (models as YAMLSeq).items.entries()) {
        if (!isMap(item)) continue;
        const name = item.get("name");
        if (typeof name === "string") names.push(name);
        if (name === model) return { node: item as YAMLMap, index };
    }
    throw new StackFileError(`${file} has no model "${model}" in ${MODELS_KEY} (models: ${names.length > 0 ? names.join(", ") : "none"}): pass --model with one of them`);
}

/** The model's rollout as the stack file has it; throws a StackFileError naming what is missing. */
export function readModelRollout(text: string, model: string, file: string): ModelRollout {
    const doc = parse(text, file);
    const { node, index } = modelNode(doc, model, file);
    const at = `${file}: ${MODELS_KEY}[${index}]`;
    const version = node.get("version");
    const modelDir = node.get("modelDir");
    if (typeof version !== "string" || typeof modelDir !== "string") {
        throw new StackFileError(`${at} ("${model}") needs string version and modelDir`);
    }
    const namespace = typeof node.get("namespace") === "string" ? (node.get("namespace") as string) : undefined;
    const canaryNode = node.get("canary");
    if (canaryNode === undefined || canaryNode === null) {
        return { name: model, version, modelDir, ...(namespace ? { namespace } : {}) };
    }
    if (!isMap(canaryNode)) {
        throw new StackFileError(`${at}.canary must be a map {version, modelDir, trafficPercent}`);
    }
    const canary = { version: canaryNode.get("version"), modelDir: canaryNode.get("modelDir"), trafficPercent: canaryNode.get("trafficPercent") };
    if (typeof canary.version !== "string" || typeof canary.modelDir !== "string" || typeof canary.trafficPercent !== "number" || !Number.isInteger(canary.trafficPercent)) {
        throw new StackFileError(`${at}.canary needs version and modelDir (strings) and trafficPercent (a whole number), got ${JSON.stringify(canary)}`);
    }
    return { name: model, version, modelDir, ...(namespace ? { namespace } : {}), canary: canary as ModelRollout["canary"] & object };
}

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
    const same = current.version === from.version && current.modelDir === from.modelDir && JSON.stringify(current.canary) === JSON.stringify(from.canary);
    if (!same) {
        throw new StackFileError(`${file}: model "${model}" changed since the decision was made (expected ${JSON.stringify(from)}, found ${JSON.stringify(current)}): run the promotion again`);
    }
    const doc = parse(text, file);
    const { node } = modelNode(doc, model, file);
    const splices: Splice[] = [];
    const setScalar = (map: YAMLMap, key: string, value: string | number) => {
        const scalar = map.get(key, true) as Scalar | undefined;
        if (!scalar?.range) throw new StackFileError(`${file}: model "${model}": cannot locate ${key} in the file`);
        splices.push({ start: scalar.range[0], end: scalar.range[1], text: scalarText(value) });
    };
    if (to.version !== from.version) setScalar(node, "version", to.version);
    if (to.modelDir !== from.modelDir) setScalar(node, "modelDir", to.modelDir);
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
        for (const key of ["version", "modelDir", "trafficPercent"] as const) {
            if (from.canary![key] !== to.canary[key]) setScalar(canaryMap, key, to.canary[key]);
        }
    }
    let out = text;
    for (const sp of splices.sort((a, b) => b.start - a.start)) out = out.slice(0, sp.start) + sp.text + out.slice(sp.end);
    // The edit must read back as exactly the decided state.
    const written = readModelRollout(out, model, file);
    const expected = { version: to.version, modelDir: to.modelDir, canary: to.canary };
    if (JSON.stringify({ version: written.version, modelDir: written.modelDir, canary: written.canary }) !== JSON.stringify(expected)) {
        throw new StackFileError(`${file}: model "${model}": the edit did not read back as ${JSON.stringify(to)}; change the file by hand`);
    }
    return out;
}
