// Resumable uploads against an in-process registry that follows the distribution spec's upload
// status (GET on the session answers `Range: 0-<last byte held>`), unlike distribution 2.8, whose
// signed session state makes a cut session unusable (see upload.ts). The registry can drop a
// connection after N bytes of a body; it keeps what it received, as a spec registry does.
import { expect } from "chai";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { RegistryClient } from "../../components/oci/remote";
import { UploadSessions } from "../../components/oci/upload-sessions";

interface SpecRegistry {
    host: string;
    /** Body bytes received over all requests. */
    received(): number;
    /** Drop the connection of the next body after this many bytes. */
    dropNextAfter(bytes: number): void;
    sessions: Map<string, Buffer[]>;
    blobs: Map<string, Buffer>;
    deleted: string[];
    close(): Promise<void>;
}

async function startSpecRegistry(): Promise<SpecRegistry> {
    const sessions = new Map<string, Buffer[]>();
    const blobs = new Map<string, Buffer>();
    const deleted: string[] = [];
    let received = 0;
    let drop: number | undefined;
    let next = 0;
    const held = (id: string) => Buffer.concat(sessions.get(id) ?? []).length;
    const server = http.createServer((req, res) => {
        const url = new URL(req.url ?? "/", "http://x");
        const m = /^\/v2\/(.+)\/blobs\/uploads\/([^/]*)$/.exec(url.pathname);
        const blob = /^\/v2\/(.+)\/blobs\/(sha256:[a-f0-9]{64})$/.exec(url.pathname);
        if (blob && req.method === "HEAD") {
            const b = blobs.get(blob[2]);
            res.writeHead(b ? 200 : 404, b ? { "content-length": String(b.length) } : {}).end();
            return;
        }
        if (!m) return void res.writeHead(404).end();
        const id = m[2];
        const status = (code: number) => {
            const n = held(id);
            res.writeHead(code, { location: `/v2/${m[1]}/blobs/uploads/${id}`, range: `0-${Math.max(n - 1, 0)}`, "content-length": "0" }).end();
        };
        if (req.method === "POST") {
            const sid = `s${++next}`;
            sessions.set(sid, []);
            res.writeHead(202, { location: `/v2/${m[1]}/blobs/uploads/${sid}`, range: "0-0", "content-length": "0" }).end();
            return;
        }
        if (!sessions.has(id))
            return void res
                .writeHead(404, { "content-type": "application/json" })
                .end(JSON.stringify({ errors: [{ code: "BLOB_UPLOAD_UNKNOWN", message: "blob upload unknown" }] }));
        if (req.method === "GET") return status(204);
        if (req.method === "DELETE") {
            sessions.delete(id);
            deleted.push(id);
            return void res.writeHead(204).end();
        }
        const limit = drop;
        drop = undefined;
        let seen = 0;
        req.on("data", (c: Buffer) => {
            if (limit !== undefined && seen + c.length > limit) {
                const keep = c.subarray(0, Math.max(0, limit - seen));
                sessions.get(id)?.push(keep);
                received += keep.length;
                seen = limit;
                req.socket.destroy();
                return;
            }
            seen += c.length;
            received += c.length;
            sessions.get(id)?.push(c);
        });
        req.on("end", () => {
            if (!sessions.has(id)) return void res.writeHead(404).end();
            if (req.method === "PATCH") {
                const range = String(req.headers["content-range"] ?? "");
                const start = Number(range.split("-")[0]);
                if (range && start !== held(id) - seen) return void res.writeHead(416).end();
                return status(202);
            }
            if (req.method === "PUT") {
                const bytes = Buffer.concat(sessions.get(id)!);
                const digest = "sha256:" + crypto.createHash("sha256").update(bytes).digest("hex");
                if (digest !== url.searchParams.get("digest")) return void res.writeHead(400).end();
                blobs.set(digest, bytes);
                sessions.delete(id);
                return void res.writeHead(201, { "docker-content-digest": digest }).end();
            }
            res.writeHead(405).end();
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
        received: () => received,
        dropNextAfter: (n) => (drop = n),
        sessions,
        blobs,
        deleted,
        close: () =>
            new Promise((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

describe("oci: resumable uploads (a registry that reports upload status)", () => {
    let registry: SpecRegistry;
    let client: RegistryClient | undefined;
    let cacheDir: string;
    const data = crypto.randomBytes(3 * 1024 * 1024 + 17);
    const descriptor = { digest: "sha256:" + crypto.createHash("sha256").update(data).digest("hex"), size: data.length };
    const source = () =>
        (async function* () {
            for (let i = 0; i < data.length; i += 64 * 1024) yield data.subarray(i, i + 64 * 1024);
        })();

    beforeEach(async () => {
        registry = await startSpecRegistry();
        cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "modelship-upload-"));
    });
    afterEach(async () => {
        client?.close();
        client = undefined;
        await registry.close();
        fs.rmSync(cacheDir, { recursive: true, force: true });
    });

    it("a monolithic upload cut after 1 MiB continues from the registry's offset, not from 0", async () => {
        client = new RegistryClient(registry.host, { plainHttp: true, retryBaseMs: 10 });
        registry.dropNextAfter(1024 * 1024);
        const sent = await client.uploadBlob("m/iris", descriptor, source);
        expect(registry.blobs.get(descriptor.digest)?.equals(data)).to.equal(true);
        // The registry received every byte once: the second attempt began where the first was cut.
        expect(registry.received()).to.equal(data.length);
        // `sent` counts what went into the socket, so the cut attempt's buffered bytes count too.
        expect(sent).to.be.below(2 * data.length);
    });

    it("a chunk cut mid-way continues from the registry's offset inside that chunk", async () => {
        client = new RegistryClient(registry.host, { plainHttp: true, retryBaseMs: 10, chunkSize: 1024 * 1024 });
        registry.dropNextAfter(300 * 1024);
        await client.uploadBlob("m/iris", descriptor, source);
        expect(registry.blobs.get(descriptor.digest)?.equals(data)).to.equal(true);
        expect(registry.received()).to.equal(data.length);
    });

    it("a session left by an earlier run is continued by the next one (recorded in the cache)", async () => {
        const sessions = new UploadSessions(cacheDir);
        client = new RegistryClient(registry.host, { plainHttp: true, retryBaseMs: 10, maxRetries: 0 });
        registry.dropNextAfter(2 * 1024 * 1024);
        let failed = false;
        await client.uploadBlob("m/iris", descriptor, source, { sessions }).catch(() => (failed = true));
        expect(failed, "no retries: the first run stops at the cut").to.equal(true);
        client.close();
        client = new RegistryClient(registry.host, { plainHttp: true, retryBaseMs: 10 });
        await client.uploadBlob("m/iris", descriptor, source, { sessions });
        expect(registry.blobs.get(descriptor.digest)?.equals(data)).to.equal(true);
        expect(registry.received(), "the second run sent only what the first did not").to.equal(data.length);
        expect(await sessions.recall(registry.host, "m/iris", descriptor.digest)).to.equal(undefined);
    });

    it("a blob whose bytes do not match its digest is never committed, and its session is cancelled", async () => {
        client = new RegistryClient(registry.host, { plainHttp: true });
        const wrong = { ...descriptor, digest: "sha256:" + "0".repeat(64) };
        const err = await client.uploadBlob("m/iris", wrong, source).then(
            () => undefined,
            (e: Error) => e,
        );
        expect(err?.message).to.match(/digest mismatch/);
        expect(registry.blobs.size).to.equal(0);
        expect(registry.deleted).to.have.length(1);
        expect(registry.sessions.size, "no session left behind").to.equal(0);
    });
});
