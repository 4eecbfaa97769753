// A small client of the MLflow tracking server's REST API (no Pulumi imports): the model registry
// (alias and version look-ups), runs, logged models (MLflow 3) and artifacts through the server's
// artifact proxy (`mlflow server` serves artifacts by default). Checked against MLflow 3.17.
// Every request has a bounded timeout; every error names the URL (never the token), what was asked
// for and the fix.
import * as http from "http";
import * as https from "https";

export interface MlflowConnection {
    /** `http(s)://host[:port][/prefix]` of the tracking server. */
    trackingUri: string;
    /** Sent as `Authorization: Bearer <token>`; never put in a message. */
    token?: string;
    /** Per-request timeout (connect to last byte). Default 30 s; artifact downloads get 10 min. */
    timeoutMs?: number;
    /** Called with every request's method and path (tests count artifact downloads). */
    onRequest?: (method: string, path: string) => void;
}

export class MlflowError extends Error {
    constructor(
        message: string,
        /** HTTP status, when the server answered. */
        readonly status?: number,
        /** MLflow's `error_code` (RESOURCE_DOES_NOT_EXIST, INVALID_PARAMETER_VALUE, …). */
        readonly errorCode?: string,
    ) {
        super(message);
        this.name = "MlflowError";
    }
}

export interface MlflowModelVersion {
    name: string;
    version: string;
    source: string;
    run_id?: string;
    status?: string;
    aliases?: string[];
}
export interface MlflowRun {
    info: { run_id: string; experiment_id: string; artifact_uri: string; status?: string };
    data: { metrics?: { key: string; value: number }[]; params?: { key: string; value: string }[]; tags?: { key: string; value: string }[] };
    inputs?: { dataset_inputs?: { dataset: { name: string; digest: string; source_type?: string }; tags?: { key: string; value: string }[] }[] };
}
export interface MlflowLoggedModel {
    info: { model_id: string; artifact_uri: string; source_run_id?: string; status?: string };
}
export interface MlflowArtifactFile {
    path: string;
    is_dir?: boolean;
    file_size?: number | string;
}

function baseUrl(trackingUri: string): URL {
    const url = new URL(trackingUri);
    if (!url.pathname.endsWith("/")) url.pathname += "/";
    return url;
}

/** `pathAndQuery` relative to the tracking URI (which may carry a path prefix). */
export function mlflowUrl(trackingUri: string, pathAndQuery: string): URL {
    return new URL(pathAndQuery.replace(/^\//, ""), baseUrl(trackingUri));
}

const fixFor = (status: number | undefined, trackingUri: string): string => {
    if (status === 401 || status === 403) return "check the secret modelship:mlflowToken (pulumi config set --secret modelship:mlflowToken)";
    if (status === undefined) return `check that the MLflow tracking server at ${trackingUri} is running and reachable (mlflow.trackingUri)`;
    return `check mlflow.trackingUri (${trackingUri}) and the server's log`;
};

/** Sends one request; resolves with the response stream when the status is 2xx. */
function request(conn: MlflowConnection, pathAndQuery: string, what: string, timeoutMs: number): Promise<http.IncomingMessage> {
    const url = mlflowUrl(conn.trackingUri, pathAndQuery);
    const shown = `${url.origin}${url.pathname}${url.search}`;
    conn.onRequest?.("GET", `${url.pathname}${url.search}`);
    const lib = url.protocol === "https:" ? https : http;
    return new Promise((resolve, reject) => {
        const req = lib.get(url, { headers: { accept: "application/json", ...(conn.token ? { authorization: `Bearer ${conn.token}` } : {}) }, timeout: timeoutMs }, (res) => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) {
                resolve(res);
                return;
            }
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.length < 64 && chunks.push(c));
            res.on("end", () => {
                const body = Buffer.concat(chunks).toString("utf8").slice(0, 2000);
                let errorCode: string | undefined;
                let detail = body.trim().slice(0, 300);
                try {
                    const parsed = JSON.parse(body) as { error_code?: string; message?: string };
                    errorCode = parsed.error_code;
                    detail = `${parsed.error_code ?? ""}${parsed.message ? `: ${parsed.message}` : ""}`;
                } catch {
                    // not JSON: keep the text
                }
                const fix =
                    errorCode === "RESOURCE_DOES_NOT_EXIST" || (errorCode === "INVALID_PARAMETER_VALUE" && /not found/i.test(detail))
                        ? "check the name, version or alias in models[].modelSource against the MLflow model registry"
                        : fixFor(status, conn.trackingUri);
                reject(new MlflowError(`MLflow ${what}: GET ${shown} answered ${status}${detail ? ` (${detail})` : ""}: ${fix}`, status, errorCode));
            });
            res.on("error", (err) => reject(new MlflowError(`MLflow ${what}: GET ${shown} failed while reading the answer: ${err.message}`, status)));
        });
        req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
        req.on("error", (err) => reject(new MlflowError(`MLflow ${what}: GET ${shown} failed: ${err.message}: ${fixFor(undefined, conn.trackingUri)}`)));
    });
}

async function getJson<T>(conn: MlflowConnection, pathAndQuery: string, what: string): Promise<T> {
    const res = await request(conn, pathAndQuery, what, conn.timeoutMs ?? 30_000);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    try {
        return JSON.parse(text) as T;
    } catch {
        const url = mlflowUrl(conn.trackingUri, pathAndQuery);
        throw new MlflowError(
            `MLflow ${what}: GET ${url.origin}${url.pathname} did not answer JSON (${text.slice(0, 120)}): is mlflow.trackingUri (${conn.trackingUri}) an MLflow tracking server?`,
        );
    }
}

const q = encodeURIComponent;

export function getModelVersionByAlias(conn: MlflowConnection, name: string, alias: string): Promise<MlflowModelVersion> {
    return getJson<{ model_version: MlflowModelVersion }>(conn, `api/2.0/mlflow/registered-models/alias?name=${q(name)}&alias=${q(alias)}`, `model ${name}@${alias}`).then(
        (r) => r.model_version,
    );
}

export function getModelVersion(conn: MlflowConnection, name: string, version: string): Promise<MlflowModelVersion> {
    return getJson<{ model_version: MlflowModelVersion }>(conn, `api/2.0/mlflow/model-versions/get?name=${q(name)}&version=${q(version)}`, `model ${name} version ${version}`).then(
        (r) => r.model_version,
    );
}

export function getRun(conn: MlflowConnection, runId: string): Promise<MlflowRun> {
    return getJson<{ run: MlflowRun }>(conn, `api/2.0/mlflow/runs/get?run_id=${q(runId)}`, `run ${runId}`).then((r) => r.run);
}

/** MLflow 3: a logged model (`models:/m-<id>` as a model version's source). */
export function getLoggedModel(conn: MlflowConnection, modelId: string): Promise<MlflowLoggedModel> {
    return getJson<{ model: MlflowLoggedModel }>(conn, `api/2.0/mlflow/logged-models/${q(modelId)}`, `logged model ${modelId}`).then((r) => r.model);
}

/** One directory of the artifact proxy (`path` relative to the artifact root, no leading slash). */
export function listProxiedArtifacts(conn: MlflowConnection, path: string): Promise<MlflowArtifactFile[]> {
    return getJson<{ files?: MlflowArtifactFile[] }>(conn, `api/2.0/mlflow-artifacts/artifacts?path=${q(path)}`, `artifact listing of ${path}`).then((r) => r.files ?? []);
}

/** A proxied artifact's bytes as a stream (`path` relative to the artifact root). */
export function downloadProxiedArtifact(conn: MlflowConnection, path: string): Promise<http.IncomingMessage> {
    return request(conn, `api/2.0/mlflow-artifacts/artifacts/${path.split("/").map(q).join("/")}`, `artifact ${path}`, conn.timeoutMs ?? 600_000);
}
