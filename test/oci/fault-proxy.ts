// A small HTTP proxy in front of the test registry that plays the parts a plain registry does not:
// Bearer-token or Basic auth, 403 for a repository, injected 503/429 answers, and a request log.
import * as http from "http";
import { freePort } from "../support/registry";

export interface FaultProxy {
    host: string;
    /** Method and path of every request that reached the proxy. */
    log: string[];
    /** The next N /v2/ requests are answered with this status instead of being forwarded. */
    failNext(count: number, status: number, retryAfterSeconds?: number): void;
    /** The next N uploads (PUT/PATCH with a body) have their connection reset after `afterBytes` body bytes. */
    resetUploads(count: number, afterBytes: number): void;
    /** From now on /v2/ requests are never answered (the sockets stay open until close()). */
    hang(on: boolean): void;
    /** Request body bytes received for uploads (PUT/PATCH), resets included. */
    uploadBytes(): number;
    /** Uploads cut so far by resetUploads. */
    resetsDone(): number;
    close(): Promise<void>;
}

export async function startFaultProxy(
    upstream: string,
    opts: { auth?: "bearer" | "basic"; username?: string; password?: string; forbiddenRepository?: string; chunkMinLength?: number } = {},
): Promise<FaultProxy> {
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    const token = "test-token-" + port;
    const basic = "Basic " + Buffer.from(`${opts.username}:${opts.password}`).toString("base64");
    const log: string[] = [];
    let failures: { count: number; status: number; retryAfter?: number } = { count: 0, status: 0 };
    let resets = { count: 0, afterBytes: 0 };
    let hanging = false;
    let uploadBytes = 0;
    let resetsDone = 0;

    const server = http.createServer((req, res) => {
        log.push(`${req.method} ${req.url}`);
        const url = new URL(req.url ?? "/", `http://${host}`);
        if (url.pathname === "/token") {
            if (req.headers.authorization !== basic) {
                res.writeHead(401).end();
                return;
            }
            res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token, expires_in: 300 }));
            return;
        }
        if (opts.auth === "bearer" && req.headers.authorization !== `Bearer ${token}`) {
            req.resume();
            res.writeHead(401, { "www-authenticate": `Bearer realm="http://${host}/token",service="test-registry",scope="repository:x:pull"` }).end();
            return;
        }
        if (opts.auth === "basic" && req.headers.authorization !== basic) {
            req.resume();
            res.writeHead(401, { "www-authenticate": `Basic realm="test"` }).end();
            return;
        }
        if (opts.forbiddenRepository && url.pathname.startsWith(`/v2/${opts.forbiddenRepository}/`)) {
            req.resume();
            res.writeHead(403, { "content-type": "application/json" }).end(JSON.stringify({ errors: [{ code: "DENIED", message: "requested access to the resource is denied" }] }));
            return;
        }
        if (hanging && url.pathname.startsWith("/v2/")) {
            req.resume();
            return;
        }
        if (failures.count > 0 && url.pathname.startsWith("/v2/")) {
            failures.count--;
            req.resume();
            res.writeHead(failures.status, failures.status === 429 ? { "retry-after": String(failures.retryAfter ?? 0) } : {}).end();
            return;
        }
        const isUpload = req.method === "PUT" || req.method === "PATCH";
        if (isUpload) {
            const cut = resets.count > 0 ? resets.afterBytes : Infinity;
            if (resets.count > 0) resets.count--;
            let seen = 0;
            req.on("data", (c: Buffer) => {
                seen += c.length;
                uploadBytes += c.length;
                if (seen > cut && !req.socket.destroyed) {
                    resetsDone++;
                    req.socket.destroy();
                }
            });
        }
        const upstreamReq = http.request(
            { host: "127.0.0.1", port: Number(upstream.split(":")[1]), method: req.method, path: req.url, headers: { ...req.headers, host: upstream } },
            (up) => {
                const headers = { ...up.headers };
                // Locations point at the proxy so follow-up requests come through it too.
                if (headers.location) headers.location = String(headers.location).replace(`http://${upstream}`, `http://${host}`);
                if (opts.chunkMinLength && req.method === "POST") headers["oci-chunk-min-length"] = String(opts.chunkMinLength);
                res.writeHead(up.statusCode ?? 502, headers);
                up.pipe(res);
            },
        );
        upstreamReq.on("error", () => res.destroy());
        req.pipe(upstreamReq);
    });
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    return {
        host,
        log,
        failNext(count, status, retryAfter) {
            failures = { count, status, retryAfter };
        },
        resetUploads(count, afterBytes) {
            resets = { count, afterBytes };
        },
        hang(on) {
            hanging = on;
        },
        uploadBytes: () => uploadBytes,
        resetsDone: () => resetsDone,
        close: () =>
            new Promise((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}
