// queryInstant against an in-process stand-in for the Prometheus HTTP API: every way a query can fail
// is a failed measurement that names the URL and the query (the real server is in
// test/integration/promotion.integration.test.ts).
import { expect } from "chai";
import * as http from "http";
import * as net from "net";
import { queryInstant, renderQuery } from "../../components/promotion/prometheus";

describe("promotion: Prometheus instant queries", () => {
    let server: http.Server;
    let url: string;
    let answer: (query: string, res: http.ServerResponse) => void;
    before(async () => {
        server = http.createServer((req, res) => {
            const u = new URL(req.url!, "http://x");
            if (u.pathname !== "/api/v1/query") return void res.writeHead(404).end("404 page not found");
            answer(u.searchParams.get("query")!, res);
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
        url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    });
    after(() => {
        server.closeAllConnections();
        server.close();
    });
    const json = (res: http.ServerResponse, status: number, body: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));

    it("fills the placeholders", () => {
        expect(renderQuery('x{r="{{revision}}"}[{{ window }}] {{other}}', { revision: "iris-predictor-00002", window: "10m" })).to.equal(
            'x{r="iris-predictor-00002"}[10m] {{other}}',
        );
    });

    it("one series: its value", async () => {
        answer = (q, res) => json(res, 200, { status: "success", data: { resultType: "vector", result: [{ metric: {}, value: [1, q === "up" ? "12.5" : "0"] }] } });
        expect(await queryInstant(url, "up", 1000)).to.deep.equal({ query: "up", measurement: { ok: true, value: 12.5 } });
    });

    it("a scalar: its value", async () => {
        answer = (_q, res) => json(res, 200, { status: "success", data: { resultType: "scalar", result: [1, "3"] } });
        expect((await queryInstant(url, "scalar(up)", 1000)).measurement).to.deep.equal({ ok: true, value: 3 });
    });

    it("no series, several series, a PromQL error, a non-API answer: failed, naming URL and query", async () => {
        answer = (_q, res) => json(res, 200, { status: "success", data: { resultType: "vector", result: [] } });
        expect((await queryInstant(url, "nope", 1000)).measurement).to.deep.equal({
            ok: false,
            error: `Prometheus at ${url}: query \`nope\` returned no series: no such metric for this revision in the window (wrong revision name or query, or no traffic yet)`,
        });
        answer = (_q, res) => json(res, 200, { status: "success", data: { resultType: "vector", result: [{ value: [1, "1"] }, { value: [1, "2"] }] } });
        expect((await queryInstant(url, "up", 1000)).measurement).to.deep.equal({
            ok: false,
            error: `Prometheus at ${url}: query \`up\` returned 2 series; it must aggregate to one, e.g. sum(...) or sum by (le) for histograms`,
        });
        answer = (_q, res) => json(res, 400, { status: "error", errorType: "bad_data", error: 'invalid parameter "query": 1:4: parse error: unexpected end of input' });
        expect((await queryInstant(url, "sum(", 1000)).measurement).to.deep.equal({
            ok: false,
            error: `Prometheus at ${url}: query \`sum(\` failed: HTTP 400 bad_data: invalid parameter "query": 1:4: parse error: unexpected end of input`,
        });
        answer = (_q, res) => res.writeHead(502).end("<html>bad gateway</html>");
        expect((await queryInstant(url, "up", 1000)).measurement).to.deep.equal({
            ok: false,
            error: `Prometheus at ${url}: query \`up\` failed: HTTP 502, not a Prometheus API answer: <html>bad gateway</html>`,
        });
    });

    it("a Prometheus that does not answer: failed after the timeout, not later", async () => {
        answer = () => undefined; // never answers
        const started = Date.now();
        const r = await queryInstant(url, "up", 300);
        expect(r.measurement).to.deep.equal({ ok: false, error: `Prometheus at ${url}: query \`up\` timed out after 300 ms` });
        expect(Date.now() - started).to.be.lessThan(2000);
    });
});
