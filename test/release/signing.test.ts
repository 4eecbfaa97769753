import { expect } from "chai";
import {
    cosignSignCommand,
    cosignSignFlags,
    cosignVerifyArgs,
    keyKind,
    kyvernoCtlog,
    shellQuote,
    signatureLocation,
} from "../../components/release/signing";
import type { SigningConfig } from "../../components/config/schema";

const hex = "a".repeat(64);
const ref = `localhost:5000/modelship/iris@sha256:${hex}`;
const signing = (over: Partial<SigningConfig> = {}): SigningConfig => ({
    enabled: true,
    key: "cosign.key",
    publicKey: "cosign.pub",
    transparencyLog: false,
    signatureFormat: "legacy",
    cosignVersion: 2,
    ...over,
});

describe("release/signing", () => {
    describe("keyKind", () => {
        it("classifies file, env:// and KMS references", () => {
            expect(keyKind("keys/cosign.key")).to.equal("file");
            expect(keyKind("env://COSIGN_PRIVATE_KEY")).to.equal("env");
            for (const k of ["awskms://alias/x", "gcpkms://projects/p", "azurekms://v/k", "hashivault://k", "k8s://ns/s"]) {
                expect(keyKind(k), k).to.equal("kms");
            }
        });
    });

    describe("cosignSignFlags (tlog and format, cosign v2 and v3)", () => {
        const cases: [number, boolean, "legacy" | "bundle", string[]][] = [
            [2, false, "legacy", ["--tlog-upload=false"]],
            [2, true, "legacy", []],
            [2, false, "bundle", ["--new-bundle-format=true", "--use-signing-config=false", "--tlog-upload=false"]],
            [2, true, "bundle", ["--new-bundle-format=true"]],
            [3, false, "legacy", ["--new-bundle-format=false", "--use-signing-config=false", "--tlog-upload=false"]],
            [3, true, "legacy", ["--new-bundle-format=false"]],
            [3, false, "bundle", ["--new-bundle-format=true", "--use-signing-config=false", "--tlog-upload=false"]],
            [3, true, "bundle", ["--new-bundle-format=true"]],
        ];
        for (const [major, tlog, format, flags] of cases) {
            it(`v${major}, tlog ${tlog ? "on" : "off"}, ${format}: ${flags.join(" ") || "(defaults)"}`, () => {
                expect(cosignSignFlags({ transparencyLog: tlog, signatureFormat: format }, major as 2 | 3)).to.deep.equal(flags);
            });
        }
    });

    describe("cosignVerifyArgs and kyvernoCtlog agree", () => {
        it("offline legacy: ignore tlog, legacy format", () => {
            expect(cosignVerifyArgs(signing(), { plainHttp: true })).to.deep.equal([
                "--insecure-ignore-tlog=true",
                "--new-bundle-format=false",
                "--allow-http-registry=true",
                "--allow-insecure-registry=true",
            ]);
            expect(kyvernoCtlog(signing())).to.deep.equal({ insecureIgnoreTlog: true, insecureIgnoreSCT: true });
        });
        it("tlog on, bundle over TLS: no ignore flag, bundle format, no trusted root override", () => {
            const s = signing({ transparencyLog: true, signatureFormat: "bundle" });
            expect(cosignVerifyArgs(s, {}, { trustedRoot: "/tmp/tr.json" })).to.deep.equal(["--new-bundle-format=true"]);
            expect(kyvernoCtlog(s)).to.deep.equal({ insecureIgnoreTlog: false, insecureIgnoreSCT: true });
        });
        it("offline legacy takes the empty trusted root too (else cosign fetches Sigstore's over the network)", () => {
            expect(cosignVerifyArgs(signing(), {}, { trustedRoot: "/tmp/tr.json" })).to.deep.equal([
                "--insecure-ignore-tlog=true",
                "--new-bundle-format=false",
                "--trusted-root=/tmp/tr.json",
            ]);
        });
        it("offline bundle takes the empty trusted root", () => {
            expect(cosignVerifyArgs(signing({ signatureFormat: "bundle" }), {}, { trustedRoot: "/tmp/tr.json" })).to.deep.equal([
                "--insecure-ignore-tlog=true",
                "--new-bundle-format=true",
                "--trusted-root=/tmp/tr.json",
            ]);
        });
    });

    describe("cosignSignCommand", () => {
        it("file key, plain-HTTP registry without auth: cosign line only, password by env", () => {
            const c = cosignSignCommand(signing(), ref, { registryHost: "localhost:5000", plainHttp: true });
            expect(c.args).to.deep.equal([
                "cosign", "sign", "--yes", "--key=cosign.key", "--tlog-upload=false",
                "--allow-http-registry=true", "--allow-insecure-registry=true", ref,
            ]);
            expect(c.command).to.equal(`set -eu\n${c.args.join(" ")}`);
            expect(c.environment).to.deep.equal(["COSIGN_PASSWORD"]);
        });
        it("env:// key names the key variable; registry auth goes through a private DOCKER_CONFIG", () => {
            const c = cosignSignCommand(signing({ key: "env://SIGNING_KEY" }), ref, { registryHost: "ghcr.io", registryAuth: true });
            expect(c.environment).to.deep.equal(["COSIGN_PASSWORD", "SIGNING_KEY", "MODELSHIP_REGISTRY_USERNAME", "MODELSHIP_REGISTRY_PASSWORD"]);
            expect(c.command).to.contain('DOCKER_CONFIG="$(mktemp -d)"');
            expect(c.command).to.contain("trap 'rm -rf \"$DOCKER_CONFIG\"' EXIT");
            expect(c.command).to.contain('"$MODELSHIP_REGISTRY_PASSWORD"');
            expect(c.command).not.to.match(/--registry-password/);
            expect(c.command.split("\n").pop()).to.equal(c.args.join(" "));
        });
        it("KMS keys need no password variable", () => {
            const c = cosignSignCommand(signing({ key: "awskms://alias/modelship" }), ref, { registryHost: "ghcr.io" });
            expect(c.environment).to.deep.equal([]);
            expect(c.args).to.include("--key=awskms://alias/modelship");
        });
        it("refuses a reference that is not pinned by digest, and a missing key", () => {
            expect(() => cosignSignCommand(signing(), "localhost:5000/modelship/iris:v1", { registryHost: "localhost:5000" })).to.throw(
                /cosign signs by digest only/,
            );
            expect(() => cosignSignCommand(signing({ key: undefined }), ref, { registryHost: "localhost:5000" })).to.throw(/signing.key is required/);
        });
    });

    it("shellQuote quotes what the shell would interpret", () => {
        expect(shellQuote("--key=cosign.key")).to.equal("--key=cosign.key");
        expect(shellQuote("a b")).to.equal("'a b'");
        expect(shellQuote("it's")).to.equal(`'it'"'"'s'`);
    });

    it("signatureLocation: .sig tag for legacy, referrers fallback tag for bundles", () => {
        expect(signatureLocation(ref, "legacy")).to.deep.equal({
            reference: `localhost:5000/modelship/iris:sha256-${hex}.sig`,
            mediaType: "application/vnd.dev.cosign.simplesigning.v1+json",
        });
        expect(signatureLocation(ref, "bundle").reference).to.equal(`localhost:5000/modelship/iris:sha256-${hex}`);
    });
});
