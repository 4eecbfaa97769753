// A real Kubernetes control plane with no nodes, for end-to-end tests: etcd (Debian's etcd-server),
// kube-apiserver and kube-controller-manager (built by scripts/install-control-plane), each on free
// 127.0.0.1 ports, with certificates, keys, the kubeconfig and one log per process in a temporary run
// directory. The controller manager runs only the garbage collector and the namespace controller:
// the Pulumi kubernetes provider deletes in foreground, and without the garbage collector the
// `foregroundDeletion` finalizer stays and every delete hangs.
// Every wait is bounded. stop() ends the processes and removes the run directory; if the test process
// exits first they are killed on exit, and if it dies by a signal, a watchdog kills them and removes
// the run directory.
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { parseAllDocuments, stringify } from "yaml";
import { cacheBin, findExecutable } from "../../scripts/lib/program";

export const CONTEXT = "modelship-e2e";
export const FIELD_MANAGER = "modelship-e2e";
const USER = "admin";

/** Each binary and how to get it. */
const BINARIES = {
    etcd: "apt-get install etcd-server (or bash scripts/install-system-packages)",
    "kube-apiserver": "bash scripts/install-control-plane",
    "kube-controller-manager": "bash scripts/install-control-plane",
};
export type Component = keyof typeof BINARIES;

export interface ControlPlaneOptions {
    /** How long to wait for each process to answer healthy. Default 60 s (ready in ~3 s here). */
    readyTimeoutMs?: number;
    /** Start kube-controller-manager. Default true: without it deletes in foreground never finish. */
    controllerManager?: boolean;
    /** Extra kube-apiserver flags, appended last, e.g. `--feature-gates=…`. */
    apiServerArgs?: string[];
    /**
     * Where certificates, keys, the kubeconfig, etcd's data and the logs go. Default: a new temporary
     * directory, removed by stop(). A given directory is created if missing and left in place: it is
     * the caller's (e.g. to keep the logs with the rest of a run).
     */
    runDir?: string;
}

export interface ControlPlane {
    kubeconfigPath: string;
    /** The kubeconfig's only context (and current-context). */
    context: string;
    /** `https://127.0.0.1:PORT` */
    server: string;
    /** Bearer token of `admin`, group `system:masters`. */
    token: string;
    /** The CA that signed the serving certificate. */
    caPem: string;
    /** Holds certificates, keys, the kubeconfig, etcd's data and `<component>.log`; removed by stop() unless given in the options. */
    runDir: string;
    pids: Partial<Record<Component, number>>;
    /** Calls the API as `admin`; resolves to the parsed JSON answer, rejects with KubeApiError unless 2xx. */
    request<T = any>(method: string, apiPath: string, body?: unknown, contentType?: string): Promise<T>;
    /** Calls the API as `admin`; resolves to the HTTP status, whatever it is (e.g. 404 once deleted). */
    status(method: string, apiPath: string, body?: unknown, contentType?: string): Promise<number>;
    /** The API path of an object, its resource found through discovery; namespaced kinds default to `default`. */
    objectPath(apiVersion: string, kind: string, name: string, namespace?: string): Promise<string>;
    /**
     * Does what a missing controller would at the end of a delete: every 500 ms, drops `finalizer` from
     * each object of `group/version/resource` that is being deleted. Nothing is pruned (nothing was
     * ever deployed without that controller). Returns the function that stops it; stop() stops it too.
     */
    releaseFinalizers(group: string, version: string, resource: string, finalizer: string): () => void;
    /** Server-side applies every CustomResourceDefinition in `dir`'s YAML files; resolves to their names once all are Established. */
    applyCrds(dir: string): Promise<string[]>;
    createNamespace(name: string): Promise<any>;
    /** The last lines of a process's log, for failure messages. */
    logTail(component: Component, lines?: number): string;
    stop(): Promise<void>;
}

/** A non-2xx answer of the API server; `body` is its Status object. */
export class KubeApiError extends Error {
    constructor(
        readonly method: string,
        readonly apiPath: string,
        readonly status: number,
        readonly body: any,
    ) {
        super(`${method} ${apiPath}: ${status} ${body?.message ?? JSON.stringify(body)}`);
    }
}

/** One line per missing binary (looked for on PATH, then in $MODELSHIP_CACHE/bin, where scripts/install-control-plane puts it), naming it and the fix. */
export function missingBinaries(components: Component[] = Object.keys(BINARIES) as Component[]): string[] {
    return components.filter((name) => !findExecutable(name)).map((name) => `${name} is not installed (not on PATH nor in ${cacheBin()}): ${BINARIES[name]}`);
}

/** Under CI a missing binary is a failure, elsewhere a skip naming it (as requireTool in ./registry). */
export function requireControlPlane(ctx: Mocha.Context): void {
    const missing = missingBinaries();
    if (missing.length === 0) return;
    const message = missing.join("; ");
    if (process.env.CI === "true") throw new Error(`${message}: required under CI`);

    console.warn(`skipping: ${message}`);
    ctx.skip();
}

const running = new Set<ChildProcess>();
const runDirs = new Set<string>();
process.on("exit", () => {
    for (const child of running) child.kill("SIGKILL");
    for (const dir of runDirs) fs.rmSync(dir, { recursive: true, force: true });
});

export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
    const missing = missingBinaries(opts.controllerManager === false ? ["etcd", "kube-apiserver"] : undefined);
    if (missing.length > 0) throw new Error(missing.join("; "));
    const readyTimeoutMs = opts.readyTimeoutMs ?? 60_000;
    const ownRunDir = opts.runDir === undefined;
    const runDir = opts.runDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "modelship-control-plane-"));
    fs.mkdirSync(runDir, { recursive: true });
    if (ownRunDir) runDirs.add(runDir);
    const releasers = new Set<() => void>();
    const processes: Partial<Record<Component, ChildProcess>> = {};
    const agent = new https.Agent({ keepAlive: true });
    const file = (name: string) => path.join(runDir, name);
    const logTail = (component: Component, lines = 30) => {
        try {
            return fs
                .readFileSync(file(`${component}.log`), "utf8")
                .trimEnd()
                .split("\n")
                .slice(-lines)
                .join("\n");
        } catch {
            return "(no log)";
        }
    };
    let stopped = false;
    const stop = async () => {
        if (stopped) return;
        stopped = true;
        for (const stopReleasing of releasers) stopReleasing();
        // The clients first, the store last, so neither logs a storm of errors about the other.
        await Promise.all([terminate(processes["kube-controller-manager"]), terminate(processes["kube-apiserver"])]);
        await terminate(processes.etcd);
        agent.destroy();
        if (ownRunDir) fs.rmSync(runDir, { recursive: true, force: true });
        runDirs.delete(runDir);
    };

    try {
        const [etcdClientPort, etcdPeerPort, apiServerPort, controllerManagerPort] = await freePorts(4);
        const certs = writeCertificates(runDir);
        const token = crypto.randomBytes(24).toString("hex");
        fs.writeFileSync(file("tokens.csv"), `${token},${USER},${USER},"system:masters"\n`, { mode: 0o600 });
        // kube-apiserver signs service account tokens with this key (ES256) and checks them with its public half.
        const serviceAccount = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
        fs.writeFileSync(file("sa.key"), serviceAccount.privateKey.export({ type: "sec1", format: "pem" }), { mode: 0o600 });
        fs.writeFileSync(file("sa.pub"), serviceAccount.publicKey.export({ type: "spki", format: "pem" }));
        const server = `https://127.0.0.1:${apiServerPort}`;
        const kubeconfigPath = file("kubeconfig");
        fs.writeFileSync(kubeconfigPath, kubeconfig(server, certs.caPem, token), { mode: 0o600 });

        const launch = (component: Component, args: string[]) => {
            const child = startProcess(findExecutable(component)!, args, file(`${component}.log`), ownRunDir ? runDir : undefined);
            processes[component] = child;
        };
        const waitHealthy = async (component: Component, probe: () => Promise<string | true>) => {
            const deadline = Date.now() + readyTimeoutMs;
            let last = "no answer";
            while (Date.now() < deadline) {
                const child = processes[component]!;
                if (child.exitCode !== null || child.signalCode !== null) {
                    throw new Error(`${component} exited (${child.exitCode ?? child.signalCode}) before it was ready; last lines of its log:\n${logTail(component)}`);
                }
                const answer = await probe().catch((e: Error) => e.message);
                if (answer === true) return;
                last = answer;
                await sleep(200);
            }
            throw new Error(`${component} was not ready within ${readyTimeoutMs / 1000} s (last answer: ${last}); last lines of its log:\n${logTail(component)}`);
        };

        const etcdUrl = `http://127.0.0.1:${etcdClientPort}`;
        const etcdPeerUrl = `http://127.0.0.1:${etcdPeerPort}`;
        launch("etcd", [
            "--name=modelship-e2e",
            `--data-dir=${file("etcd")}`,
            `--listen-client-urls=${etcdUrl}`,
            `--advertise-client-urls=${etcdUrl}`,
            `--listen-peer-urls=${etcdPeerUrl}`,
            `--initial-advertise-peer-urls=${etcdPeerUrl}`,
            `--initial-cluster=modelship-e2e=${etcdPeerUrl}`,
            "--logger=zap",
            "--log-outputs=stderr",
        ]);
        await waitHealthy("etcd", async () => {
            const answer = await get(`${etcdUrl}/health`);
            return answer.status === 200 && /"health":\s*"true"/.test(answer.text) ? true : `${answer.status} ${answer.text}`;
        });

        launch("kube-apiserver", [
            `--etcd-servers=${etcdUrl}`,
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            `--secure-port=${apiServerPort}`,
            `--cert-dir=${file("kube-apiserver-certs")}`,
            `--tls-cert-file=${certs.certFile}`,
            `--tls-private-key-file=${certs.keyFile}`,
            `--token-auth-file=${file("tokens.csv")}`,
            "--authorization-mode=RBAC",
            `--service-account-key-file=${file("sa.pub")}`,
            `--service-account-signing-key-file=${file("sa.key")}`,
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            "--service-cluster-ip-range=10.96.0.0/24",
            // The `kubernetes` Service's endpoints may not be a loopback address: without this the
            // server logs a failed sync every 10 s. With no nodes nothing uses the Service.
            "--endpoint-reconciler-type=none",
            "--profiling=false",
            ...(opts.apiServerArgs ?? []),
        ]);
        const endpoint: Endpoint = { port: apiServerPort, ca: certs.caPem, token, agent };
        const request = <T = any>(method: string, apiPath: string, body?: unknown, contentType?: string) => callApi<T>(endpoint, method, apiPath, body, contentType);
        await waitHealthy("kube-apiserver", async () => {
            const answer = await send(endpoint, "GET", "/readyz", undefined, undefined, PROBE_TIMEOUT_MS);
            return answer.status === 200 ? true : `${answer.status} ${answer.text.slice(0, 500)}`;
        });

        if (opts.controllerManager !== false) {
            launch("kube-controller-manager", [
                `--kubeconfig=${kubeconfigPath}`,
                "--controllers=garbagecollector,namespace",
                "--leader-elect=false",
                "--use-service-account-credentials=false",
                "--bind-address=127.0.0.1",
                `--secure-port=${controllerManagerPort}`,
                // The API server's serving certificate is valid for 127.0.0.1 too, so one CA checks both.
                `--tls-cert-file=${certs.certFile}`,
                `--tls-private-key-file=${certs.keyFile}`,
                "--profiling=false",
            ]);
            await waitHealthy("kube-controller-manager", async () => {
                const answer = await send({ port: controllerManagerPort, ca: certs.caPem, agent }, "GET", "/healthz", undefined, undefined, PROBE_TIMEOUT_MS);
                return answer.status === 200 ? true : `${answer.status} ${answer.text.slice(0, 500)}`;
            });
        }

        const pids: ControlPlane["pids"] = {};
        for (const [component, child] of Object.entries(processes)) pids[component as Component] = child.pid;
        return {
            kubeconfigPath,
            context: CONTEXT,
            server,
            token,
            caPem: certs.caPem,
            runDir,
            pids,
            request,
            status: async (method, apiPath, body, contentType) => (await send(endpoint, method, apiPath, serialize(body), contentType)).status,
            objectPath: (apiVersion, kind, name, namespace) => objectPath(request, apiVersion, kind, name, namespace),
            releaseFinalizers: (group, version, resource, finalizer) => {
                const stopReleasing = releaseFinalizers(request, group, version, resource, finalizer);
                releasers.add(stopReleasing);
                return () => {
                    releasers.delete(stopReleasing);
                    stopReleasing();
                };
            },
            applyCrds: (dir) => applyCrds(request, dir),
            createNamespace: (name) => request("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name } }),
            logTail,
            stop,
        };
    } catch (err) {
        await stop();
        throw err;
    }
}

async function applyCrds(request: ControlPlane["request"], dir: string, timeoutMs = 60_000): Promise<string[]> {
    const files = fs
        .readdirSync(dir)
        .filter((name) => /\.ya?ml$/.test(name))
        .sort();
    if (files.length === 0) throw new Error(`no YAML files in ${dir}`);
    const crds: any[] = [];
    for (const name of files) {
        for (const doc of parseAllDocuments(fs.readFileSync(path.join(dir, name), "utf8"))) {
            if (doc.errors.length > 0) throw new Error(`${name}: ${doc.errors[0].message}`);
            const crd = doc.toJSON();
            if (crd === null) continue;
            if (crd.kind !== "CustomResourceDefinition") throw new Error(`${name}: ${crd.kind} ${crd.metadata?.name} is not a CustomResourceDefinition`);
            crds.push(crd);
        }
    }
    // All at once: the API server rebuilds its OpenAPI for each, so in parallel is about twice as fast.
    // JSON is YAML, and a third the size of these files.
    const names = await Promise.all(
        crds.map(async (crd) => {
            const apiPath = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`;
            await request("PATCH", `${apiPath}?fieldManager=${FIELD_MANAGER}&force=true`, JSON.stringify(crd), "application/apply-patch+yaml");
            return crd.metadata.name as string;
        }),
    );
    // Established is what puts a CRD's resource into discovery, and clients (the Pulumi provider too)
    // resolve kinds through discovery: so wait for both. Discovery is polled, being small; each CRD
    // is up to 650 kB of schema, read once at the end.
    const getCrd = (name: string) => request("GET", `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
    const established = (crd: any) => crd.status?.conditions?.some((c: any) => c.type === "Established" && c.status === "True");
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const undiscovered: any[] = [];
        for (const crd of crds) if (!(await inDiscovery(request, crd))) undiscovered.push(crd);
        const waiting = undiscovered.length > 0 ? undiscovered : (await Promise.all(names.map(getCrd))).filter((crd) => !established(crd));
        if (waiting.length === 0) break;
        if (Date.now() > deadline) {
            const states = await Promise.all(waiting.map((crd) => getCrd(crd.metadata.name)));
            const conditions = states.map((crd) => `${crd.metadata.name}: ${JSON.stringify(crd.status?.conditions ?? [])}`).join("\n");
            throw new Error(`CustomResourceDefinitions not Established and served within ${timeoutMs / 1000} s:\n${conditions}`);
        }
        await sleep(200);
    }
    return names;
}

async function objectPath(request: ControlPlane["request"], apiVersion: string, kind: string, name: string, namespace?: string): Promise<string> {
    const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const list = await request("GET", base);
    const resource = list.resources?.find((r: any) => r.kind === kind && !r.name.includes("/"));
    if (!resource) throw new Error(`the API server serves no resource of kind ${kind} in ${apiVersion}`);
    const scope = resource.namespaced ? `/namespaces/${encodeURIComponent(namespace ?? "default")}` : "";
    return `${base}${scope}/${resource.name}/${encodeURIComponent(name)}`;
}

function releaseFinalizers(request: ControlPlane["request"], group: string, version: string, resource: string, finalizer: string): () => void {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const tick = async () => {
        try {
            const list = await request("GET", `/apis/${group}/${version}/${resource}`);
            for (const item of list.items ?? []) {
                const index: number = (item.metadata.finalizers ?? []).indexOf(finalizer);
                if (!item.metadata.deletionTimestamp || index < 0) continue;
                const ns = item.metadata.namespace ? `/namespaces/${item.metadata.namespace}` : "";
                // `test` first: if the list changed meanwhile the patch fails and the next tick retries.
                const patch = [
                    { op: "test", path: `/metadata/finalizers/${index}`, value: finalizer },
                    { op: "remove", path: `/metadata/finalizers/${index}` },
                ];
                await request("PATCH", `/apis/${group}/${version}${ns}/${resource}/${item.metadata.name}`, patch, "application/json-patch+json").catch(() => undefined);
            }
        } catch {
            // the server is busy or stopping: the next tick retries
        }
        if (!stopped) timer = setTimeout(() => void tick(), 500).unref();
    };
    void tick();
    return () => {
        stopped = true;
        clearTimeout(timer);
    };
}

/** Does discovery list the CRD's resource in every version it serves? */
async function inDiscovery(request: ControlPlane["request"], crd: any): Promise<boolean> {
    for (const version of crd.spec.versions.filter((v: any) => v.served)) {
        const list = await request("GET", `/apis/${crd.spec.group}/${version.name}`).catch(() => undefined);
        if (!list?.resources?.some((r: any) => r.name === crd.spec.names.plural)) return false;
    }
    return true;
}

/** A CA and a serving certificate it signs for 127.0.0.1 and localhost (openssl CLI: node:crypto cannot issue certificates). */
function writeCertificates(dir: string): { caPem: string; certFile: string; keyFile: string } {
    const f = (name: string) => path.join(dir, name);
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    openssl(["req", "-x509", ...ec, "-days", "2", "-subj", "/CN=modelship-e2e-ca", "-keyout", f("ca.key"), "-out", f("ca.crt")]);
    openssl(["req", "-new", ...ec, "-subj", "/CN=kube-apiserver", "-keyout", f("server.key"), "-out", f("server.csr")]);
    fs.writeFileSync(
        f("server.ext"),
        [
            "basicConstraints=critical,CA:FALSE",
            "keyUsage=critical,digitalSignature",
            "extendedKeyUsage=serverAuth",
            "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc",
            "",
        ].join("\n"),
    );
    openssl([
        "x509",
        "-req",
        "-in",
        f("server.csr"),
        "-CA",
        f("ca.crt"),
        "-CAkey",
        f("ca.key"),
        "-set_serial",
        "2",
        "-days",
        "2",
        "-extfile",
        f("server.ext"),
        "-out",
        f("server.crt"),
    ]);
    return { caPem: fs.readFileSync(f("ca.crt"), "utf8"), certFile: f("server.crt"), keyFile: f("server.key") };
}

function openssl(args: string[]): void {
    const result = spawnSync("openssl", args, { encoding: "utf8", timeout: 30_000 });
    if (result.error) throw new Error(`openssl ${args[0]}: ${result.error.message} (the control plane needs the openssl CLI: apt-get install openssl)`);
    if (result.status !== 0) throw new Error(`openssl ${args.join(" ")} failed: ${result.stderr}`);
}

function kubeconfig(server: string, caPem: string, token: string): string {
    return stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: CONTEXT, cluster: { server, "certificate-authority-data": Buffer.from(caPem).toString("base64") } }],
        users: [{ name: USER, user: { token } }],
        contexts: [{ name: CONTEXT, context: { cluster: CONTEXT, user: USER } }],
        "current-context": CONTEXT,
    });
}

/** `runDir`: removed by the watchdog if this process dies (the default temporary one only). */
function startProcess(binary: string, args: string[], logFile: string, runDir: string | undefined): ChildProcess {
    const log = fs.openSync(logFile, "a");
    const child = spawn(binary, args, { stdio: ["ignore", log, log] });
    fs.closeSync(log);
    child.on("error", (err) => fs.appendFileSync(logFile, `\nspawn ${binary}: ${err.message}\n`));
    running.add(child);
    child.on("exit", () => running.delete(child));
    // On SIGKILL or a fatal signal the exit handler never runs: a detached shell polls this process
    // and the child every second and, once this process is gone, kills the child and removes the run
    // directory.
    if (child.pid !== undefined) {
        const script =
            'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done; kill -0 "$1" 2>/dev/null || { kill -9 "$2"; [ -z "$3" ] || rm -rf "$3"; } 2>/dev/null';
        spawn("sh", ["-c", script, "watchdog", String(process.pid), String(child.pid), runDir ?? ""], { detached: true, stdio: "ignore" }).unref();
    }
    return child;
}

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
async function terminate(child: ChildProcess | undefined, graceMs = 10_000): Promise<void> {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    if (await within(exited, graceMs)) return;
    child.kill("SIGKILL");
    await within(exited, 5_000);
}

/** Did `promise` settle within `ms`? The timer is cleared, so it never holds the process open. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    try {
        return await Promise.race([promise.then(() => true), timeout]);
    } finally {
        clearTimeout(timer);
    }
}

function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Ports free right now; all held open together so no two are the same. */
async function freePorts(count: number): Promise<number[]> {
    const servers = await Promise.all(
        Array.from(
            { length: count },
            () =>
                new Promise<net.Server>((resolve, reject) => {
                    const server = net.createServer();
                    server.on("error", reject);
                    server.listen(0, "127.0.0.1", () => resolve(server));
                }),
        ),
    );
    const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    return ports;
}

interface Endpoint {
    port: number;
    ca: string;
    token?: string;
    agent: https.Agent;
}

const REQUEST_TIMEOUT_MS = 30_000;
const PROBE_TIMEOUT_MS = 2_000;

function send(
    endpoint: Endpoint,
    method: string,
    apiPath: string,
    body?: string,
    contentType = "application/json",
    timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
        const headers: Record<string, string | number> = { Accept: "application/json" };
        if (endpoint.token) headers.Authorization = `Bearer ${endpoint.token}`;
        if (body !== undefined) {
            headers["Content-Type"] = contentType;
            headers["Content-Length"] = Buffer.byteLength(body);
        }
        const req = https.request({ host: "127.0.0.1", port: endpoint.port, method, path: apiPath, ca: endpoint.ca, agent: endpoint.agent, headers, timeout: timeoutMs }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (chunk: Buffer) => chunks.push(chunk));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
            res.on("error", reject);
        });
        req.on("timeout", () => req.destroy(new Error(`${method} ${apiPath}: no answer within ${timeoutMs / 1000} s`)));
        req.on("error", reject);
        req.end(body);
    });
}

function serialize(body: unknown): string | undefined {
    return body === undefined || typeof body === "string" ? body : JSON.stringify(body);
}

async function callApi<T>(endpoint: Endpoint, method: string, apiPath: string, body?: unknown, contentType?: string): Promise<T> {
    const answer = await send(endpoint, method, apiPath, serialize(body), contentType);
    let parsed: any = answer.text;
    try {
        parsed = answer.text === "" ? undefined : JSON.parse(answer.text);
    } catch {
        // not JSON: kept as text
    }
    if (answer.status < 200 || answer.status >= 300) throw new KubeApiError(method, apiPath, answer.status, parsed);
    return parsed as T;
}

function get(url: string): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
        const req = http.get(url, { timeout: PROBE_TIMEOUT_MS }, (res) => {
            let text = "";
            res.on("data", (chunk) => (text += chunk));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
        });
        req.on("timeout", () => req.destroy(new Error(`GET ${url}: no answer within ${PROBE_TIMEOUT_MS / 1000} s`)));
        req.on("error", reject);
    });
}
