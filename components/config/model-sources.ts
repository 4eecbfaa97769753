// Resolves every `models[].modelSource` (and `canary.modelSource`) of a validated stack config
// through the MLflow tracking server, when the program starts — in preview too, so the resolved
// version and the image digest built from it show in the preview, and an alias that moved to another
// version is a change there, never a silent one. Pure of Pulumi; errors name the config path.
import { PROVENANCE_FIELDS, requiredProvenanceOf, type ProvenanceConfig, type ProvenanceField, type StackConfig } from "./schema";
import { formatConfigProblems, ConfigProblem } from "./validate";
import { mlflowAnnotations, ResolvedModelSource, resolveModelSource, ResolveOptions } from "../mlflow/resolve";

/** One resolved image source: where its files are, its provenance and the annotations that name it. */
export interface ResolvedSource {
    /** Absolute path of the cached model files. */
    modelDir: string;
    /** The run's provenance under the configured one (config wins). */
    provenance: ProvenanceConfig;
    /** `dev.modelship.mlflow.*` image annotations: model, version, run, source URI. */
    annotations: Record<string, string>;
    mlflow: Pick<ResolvedModelSource, "uri" | "name" | "version" | "runId" | "metrics"> & { alias?: string };
}

/** Per model name, per version label (the model's `version` or its canary's): what was resolved. */
export type ResolvedSources = Record<string, Record<string, ResolvedSource>>;

export class ModelSourceError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ModelSourceError";
    }
}

export interface ResolveModelSourcesOptions {
    /** Plaintext token (from the secret modelship:mlflowToken); only sent in the Authorization header. */
    token?: string;
    cacheDir?: string;
    /** Test seam. */
    resolve?: (uri: string, opts: ResolveOptions) => Promise<ResolvedModelSource>;
}

/** Only the provenance fields (PROVENANCE_FIELDS), non-empty. */
function provenanceFields(p: Partial<Record<ProvenanceField, string | undefined>>): ProvenanceConfig {
    const out: ProvenanceConfig = {};
    for (const key of PROVENANCE_FIELDS) {
        const v = p[key];
        if (typeof v === "string" && v !== "") out[key] = v;
    }
    return out;
}

/**
 * Resolves the model sources of `config` (none: an empty result, no request). Every model is tried;
 * one error lists every failure, each with its config path and the fix.
 */
export async function resolveModelSources(config: StackConfig, opts: ResolveModelSourcesOptions = {}): Promise<ResolvedSources> {
    const resolve = opts.resolve ?? resolveModelSource;
    const jobs: { where: string; model: string; version: string; uri: string; configured: ProvenanceConfig }[] = [];
    config.models.forEach((m, i) => {
        if (m.modelSource) jobs.push({ where: `models[${i}].modelSource`, model: m.name, version: m.version, uri: m.modelSource, configured: m.provenance ?? {} });
        if (m.canary?.modelSource)
            jobs.push({ where: `models[${i}].canary.modelSource`, model: m.name, version: m.canary.version, uri: m.canary.modelSource, configured: m.provenance ?? {} });
    });
    const out: ResolvedSources = {};
    if (jobs.length === 0) return out;
    if (!config.mlflow) throw new ModelSourceError("mlflow.trackingUri is required to resolve models[].modelSource");
    const { trackingUri } = config.mlflow;
    const problems: ConfigProblem[] = [];
    const required = requiredProvenanceOf(config.signing);
    // One at a time: a stack has few models, and the cache makes repeated runs cheap.
    for (const job of jobs) {
        try {
            const r = await resolve(job.uri, { trackingUri, token: opts.token, cacheDir: opts.cacheDir });
            const provenance = { ...provenanceFields(r.provenance), ...provenanceFields(job.configured) };
            for (const field of required) {
                if (!provenance[field]) {
                    problems.push({
                        path: job.where,
                        message: `${job.where} "${job.uri}" resolved to ${r.name} version ${r.version} (run ${r.runId}), whose run does not give ${field}, and signing.requiredProvenance requires it: set models[].provenance.${field}, record it on the MLflow run, or remove "${field}" from signing.requiredProvenance`,
                    });
                }
            }
            (out[job.model] ??= {})[job.version] = {
                modelDir: r.modelDir,
                provenance,
                annotations: mlflowAnnotations(r),
                mlflow: { uri: r.uri, name: r.name, version: r.version, runId: r.runId, metrics: r.metrics, ...(r.alias ? { alias: r.alias } : {}) },
            };
        } catch (err) {
            problems.push({ path: job.where, message: `${job.where} "${job.uri}" could not be resolved: ${(err as Error).message}` });
        }
    }
    if (problems.length > 0) throw new ModelSourceError(formatConfigProblems(problems));
    return out;
}
