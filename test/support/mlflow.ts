// A real MLflow tracking server for integration tests: `mlflow server` on a free 127.0.0.1 port, a
// SQLite backend store and a local artifact store in a temporary directory, artifacts served through
// the server's proxy. `registerIris` trains and registers a real scikit-learn model with the
// project's fixture script. stop() kills the server's process group and removes its directory.
import { waitUntilServing } from "../../scripts/lib/loopback";
import { ChildProcess, execFile, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { freePort } from "./registry";
import { requireInput } from "./required-input";

/** The venv `scripts/install-python-tools` makes, else `mlflow` on PATH; undefined when neither. */
export function findMlflowBin(): { mlflow: string; python: string } | undefined {
    const cache = process.env.MODELSHIP_CACHE ?? path.join(os.homedir(), ".cache", "modelship");
    const venvs = fs.existsSync(cache)
        ? fs
              .readdirSync(cache)
              .filter((d) => d.startsWith("venv-mlflow-"))
              .sort()
              .reverse()
        : [];
    for (const v of venvs) {
        const bin = path.join(cache, v, "bin");
        if (fs.existsSync(path.join(bin, "mlflow")) && fs.existsSync(path.join(bin, "python"))) return { mlflow: path.join(bin, "mlflow"), python: path.join(bin, "python") };
    }
    for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
        if (dir && fs.existsSync(path.join(dir, "mlflow"))) {
            const python = ["python3", "python"].map((p) => path.join(dir, p)).find((p) => fs.existsSync(p));
            if (python) return { mlflow: path.join(dir, "mlflow"), python };
        }
    }
    return undefined;
}

/** Skips (or fails under CI) when MLflow is not installed. */
export function requireMlflow(ctx: Mocha.Context): { mlflow: string; python: string } {
    const found = findMlflowBin();
    if (found) return found;
    return requireInput(ctx, "mlflow is not installed", "bash scripts/install-python-tools makes ~/.cache/modelship/venv-mlflow-*");
}

export interface MlflowServer {
    /** `http://127.0.0.1:PORT` */
    trackingUri: string;
    dir: string;
    /** Trains LogisticRegression on iris, registers it as a new version of `name`, points `alias` at it. */
    registerIris(opts?: { name?: string; alias?: string; C?: number }): Promise<{ name: string; version: string; runId: string; datasetDigest: string; accuracy: number }>;
    stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on("exit", () => {
    for (const child of running) {
        try {
            process.kill(-child.pid!, "SIGKILL");
        } catch {
            // gone already
        }
    }
});

const fixture = path.join(__dirname, "..", "fixtures", "mlflow", "register_iris.py");

export async function startMlflowServer(bins: { mlflow: string; python: string }, opts: { startTimeoutMs?: number } = {}): Promise<MlflowServer> {
    const port = await freePort();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "modelship-mlflow-"));
    const env = { ...process.env, MLFLOW_TRACKING_URI: "", PYTHONWARNINGS: "ignore", GIT_PYTHON_REFRESH: "quiet" };
    const child = spawn(
        bins.mlflow,
        [
            "server",
            "--backend-store-uri",
            `sqlite:///${dir}/mlflow.db`,
            "--artifacts-destination",
            path.join(dir, "artifacts"),
            "--serve-artifacts",
            "--host",
            "127.0.0.1",
            "--port",
            String(port),
            "--workers",
            "1",
        ],
        { cwd: dir, env, detached: true, stdio: ["ignore", "ignore", "pipe"] },
    );
    running.add(child);
    let stderr = "";
    child.stderr.on("data", (d) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.on("exit", () => running.delete(child));
    const stop = async () => {
        if (child.exitCode === null && child.signalCode === null) {
            const exited = new Promise((r) => child.once("exit", r));
            try {
                process.kill(-child.pid!, "SIGTERM");
            } catch {
                // gone already
            }
            const done = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 5000))]);
            if (!done) {
                try {
                    process.kill(-child.pid!, "SIGKILL");
                } catch {
                    // gone already
                }
            }
        }
        fs.rmSync(dir, { recursive: true, force: true });
    };
    try {
        await waitUntilServing(child, { name: "mlflow server", port, path: "/health", timeoutMs: opts.startTimeoutMs ?? 60_000, log: () => stderr });
    } catch (err) {
        await stop();
        throw err;
    }
    const trackingUri = `http://127.0.0.1:${port}`;
    return {
        trackingUri,
        dir,
        stop,
        registerIris: (o = {}) =>
            new Promise((resolve, reject) => {
                const args = [fixture, trackingUri, "--name", o.name ?? "iris", "--alias", o.alias ?? "champion", "--C", String(o.C ?? 1.0)];
                execFile(bins.python, args, { cwd: dir, env, timeout: 120_000 }, (err, stdout, stderrOut) => {
                    if (err) return reject(new Error(`register_iris.py failed: ${err.message}\n${stderrOut.slice(-3000)}`));
                    const last = stdout.trim().split("\n").pop() ?? "";
                    try {
                        resolve(JSON.parse(last));
                    } catch {
                        reject(new Error(`register_iris.py printed no JSON: ${stdout.slice(-1000)}`));
                    }
                });
            }),
    };
}
