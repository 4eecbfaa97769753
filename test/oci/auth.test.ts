// Docker config.json credentials: inline auths, per-host credential helpers and the default store,
// with a fake `docker-credential-*` helper on PATH (the real protocol: server URL on stdin, JSON out).
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { credentialsFromDockerConfig } from "../../components/oci/auth";

describe("oci: credentials from Docker's config.json", () => {
    let dir: string;
    let savedPath: string | undefined;

    /** A helper that knows one server URL and records every URL it was asked for. */
    function fakeHelper(name: string, knownUrl: string, username: string, secret: string): string {
        const log = path.join(dir, `${name}.asked`);
        const script = path.join(dir, `docker-credential-${name}`);
        fs.writeFileSync(
            script,
            [
                "#!/bin/sh",
                '[ "$1" = get ] || exit 2',
                "read -r url",
                `echo "$url" >> '${log}'`,
                `if [ "$url" = '${knownUrl}' ]; then printf '{"ServerURL":"%s","Username":"${username}","Secret":"${secret}"}' "$url"; exit 0; fi`,
                "echo 'credentials not found in native keychain'",
                "exit 1",
            ].join("\n"),
            { mode: 0o755 },
        );
        return log;
    }

    function config(content: object): string {
        const file = path.join(dir, "config.json");
        fs.writeFileSync(file, JSON.stringify(content));
        return file;
    }

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "modelship-auth-"));
        savedPath = process.env.PATH;
        process.env.PATH = `${dir}:${process.env.PATH}`;
    });
    afterEach(() => {
        process.env.PATH = savedPath;
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("reads inline auths (base64 user:pass), and nothing for another registry", () => {
        const file = config({ auths: { "ghcr.io": { auth: Buffer.from("alice:s3cret").toString("base64") } } });
        expect(credentialsFromDockerConfig("ghcr.io", file)).to.deep.equal({ username: "alice", password: "s3cret" });
        expect(credentialsFromDockerConfig("quay.io", file)).to.equal(undefined);
    });

    it("asks the host's credHelpers entry first", () => {
        fakeHelper("ecr", "123.dkr.ecr.eu-west-1.amazonaws.com", "AWS", "ecr-token");
        const file = config({
            credHelpers: { "123.dkr.ecr.eu-west-1.amazonaws.com": "ecr" },
            auths: { "123.dkr.ecr.eu-west-1.amazonaws.com": { auth: Buffer.from("stale:old").toString("base64") } },
        });
        expect(credentialsFromDockerConfig("123.dkr.ecr.eu-west-1.amazonaws.com", file)).to.deep.equal({ username: "AWS", password: "ecr-token" });
    });

    it("falls back to credsStore, asking with the URL docker login stored", () => {
        const asked = fakeHelper("desktop", "https://ghcr.io", "bob", "gh-token");
        const file = config({ auths: { "https://ghcr.io": {} }, credsStore: "desktop" });
        expect(credentialsFromDockerConfig("ghcr.io", file)).to.deep.equal({ username: "bob", password: "gh-token" });
        expect(fs.readFileSync(asked, "utf8").trim().split("\n")).to.deep.equal(["https://ghcr.io"]);
    });

    it("a store without an entry for the registry gives no credentials (anonymous)", () => {
        fakeHelper("desktop", "https://ghcr.io", "bob", "gh-token");
        const file = config({ credsStore: "desktop" });
        expect(credentialsFromDockerConfig("quay.io", file)).to.equal(undefined);
    });

    it("a helper that is not installed is named, with the fix", () => {
        const file = config({ credsStore: "nonexistent-helper" });
        expect(() => credentialsFromDockerConfig("ghcr.io", file)).to.throw(
            `${file} names the credential helper "nonexistent-helper", but docker-credential-nonexistent-helper is not on PATH; install it, or set the registry username and password explicitly`,
        );
    });

    it("a malformed config.json is reported without quoting any of it (it holds base64 credentials)", () => {
        const file = path.join(dir, "config.json");
        const secret = Buffer.from("alice:hunter2-DO-NOT-LEAK").toString("base64");
        fs.writeFileSync(file, `{"auths":{"ghcr.io":{"auth":"${secret}"}} oops`);
        let message = "";
        try {
            credentialsFromDockerConfig("ghcr.io", file);
        } catch (err) {
            message = (err as Error).message;
        }
        expect(message).to.equal(`cannot read Docker credentials from ${file}: it is not valid JSON; fix the file or set the registry password explicitly`);
        expect(message).not.to.contain(secret.slice(0, 8));
    });
});
