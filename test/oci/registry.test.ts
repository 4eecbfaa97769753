// RegistryClient against small in-process HTTP servers: the waits that must stay bounded.
import { expect } from "chai";
import * as http from "http";
import { AddressInfo } from "net";
import { RegistryClient } from "../../components/oci/registry";
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
});
