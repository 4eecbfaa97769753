// A real registry for integration tests: Debian's `docker-registry` (distribution 2.8) on a free
// 127.0.0.1 port with its own config and temporary storage, plus a busybox base image seeded from
// Debian's busybox-static. Everything is torn down by stop() and, failing that, on process exit.
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { canonicalJson, describeBytes, sha256Digest } from "../../components/oci/digest";
import { ComposedArtifact, FIXED_CREATED, OCI_CONFIG, OCI_LAYER_TAR } from "../../components/oci/compose";
import { directoryLayer } from "../../components/oci/layer";
import { pushArtifact } from "../../components/oci/publish";
import { OCI_MANIFEST } from "../../components/oci/registry";

export const REGISTRY_BINARY = "/usr/bin/docker-registry";
export const BUSYBOX_BINARY = "/bin/busybox";
/** What KServe's modelcar containers run (see UPSTREAM.md). */
export const BUSYBOX_APPLETS = ["sh", "ln", "sleep", "ls", "["];

export interface LocalRegistry {
    /** `127.0.0.1:PORT` */
    host: string;
    port: number;
    storageDir: string;
    stop(): Promise<void>;
    /** Stops and starts again on the same port and storage. */
    restart(): Promise<void>;
    /** Stops without cleaning up storage (for stop-mid-upload tests). */
    kill(): Promise<void>;
    start(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on("exit", () => {
    for (const child of running) child.kill("SIGKILL");
});

/** Is a command available? Under CI a missing tool is a failure, elsewhere a skip with its name. */
export function requireTool(ctx: Mocha.Context, tool: string): void {
    const found = tool.startsWith("/") ? fs.existsSync(tool) : spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;
    if (found) return;
    const message = `${tool} is not installed (apt-get install docker-registry skopeo busybox-static curl)`;
    if (process.env.CI === "true") throw new Error(`${message}: required under CI`);
    // eslint-disable-next-line no-console
    console.warn(`skipping: ${message}`);
    ctx.skip();
}

export async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.unref();
        server.on("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const port = (server.address() as net.AddressInfo).port;
            server.close(() => resolve(port));
        });
    });
}

export async function startRegistry(opts: { port?: number; storageDir?: string } = {}): Promise<LocalRegistry> {
    const port = opts.port ?? (await freePort());
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "modelship-registry-"));
    const storageDir = opts.storageDir ?? path.join(workDir, "storage");
    fs.mkdirSync(storageDir, { recursive: true });
    const configPath = path.join(workDir, "config.yml");
    // A fixed http.secret keeps upload sessions valid across restarts, so uploads can resume.
    fs.writeFileSync(
        configPath,
        [
            "version: 0.1",
            "log:",
            "  level: error",
            "  accesslog:",
            "    disabled: true",
            "storage:",
            "  filesystem:",
            `    rootdirectory: ${storageDir}`,
            "  delete:",
            "    enabled: true",
            "  maintenance:",
            "    uploadpurging:",
            "      enabled: false",
            "http:",
            `  addr: 127.0.0.1:${port}`,
            `  secret: modelship-test-${port}`,
            "",
        ].join("\n"),
    );
    let child: ChildProcess | undefined;
    let stderr = "";

    const start = async () => {
        stderr = "";
        const proc = spawn(REGISTRY_BINARY, ["serve", configPath], { stdio: ["ignore", "ignore", "pipe"] });
        child = proc;
        running.add(proc);
        proc.stderr!.on("data", (d) => (stderr = (stderr + d.toString()).slice(-4000)));
        proc.on("exit", () => running.delete(proc));
        const deadline = Date.now() + 15_000;
        while (Date.now() < deadline) {
            if (proc.exitCode !== null) throw new Error(`docker-registry exited with ${proc.exitCode}: ${stderr}`);
            if (await answers(port)) return;
            await new Promise((r) => setTimeout(r, 100));
        }
        proc.kill("SIGKILL");
        throw new Error(`docker-registry did not answer on 127.0.0.1:${port} within 15 s: ${stderr}`);
    };
    const kill = async () => {
        const proc = child;
        child = undefined;
        if (!proc || proc.exitCode !== null) return;
        const exited = new Promise((r) => proc.once("exit", r));
        proc.kill("SIGKILL");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    };
    await start();
    return {
        host: `127.0.0.1:${port}`,
        port,
        storageDir,
        start,
        kill,
        async stop() {
            await kill();
            fs.rmSync(workDir, { recursive: true, force: true });
        },
        async restart() {
            await kill();
            await start();
        },
    };
}

function answers(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const req = http.get({ host: "127.0.0.1", port, path: "/v2/", timeout: 1000 }, (res) => {
            res.resume();
            resolve(res.statusCode === 200);
        });
        req.on("error", () => resolve(false));
        req.on("timeout", () => {
            req.destroy();
            resolve(false);
        });
    });
}

/**
 * Pushes a busybox image built from Debian's static busybox into the registry and returns its
 * pinned reference `host/repo@sha256:…`. Reproducible: the same busybox binary gives the same digest.
 */
export async function seedBusyboxBase(host: string, repository = "library/busybox"): Promise<string> {
    if (!fs.existsSync(BUSYBOX_BINARY)) throw new Error(`${BUSYBOX_BINARY} not found (apt-get install busybox-static)`);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "modelship-busybox-"));
    try {
        const root = path.join(tmp, "rootfs");
        fs.mkdirSync(path.join(root, "bin"), { recursive: true });
        fs.mkdirSync(path.join(root, "tmp"));
        fs.writeFileSync(path.join(root, "tmp", ".keep"), "");
        fs.copyFileSync(BUSYBOX_BINARY, path.join(root, "bin", "busybox"));
        fs.chmodSync(path.join(root, "bin", "busybox"), 0o755);
        for (const applet of BUSYBOX_APPLETS) fs.symlinkSync("busybox", path.join(root, "bin", applet));
        const layer = await directoryLayer(root, { prefix: "", label: "busybox rootfs", cacheDir: path.join(tmp, "cache") });
        const config = {
            architecture: "amd64",
            os: "linux",
            created: FIXED_CREATED,
            config: { Env: ["PATH=/bin"], Cmd: ["sh"] },
            rootfs: { type: "layers", diff_ids: [layer.digest] },
            history: [{ created: FIXED_CREATED, created_by: "modelship test harness: Debian busybox-static" }],
        };
        const configBytes = Buffer.from(canonicalJson(config));
        const configDescriptor = describeBytes(OCI_CONFIG, configBytes);
        const layerDescriptor = { mediaType: OCI_LAYER_TAR, digest: layer.digest, size: layer.size };
        const manifestBytes = Buffer.from(canonicalJson({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: configDescriptor, layers: [layerDescriptor] }));
        const digest = sha256Digest(manifestBytes);
        const artifact: ComposedArtifact = {
            kind: "modelcar-image",
            digest,
            reference: `${host}/${repository}@${digest}`,
            registry: host,
            repository,
            mediaType: OCI_MANIFEST,
            manifest: JSON.parse(manifestBytes.toString()),
            manifestBytes,
            blobs: [
                { descriptor: configDescriptor, origin: { kind: "bytes", bytes: configBytes } },
                { descriptor: layerDescriptor, origin: { kind: "directory", layer, modelDir: root } },
            ],
        };
        await pushArtifact(artifact, { connection: { plainHttp: true }, tag: "seed", cacheDir: path.join(tmp, "cache") });
        return artifact.reference;
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}
