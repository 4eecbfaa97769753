// Reads the stack config from `pulumi.Config("modelship")`, validates all of it, and throws one error
// listing every problem before any resource is declared.
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { isPlainObject } from "../lib/plain-object";
import { keyRefKind, StackConfig } from "./schema";
import { modelDirProblems } from "./model-dirs";
import { closestKey, ConfigProblem, formatConfigProblems, validateStackConfig } from "./validate";

/**
 * Whether `key` holds a secret (set with `pulumi config set --secret`). The SDK's `runtime` exports
 * `isConfigSecret` but marks it internal, so its .d.ts omits it; modelship needs it to refuse a
 * password stored in plaintext. If an SDK upgrade drops it, this fails loudly instead of guessing.
 */
function isConfigSecret(key: string): boolean {
    const fn = (pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean }).isConfigSecret;
    if (typeof fn !== "function") {
        throw new Error(
            "@pulumi/pulumi no longer exports runtime.isConfigSecret, which modelship uses to check that secret keys are encrypted: install the @pulumi/pulumi version pinned in package-lock.json (npm ci)",
        );
    }
    return fn(key);
}

export const configNamespace = "modelship";
/** The object-valued keys validated by the schema. */
export const objectKeys = ["kubernetes", "platform", "registry", "signing", "models", "promotion", "mlflow"] as const;
/** Boolean keys validated by the schema. */
export const flagKeys = ["allowEmptyModels"] as const;
/** Secret keys: top-level so they stay Pulumi secrets; never read as plaintext. */
export const secretKeys = ["registryPassword", "signingKeyPassword", "mlflowToken"] as const;
export type SecretKey = (typeof secretKeys)[number];
/** Every key of the namespace; any other `modelship:*` key is reported, never ignored. */
export const knownKeys: readonly string[] = [...objectKeys, ...flagKeys, ...secretKeys];

/** The secrets the program uses, as secret Outputs; absent when not set. */
export interface StackSecrets {
    registryPassword?: pulumi.Output<string>;
    signingKeyPassword?: pulumi.Output<string>;
    /** Bearer token for the MLflow tracking server (`mlflow.trackingUri`). */
    mlflowToken?: pulumi.Output<string>;
}

export interface LoadedStackConfig {
    config: StackConfig;
    secrets: StackSecrets;
}

export interface LoadStackConfigOptions {
    /**
     * Directory relative paths (model directories, public key, signing key file) are resolved from;
     * model directories must lie inside it unless the model sets `allowOutsideProject`. Default:
     * `process.cwd()` (the project root under `pulumi up`).
     */
    projectDir?: string;
    /** Config bag to read; default `new pulumi.Config("modelship")`. */
    config?: pulumi.Config;
}

interface RawRead {
    raw: Record<string, unknown>;
    present: Record<SecretKey, boolean>;
    problems: ConfigProblem[];
}

/**
 * Keys of the namespace that modelship does not know (a misspelt `modelship:model` would otherwise be
 * ignored, leaving a stack with no model). `pulumi.Config` cannot list keys; the runtime's
 * `allConfig()` holds every key the engine passed (PULUMI_CONFIG), Pulumi.yaml defaults included.
 */
export function unknownKeyProblems(namespace: string, all: Record<string, string> = pulumi.runtime.allConfig()): ConfigProblem[] {
    const prefix = `${namespace}:`;
    const problems: ConfigProblem[] = [];
    for (const fullKey of Object.keys(all).sort()) {
        if (!fullKey.startsWith(prefix)) {
            continue;
        }
        const key = fullKey.slice(prefix.length);
        if (knownKeys.includes(key)) {
            continue;
        }
        const suggestion = closestKey(key, knownKeys);
        const text =
            suggestion !== undefined
                ? `is not a known key: did you mean "${suggestion}"?`
                : `is not a known key: remove it with \`pulumi config rm ${fullKey}\` (known keys: ${knownKeys.join(", ")})`;
        problems.push({ path: fullKey, message: `${fullKey} ${text}` });
    }
    return problems;
}

function readRaw(cfg: pulumi.Config, projectDir: string): RawRead {
    const raw: Record<string, unknown> = {};
    const problems: ConfigProblem[] = unknownKeyProblems(cfg.name);
    for (const key of [...objectKeys, ...flagKeys]) {
        try {
            const v = cfg.getObject<unknown>(key);
            if (v !== undefined) {
                raw[key] = v;
            }
        } catch {
            // Not JSON: a plain string. Hand it to the schema, which says what shape it wants.
            raw[key] = cfg.get(key);
        }
    }
    const present = { registryPassword: false, signingKeyPassword: false, mlflowToken: false };
    for (const key of secretKeys) {
        const fullKey = `${configNamespace}:${key}`;
        const value = pulumi.runtime.getConfig(fullKey);
        // Pulumi.yaml declares these with an empty default (a secret key cannot carry a default), so
        // an empty value means "not set".
        if (value === undefined || value === "") {
            continue;
        }
        present[key] = true;
        if (!isConfigSecret(fullKey)) {
            problems.push({
                path: key,
                message: `${key} is stored in plaintext: re-set it with \`pulumi config set --secret ${fullKey}\` so it stays encrypted`,
            });
        }
    }
    problems.push(...resolveSigningFiles(raw, projectDir));
    problems.push(...modelDirProblems(raw.models, projectDir));
    return { raw, present, problems };
}

/** Turns `signing.publicKey` given as a path into PEM text, and checks a file signing key exists. */
function resolveSigningFiles(raw: Record<string, unknown>, projectDir: string): ConfigProblem[] {
    const signing = raw.signing;
    if (!isPlainObject(signing)) {
        return [];
    }
    const s = { ...signing };
    raw.signing = s;
    const problems: ConfigProblem[] = [];
    if (typeof s.publicKey === "string" && s.publicKey !== "" && !s.publicKey.includes("-----BEGIN")) {
        const file = path.resolve(projectDir, s.publicKey);
        if (fs.existsSync(file) && fs.statSync(file).isFile()) {
            s.publicKey = fs.readFileSync(file, "utf8").trim();
        } else {
            problems.push({
                path: "signing.publicKey",
                message: `signing.publicKey is neither PEM text nor a readable file: ${file} does not exist; give the PEM text or the path to cosign.pub (cosign generate-key-pair writes it)`,
            });
            // Reported above; a placeholder keeps the schema from also calling it missing.
            s.publicKey = "-----BEGIN PUBLIC KEY-----\nunresolved\n-----END PUBLIC KEY-----";
        }
    }
    if (s.enabled !== false && typeof s.key === "string" && s.key !== "" && keyRefKind(s.key) === "file") {
        const file = path.resolve(projectDir, s.key);
        if (!fs.existsSync(file)) {
            problems.push({
                path: "signing.key",
                message: `signing.key file ${file} does not exist: create it with \`cosign generate-key-pair\`, or use "env://VAR" or a KMS URI`,
            });
        }
    }
    return problems;
}

/**
 * Reads and validates the whole stack config. Throws one `pulumi.RunError` (no stack trace) listing
 * every problem, each with its path and the fix, so nothing is declared when config is bad.
 */
export function loadStackConfig(opts: LoadStackConfigOptions = {}): LoadedStackConfig {
    const cfg = opts.config ?? new pulumi.Config(configNamespace);
    const { raw, present, problems } = readRaw(cfg, opts.projectDir ?? process.cwd());
    const result = validateStackConfig(raw, present);
    const all = [...problems, ...(result.ok ? [] : result.problems)];
    if (all.length > 0 || !result.ok) {
        throw new pulumi.RunError(formatConfigProblems(all));
    }
    const secrets: StackSecrets = {};
    for (const key of secretKeys) {
        if (present[key]) {
            secrets[key] = cfg.requireSecret(key);
        }
    }
    return { config: result.config, secrets };
}
