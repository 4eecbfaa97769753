// RegistryClient against small in-process HTTP servers: the waits that must stay bounded.
import { expect } from "chai";
import * as crypto from "crypto";
import * as http from "http";
import { AddressInfo } from "net";
import { plainTextRealmProblem } from "../../components/oci/auth-challenge";
import { RegistryClient } from "../../components/oci/remote";
import { expectRejection } from "./helpers";

describe("oci: registry client waits", () => {
    // Closed in afterEach, so a test that times out leaves nothing open behind it.
    const servers: http.Server[] = [];
    const clients: RegistryClient[] = [];

    /** Starts a server on a free 127.0.0.1 port; returns its host:port. */
    async function serve(handler: http.RequestListener): Promise<string> {
        const server = http.createServer(handler);
        servers.push(server);
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        return `127.0.0.1:${(server.address() as AddressInfo).port}`;
    }

    function client(host: string, conn: ConstructorParameters<typeof RegistryClient>[1]): RegistryClient {
        const c = new RegistryClient(host, conn);
        clients.push(c);
        return c;
    }

    afterEach(async () => {
        for (const c of clients.splice(0)) c.close();
        for (const s of servers.splice(0)) {
            s.closeAllConnections();
            await new Promise((resolve) => s.close(resolve));
        }
    });

    it("gives up on a token service that never answers, naming it", async function () {
        this.timeout(5000);
        const silentTokenService = await serve(() => {
            /* never answers */
        });
        const registry = await serve((_req, res) => {
            res.writeHead(401, { "www-authenticate": `Bearer realm="http://${silentTokenService}/token",service="test"` }).end();
        });
        await expectRejection(
            client(registry, { plainHttp: true, timeoutMs: 200 }).manifestExists("models/iris", "v1"),
            /registry 127\.0\.0\.1:\d+: token service http:\/\/127\.0\.0\.1:\d+\/token did not answer within 200 ms/,
        );
    });

    it("caps a registry's Retry-After at maxRetryAfterMs", async function () {
        this.timeout(5000);
        let calls = 0;
        const registry = await serve((_req, res) => {
            calls++;
            if (calls === 1) res.writeHead(429, { "retry-after": "3600" }).end();
            else res.writeHead(200).end();
        });
        const started = Date.now();
        expect(await client(registry, { plainHttp: true, maxRetryAfterMs: 50 }).manifestExists("models/iris", "v1")).to.equal(true);
        expect(calls).to.equal(2);
        expect(Date.now() - started).to.be.below(2000);
    });

    describe("credentials never go to a token service in clear text", () => {
        const httpRealm = new URL("http://auth.example.com/token");

        it("refuses an http:// realm off loopback when credentials would be sent, naming the realm and the fix", () => {
            expect(plainTextRealmProblem("ghcr.io", httpRealm, { hasCredentials: true, insecure: false })).to.equal(
                "registry ghcr.io: refusing to send credentials in clear text to the token service http://auth.example.com/token (an http:// realm); " +
                    "the registry's token realm must be https, unless plain HTTP to this registry is explicitly accepted (insecure)",
            );
        });

        it("allows https realms, anonymous requests, loopback realms and an explicit insecure flag", () => {
            expect(plainTextRealmProblem("ghcr.io", new URL("https://ghcr.io/token"), { hasCredentials: true, insecure: false })).to.equal(undefined);
            expect(plainTextRealmProblem("ghcr.io", httpRealm, { hasCredentials: false, insecure: false })).to.equal(undefined);
            expect(plainTextRealmProblem("localhost:5000", new URL("http://127.0.0.1:5001/token"), { hasCredentials: true, insecure: false })).to.equal(undefined);
            expect(plainTextRealmProblem("10.0.0.5:5000", httpRealm, { hasCredentials: true, insecure: true })).to.equal(undefined);
        });

        it("the client stops before contacting such a realm", async function () {
            this.timeout(5000);
            const registry = await serve((_req, res) => {
                res.writeHead(401, { "www-authenticate": `Bearer realm="http://auth.example.com/token",service="test"` }).end();
            });
            await expectRejection(
                client(registry, { plainHttp: true, username: "bot", password: "s3cret-token", timeoutMs: 2000 }).manifestExists("models/iris", "v1"),
                /refusing to send credentials in clear text to the token service http:\/\/auth\.example\.com\/token/,
            );
        });

        it("a token reply that is not JSON names the registry and the token service", async function () {
            this.timeout(5000);
            const tokenService = await serve((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<html>login</html>"));
            const registry = await serve((_req, res) => {
                res.writeHead(401, { "www-authenticate": `Bearer realm="http://${tokenService}/token",service="test"` }).end();
            });
            await expectRejection(
                client(registry, { plainHttp: true, timeoutMs: 2000 }).manifestExists("models/iris", "v1"),
                /registry 127\.0\.0\.1:\d+: token service http:\/\/127\.0\.0\.1:\d+\/token answered with something that is not JSON/,
            );
        });
    });

    describe("redirects (Docker Hub and ghcr.io send blob GETs to a CDN)", () => {
        const blob = Buffer.from("model bytes behind a CDN");
        const digest = "sha256:" + crypto.createHash("sha256").update(blob).digest("hex");
        const basic = "Basic " + Buffer.from("bot:s3cret-token").toString("base64");

        /** A Basic-auth registry that redirects blob GETs to `cdn`; the CDN records the auth it saw. */
        async function registryWithCdn(): Promise<{ registry: string; cdnSawAuth: (string | undefined)[] }> {
            const cdnSawAuth: (string | undefined)[] = [];
            const cdn = await serve((req, res) => {
                cdnSawAuth.push(req.headers.authorization);
                res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(blob.length) }).end(blob);
            });
            const registry = await serve((req, res) => {
                if (req.headers.authorization !== basic) {
                    res.writeHead(401, { "www-authenticate": 'Basic realm="registry"' }).end();
                    return;
                }
                res.writeHead(307, { location: `http://${cdn}/blobs/${digest}?signature=abc` }).end();
            });
            return { registry, cdnSawAuth };
        }

        it("getBlob follows the redirect and never sends the registry's credentials to the other host", async function () {
            this.timeout(5000);
            const { registry, cdnSawAuth } = await registryWithCdn();
            const got = await client(registry, { plainHttp: true, username: "bot", password: "s3cret-token" }).getBlob("library/busybox", digest);
            expect(got.equals(blob)).to.equal(true);
            expect(cdnSawAuth).to.deep.equal([undefined]);
        });

        it("streamBlob follows it too", async function () {
            this.timeout(5000);
            const { registry, cdnSawAuth } = await registryWithCdn();
            const chunks: Buffer[] = [];
            for await (const c of client(registry, { plainHttp: true, username: "bot", password: "s3cret-token" }).streamBlob("library/busybox", digest)) chunks.push(c);
            expect(Buffer.concat(chunks).equals(blob)).to.equal(true);
            expect(cdnSawAuth).to.deep.equal([undefined]);
        });

        it("a redirect loop ends with a message naming the registry", async function () {
            this.timeout(5000);
            const registry = await serve((req, res) => res.writeHead(302, { location: req.url ?? "/" }).end());
            await expectRejection(
                client(registry, { plainHttp: true }).getBlob("library/busybox", digest),
                /GET of blob sha256:[0-9a-f]+ on 127\.0\.0\.1:\d+: more than 5 redirects/,
            );
        });
    });

    it("a token that expires during a monolithic upload is renewed and the blob sent again, once", async function () {
        this.timeout(5000);
        const blob = Buffer.from("weights ".repeat(1000));
        const digest = "sha256:" + crypto.createHash("sha256").update(blob).digest("hex");
        let tokensIssued = 0;
        const tokenService = await serve((_req, res) => {
            tokensIssued++;
            res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token: `t${tokensIssued}` }));
        });
        const puts: string[] = [];
        const registry = await serve((req, res) => {
            const challenge = { "www-authenticate": `Bearer realm="http://${tokenService}/token",service="test"` };
            const auth = req.headers.authorization ?? "";
            if (!auth.startsWith("Bearer ")) return void res.writeHead(401, challenge).end();
            if (req.method === "HEAD") return void res.writeHead(404).end();
            if (req.method === "POST") return void res.writeHead(202, { location: `/v2/models/iris/blobs/uploads/session-${tokensIssued}` }).end();
            if (req.method === "PUT") {
                const chunks: Buffer[] = [];
                req.on("data", (c: Buffer) => chunks.push(c));
                req.on("end", () => {
                    puts.push(`${auth} ${Buffer.concat(chunks).length}`);
                    // The first token "expires" while the body streams; the second is good.
                    if (auth === "Bearer t1") return void res.writeHead(401, challenge).end();
                    res.writeHead(201, { "docker-content-digest": digest }).end();
                });
                return;
            }
            res.writeHead(405).end();
        });
        const sent = await client(registry, { plainHttp: true }).uploadBlob("models/iris", { digest, size: blob.length }, async function* () {
            yield blob;
        });
        expect(sent, "bytes on the wire, the re-sent ones included").to.equal(2 * blob.length);
        expect(puts).to.deep.equal([`Bearer t1 ${blob.length}`, `Bearer t2 ${blob.length}`]);
    });
});
