// Local servers for the tests and the bench, on 127.0.0.1: a free port, a "does it answer 200 yet"
// probe, and the config of Debian's docker-registry (distribution 2.8) they run. Shared by
// test/support and bench/ (the bench must not import the test tree).
import * as http from "http";
import * as net from "net";

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

/** Is a server on 127.0.0.1:`port` answering `path` with 200? (Polled while a server starts.) */
export function answers200(port: number, path: string, timeoutMs = 1000): Promise<boolean> {
    return new Promise((resolve) => {
        const req = http.get({ host: "127.0.0.1", port, path, timeout: timeoutMs }, (res) => {
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
 * docker-registry's config for a loopback registry: filesystem storage, deletes on, the upload
 * purger off, and a fixed http.secret, which keeps upload sessions valid across restarts.
 */
export function registryConfigYaml(opts: { port: number; storageDir: string; accessLog: boolean; secret: string }): string {
    return [
        "version: 0.1",
        "log:",
        "  level: error",
        "  accesslog:",
        `    disabled: ${opts.accessLog ? "false" : "true"}`,
        "storage:",
        "  filesystem:",
        `    rootdirectory: ${opts.storageDir}`,
        "  delete:",
        "    enabled: true",
        "  maintenance:",
        "    uploadpurging:",
        "      enabled: false",
        "http:",
        `  addr: 127.0.0.1:${opts.port}`,
        `  secret: ${opts.secret}`,
        "",
    ].join("\n");
}
