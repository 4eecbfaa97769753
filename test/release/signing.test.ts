import { expect } from "chai";
import { cosignSignInvocation, cosignSignFlags, cosignVerifyArgs, signatureLocation } from "../../components/release/signing";
import { kyvernoCtlog } from "../../components/supply-chain/verification";
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
    attestProvenance: true,
    requiredProvenance: [],
    ...over,
});

describe("release/signing", () => {
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

    describe("cosignSignInvocation", () => {
        it("file key, plain-HTTP registry: the cosign arguments, and the password variable by name only", () => {
            const c = cosignSignInvocation(signing(), ref, { plainHttp: true });
            expect(c.args).to.deep.equal(["sign", "--yes", "--key=cosign.key", "--tlog-upload=false", "--allow-http-registry=true", "--allow-insecure-registry=true", ref]);
            expect(c.environment).to.deep.equal(["COSIGN_PASSWORD"]);
        });
        it("env:// key names the key variable; registry auth adds no argument (it goes through a private DOCKER_CONFIG)", () => {
            const c = cosignSignInvocation(signing({ key: "env://SIGNING_KEY" }), ref);
            expect(c.environment).to.deep.equal(["COSIGN_PASSWORD", "SIGNING_KEY"]);
            expect(c.args.join(" ")).not.to.match(/password|username|registry-/);
        });
        it("KMS keys need no password variable", () => {
            const c = cosignSignInvocation(signing({ key: "awskms://alias/modelship" }), ref);
            expect(c.environment).to.deep.equal([]);
            expect(c.args).to.include("--key=awskms://alias/modelship");
        });
        it("cosign v3: the flags that give the same offline legacy signature", () => {
            expect(cosignSignInvocation(signing(), ref, { cosignMajor: 3 }).args).to.deep.equal([
                "sign",
                "--yes",
                "--key=cosign.key",
                "--new-bundle-format=false",
                "--use-signing-config=false",
                "--tlog-upload=false",
                ref,
            ]);
        });
        it("refuses a reference that is not pinned by digest, and a missing key", () => {
            expect(() => cosignSignInvocation(signing(), "localhost:5000/modelship/iris:v1")).to.throw(/cosign signs by digest only/);
            expect(() => cosignSignInvocation(signing({ key: undefined }), ref)).to.throw(/signing.key is required/);
        });
    });

    it("signatureLocation: .sig tag for legacy, referrers fallback tag for bundles", () => {
        expect(signatureLocation(ref, "legacy")).to.deep.equal({
            reference: `localhost:5000/modelship/iris:sha256-${hex}.sig`,
            mediaType: "application/vnd.dev.cosign.simplesigning.v1+json",
        });
        expect(signatureLocation(ref, "bundle").reference).to.equal(`localhost:5000/modelship/iris:sha256-${hex}`);
    });
});
