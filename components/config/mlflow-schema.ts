// `modelship:mlflow`: where models named by `models[].modelSource` (`models:/iris@champion`) are
// resolved. Pure: no Pulumi imports. The token is the secret `modelship:mlflowToken`, never here.
import { z } from "zod";
import { isPlainObject } from "../lib/plain-object";
import { isLoopbackHost } from "../oci/reference";
import { modelSourceExample, modelSourceProblem } from "../mlflow/resolve";

type Loose = Record<string, unknown>;

export interface MlflowConfigIssue {
    path: (string | number)[];
    message: string;
}

/** The host of an http(s) URL, or undefined when `uri` is not one. */
function httpUrl(uri: string): URL | undefined {
    try {
        const url = new URL(uri);
        return url.protocol === "http:" || url.protocol === "https:" ? url : undefined;
    } catch {
        return undefined;
    }
}

export const mlflowSchema = z
    .strictObject({
        /** The tracking server, `http(s)://host[:port][/prefix]`; plain http only to loopback unless `insecure`. */
        trackingUri: z
            .string({
                error: (iss) =>
                    iss.input === undefined
                        ? 'is required: the MLflow tracking server URL, e.g. "https://mlflow.example.com"'
                        : 'must be a string: the MLflow tracking server URL, e.g. "https://mlflow.example.com"',
            })
            .refine((u) => httpUrl(u) !== undefined, {
                error: 'must be an http(s) URL of the MLflow tracking server, e.g. "https://mlflow.example.com" or "http://127.0.0.1:5000"',
                abort: true,
            })
            .refine((u) => !httpUrl(u)!.username && !httpUrl(u)!.password, {
                error: "must not carry credentials: put the token in the secret modelship:mlflowToken (pulumi config set --secret modelship:mlflowToken)",
            }),
        /** Explicit acknowledgement that a non-local tracking server is reached over plain http (the token would travel in clear). */
        insecure: z.boolean({ error: "must be true or false" }).default(false),
    })
    .superRefine((m, ctx) => {
        const url = httpUrl(m.trackingUri);
        if (url && url.protocol === "http:" && !m.insecure && !isLoopbackHost(url.hostname)) {
            ctx.addIssue({
                code: "custom",
                path: ["trackingUri"],
                message: `is plain http to "${url.hostname}", which is not a loopback address: use https, or set mlflow.insecure: true to accept plain http (the token, if any, travels in clear)`,
            });
        }
    });

/** An empty map means "not configured": Pulumi.yaml declares `mlflow` with the default `{}` (a declared key without one is required in every stack). */
const isUnset = (v: unknown): boolean => v === undefined || (isPlainObject(v) && Object.keys(v).length === 0);

/** The `mlflow` key of the stack config: absent or `{}` is no MLflow. */
export const mlflowSection = z.preprocess((v) => (isUnset(v) ? undefined : v), mlflowSchema.optional());

/** `models[].modelSource` / `canary.modelSource`: a registered MLflow model by alias or version. */
export const modelSourceField = () =>
    z
        .string({ error: `must be a string: ${modelSourceExample}` })
        .refine((s) => modelSourceProblem(s) === undefined, { error: (iss) => `"${String(iss.input)}" ${modelSourceProblem(String(iss.input))}` });

/** Does a (loose) model or its canary use `modelSource`? */
export function usesModelSource(m: unknown): boolean {
    return isPlainObject(m) && (m.modelSource !== undefined || (isPlainObject(m.canary) && m.canary.modelSource !== undefined));
}

/** Exactly one of `modelDir` and `modelSource`, for a model (`where` = []) or its canary (`["canary"]`). */
export function modelSourceChoiceIssues(m: Loose, where: (string | number)[]): MlflowConfigIssue[] {
    const hasDir = m.modelDir !== undefined;
    const hasSource = m.modelSource !== undefined;
    if (hasDir && hasSource) {
        return [
            {
                path: [...where, "modelSource"],
                message: "and modelDir are both set: a model comes from one place; keep modelDir (files in the project) or modelSource (an MLflow registered model), not both",
            },
        ];
    }
    if (!hasDir && !hasSource) {
        return [
            {
                path: [...where, "modelDir"],
                message: `is required (or modelSource): set modelDir to the directory of the model files, e.g. "models/iris/v1", or modelSource to an MLflow registered model, ${modelSourceExample}`,
            },
        ];
    }
    return [];
}

/** `mlflow.trackingUri` is required as soon as any model uses `modelSource`. */
export function mlflowRequiredIssues(mlflow: unknown, models: unknown): MlflowConfigIssue[] {
    if (!isUnset(mlflow)) return [];
    const list = Array.isArray(models) ? models : [];
    const first = list.findIndex(usesModelSource);
    if (first < 0) return [];
    return [
        {
            path: ["mlflow"],
            message: `is required because models[${first}] names an MLflow model (modelSource): set mlflow.trackingUri to the tracking server, e.g. "https://mlflow.example.com" (a token goes in the secret modelship:mlflowToken)`,
        },
    ];
}
