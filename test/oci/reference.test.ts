import { expect } from "chai";
import { parseImageReference, isLoopbackHost } from "../../components/oci";

const D = "sha256:" + "ab".repeat(32);

describe("oci: image references", () => {
    const cases: Array<[string, { registry: string; repository: string; tag?: string; digest?: string }, string]> = [
        ["busybox", { registry: "docker.io", repository: "library/busybox", tag: "latest" }, "docker.io/library/busybox:latest"],
        ["user/app:1.0", { registry: "docker.io", repository: "user/app", tag: "1.0" }, "docker.io/user/app:1.0"],
        ["index.docker.io/library/busybox:1", { registry: "docker.io", repository: "library/busybox", tag: "1" }, "docker.io/library/busybox:1"],
        [`127.0.0.1:5000/models/iris@${D}`, { registry: "127.0.0.1:5000", repository: "models/iris", digest: D }, `127.0.0.1:5000/models/iris@${D}`],
        [`localhost/a/b/c:v1@${D}`, { registry: "localhost", repository: "a/b/c", tag: "v1", digest: D }, `localhost/a/b/c:v1@${D}`],
        ["GHCR.io/org/x", { registry: "ghcr.io", repository: "org/x", tag: "latest" }, "ghcr.io/org/x:latest"],
        ["[::1]:5000/x:y", { registry: "[::1]:5000", repository: "x", tag: "y" }, "[::1]:5000/x:y"],
    ];
    for (const [input, expected, text] of cases) {
        it(`parses ${input}`, () => {
            const ref = parseImageReference(input);
            expect({ ...ref }).to.deep.equal(expected);
            expect(ref.format()).to.equal(text);
            expect(String(ref)).to.equal(text);
        });
    }

    const bad: Array<[string, RegExp]> = [
        ["", /it is empty/],
        ["Busybox", /lowercase/],
        ["oci://ghcr.io/x", /remove the URL scheme/],
        ["busybox@sha256:abc", /64 lowercase hex/],
        ["busybox@md5:" + "a".repeat(32), /unsupported digest algorithm "md5"/],
        ["host:99999/x", /port "99999"/],
        ["host:5000/x:-bad", /tag "-bad"/],
        ["ghcr.io//x", /empty path component/],
        ["a b", /whitespace/],
        ["host:1:2/x", /more than one ':'/],
    ];
    for (const [input, message] of bad) {
        it(`rejects ${JSON.stringify(input)}`, () => {
            expect(() => parseImageReference(input)).to.throw(message);
            expect(() => parseImageReference(input)).to.throw(/invalid image reference/);
        });
    }

    it("treats only loopback hosts as loopback", () => {
        expect(isLoopbackHost("127.0.0.1:5000")).to.equal(true);
        expect(isLoopbackHost("localhost")).to.equal(true);
        expect(isLoopbackHost("[::1]:80")).to.equal(true);
        expect(isLoopbackHost("registry.example.com:5000")).to.equal(false);
        expect(isLoopbackHost("127.example.com")).to.equal(false);
    });
});
