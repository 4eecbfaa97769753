import { expect } from "chai";
import { GO_MODULE_FIX, requireInput } from "../support/required-input";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import {
    BINARIES,
    buildLdflags,
    commandPackage,
    isStampOf,
    KUBERNETES_VERSION,
    kubeWrapperGoMod,
    lastLines,
    publishedReplace,
    RECIPE,
    stagingModules,
    stagingVersions,
    stampFile,
    toolsGo,
    WRAPPER_MODULE,
} from "../../scripts/lib/control-plane";
import { goDirective, interpretModDownload } from "../../scripts/lib/toolchain";

const REPO = path.join(__dirname, "..", "..");

/**
 * Runs a system tool (go, bash, sed, tail: not npm packages) with the local Go toolchain; the
 * output as text, status null when the tool is missing.
 */
function system(tool: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}) {
    return spawnSync(tool, args, { encoding: "utf8", cwd: REPO, input: opts.input, maxBuffer: 64 << 20, env: { ...process.env, GOTOOLCHAIN: "local", ...opts.env } });
}

/** What a bash snippet prints (the old scripts/install-control-plane's lines, as the reference), or undefined without bash. */
function bash(script: string, ...args: string[]): string | undefined {
    const r = system("bash", ["-c", script, "bash", ...args]);
    return r.status === null ? undefined : r.stdout;
}

/** `go env GOMODCACHE`, or undefined without a go command. */
function goModCache(): string | undefined {
    const r = system("go", ["env", "GOMODCACHE"]);
    return r.status === 0 && r.stdout.trim() !== "" ? r.stdout.trim() : undefined;
}

/** k8s.io/kubernetes@v1.36.3's go.mod in the Go module cache (scripts/install-control-plane downloads it): its path, if it is there. */
function kubernetesGoModPath(): string | undefined {
    const cache = goModCache();
    if (!cache) return undefined;
    const file = path.join(cache, "cache", "download", "k8s.io", "kubernetes", "@v", `${KUBERNETES_VERSION}.mod`);
    return fs.existsSync(file) ? file : undefined;
}

/** Replace lines the sed of the bash script took or left (the module name split at the tab, as the shell's word splitting did). */
const ODD_REPLACES = [
    "module k8s.io/kubernetes",
    "",
    "replace (",
    "\tk8s.io/api => ./staging/src/k8s.io/api",
    "  k8s.io/kubelet => ./staging/src/k8s.io/kubelet // a comment",
    "\tk8s.io/with-version v0.1.0 => ./staging/src/k8s.io/with-version",
    "\tk8s.io/two-spaces  => ./staging/src/k8s.io/two-spaces",
    "\tk8s.io/elsewhere => ./vendor/k8s.io/elsewhere",
    "\tk8s.io/remote => k8s.io/remote v0.1.0",
    "\tsigs.k8s.io/yaml => ./staging/src/sigs.k8s.io/yaml",
    "\tk8s.io/tab\tword => ./staging/src/k8s.io/tab",
    ")",
    "replace k8s.io/single-line => ./staging/src/k8s.io/single-line",
    "",
].join("\n");

describe("scripts/lib/control-plane", () => {
    describe("the staging modules", () => {
        it("finds the 33 staging replaces of k8s.io/kubernetes@v1.36.3's real go.mod, in file order", function () {
            const file = kubernetesGoModPath();
            if (!file) return requireInput(this, "k8s.io/kubernetes@v1.36.3 is not in the Go module cache", GO_MODULE_FIX);
            const modules = stagingModules(fs.readFileSync(file, "utf8"));
            expect(modules).to.have.length(33);
            expect(modules.slice(0, 3)).to.deep.equal(["k8s.io/api", "k8s.io/apiextensions-apiserver", "k8s.io/apimachinery"]);
            expect(modules).to.include.members(["k8s.io/component-base", "k8s.io/controller-manager", "k8s.io/sample-cli-plugin", "k8s.io/streaming"]);
            expect(modules.every((m) => /^k8s\.io\/[a-z-]+$/.test(m))).to.equal(true);
        });

        it("takes only `k8s.io/X => ./staging/src/...` lines, as the sed did", () => {
            expect(stagingModules(ODD_REPLACES)).to.deep.equal(["k8s.io/api", "k8s.io/kubelet", "k8s.io/tab", "word"]);
            expect(stagingModules("module example.com/m\n")).to.deep.equal([]);
        });

        it("agrees with the sed of the bash script, on the real go.mod and on the lines above", function () {
            const file = kubernetesGoModPath();
            if (!file) return requireInput(this, "k8s.io/kubernetes@v1.36.3 is not in the Go module cache", GO_MODULE_FIX);
            const sed = (goMod: string) =>
                bash(`for module in $(printf '%s' "$1" | sed -n 's#^[[:space:]]*\\(k8s\\.io/[^ ]*\\) => \\./staging/src/.*#\\1#p'); do echo "$module"; done`, goMod);
            for (const goMod of [fs.readFileSync(file, "utf8"), ODD_REPLACES]) {
                const reference = sed(goMod);
                if (reference === undefined) return requireInput(this, "bash is not installed", "apt-get install bash");
                expect(reference).to.contain("k8s.io/api\n"); // the reference does find something
                expect(stagingModules(goMod)).to.deep.equal(reference.split("\n").filter((l) => l !== ""));
            }
        });
    });

    describe("the published versions", () => {
        it("maps v1.36.3 to v0.36.3, then the earlier patches down to v0.36.0", () => {
            expect(stagingVersions(KUBERNETES_VERSION)).to.deep.equal({ minor: "v0.36", wanted: "v0.36.3", candidates: ["v0.36.3", "v0.36.2", "v0.36.1", "v0.36.0"] });
            expect(stagingVersions("v1.30.0")).to.deep.equal({ minor: "v0.30", wanted: "v0.30.0", candidates: ["v0.30.0"] });
            expect(stagingVersions("v1.36.3-rc.1").candidates).to.deep.equal([]);
        });

        it("agrees with the cut and seq of the bash script", function () {
            const versions = ["v1.36.3", "v1.30.0", "v1.29.12", "v1.36.3-rc.1", "v1.36", "v1", "v1.36.x"];
            const script =
                'minor="v0.$(echo "$1" | cut -d. -f2)"; patch=$(echo "$1" | cut -d. -f3); echo "$minor $minor.$patch"; for p in $(seq "$patch" -1 0 2>/dev/null); do echo "$minor.$p"; done';
            for (const v of versions) {
                const reference = bash(script, v);
                if (reference === undefined) return requireInput(this, "bash is not installed", "apt-get install bash");
                const [header, ...candidates] = reference.split("\n").filter((l) => l !== "");
                const got = stagingVersions(v);
                expect(`${got.minor} ${got.wanted}`, v).to.equal(header);
                expect(got.candidates, v).to.deep.equal(candidates);
            }
        });

        it("replaces a staging module with the published one", () => {
            expect(publishedReplace("k8s.io/sample-cli-plugin", "v0.36.2")).to.equal("k8s.io/sample-cli-plugin => k8s.io/sample-cli-plugin v0.36.2");
        });
    });

    describe("the wrapper module", () => {
        it("writes the go.mod the bash script wrote, from the real go.mod", function () {
            const file = kubernetesGoModPath();
            if (!file) return requireInput(this, "k8s.io/kubernetes@v1.36.3 is not in the Go module cache", GO_MODULE_FIX);
            const upstream = fs.readFileSync(file, "utf8");
            const replaces = stagingModules(upstream).map((m) => publishedReplace(m, m === "k8s.io/sample-cli-plugin" ? "v0.36.2" : "v0.36.3"));
            const got = kubeWrapperGoMod(goDirective(upstream), KUBERNETES_VERSION, replaces);
            expect(got.split("\n").slice(0, 9)).to.deep.equal([
                `module ${WRAPPER_MODULE}`,
                "",
                "go 1.26.0",
                "",
                "require k8s.io/kubernetes v1.36.3",
                "",
                "replace (",
                "\tk8s.io/api => k8s.io/api v0.36.3",
                "\tk8s.io/apiextensions-apiserver => k8s.io/apiextensions-apiserver v0.36.3",
            ]);
            expect(got).to.contain("\tk8s.io/sample-cli-plugin => k8s.io/sample-cli-plugin v0.36.2\n");
            expect(got.endsWith("\tk8s.io/streaming => k8s.io/streaming v0.36.3\n)\n")).to.equal(true);
            const reference = bash(
                `{ printf 'module modelship.invalid/kube\\n\\n%s\\n\\nrequire k8s.io/kubernetes %s\\n\\nreplace (\\n' "$(grep -m1 '^go ' "$1")" "$2"; shift 2; printf '\\t%s\\n' "$@"; printf ')\\n'; }`,
                file,
                KUBERNETES_VERSION,
                ...replaces,
            );
            if (reference === undefined) return requireInput(this, "bash is not installed", "apt-get install bash");
            expect(got).to.equal(reference);
        });

        it("keeps the bash's shape without a go directive or replaces", () => {
            expect(kubeWrapperGoMod(undefined, "v1.36.3", [])).to.equal("module modelship.invalid/kube\n\n\n\nrequire k8s.io/kubernetes v1.36.3\n\nreplace (\n\t\n)\n");
        });

        it("imports both commands in tools.go, as the bash's literal did", () => {
            expect(BINARIES).to.deep.equal(["kube-apiserver", "kube-controller-manager"]);
            expect(commandPackage("kube-apiserver")).to.equal("k8s.io/kubernetes/cmd/kube-apiserver");
            const literal = '//go:build tools\n\npackage tools\n\nimport (\n\t_ "k8s.io/kubernetes/cmd/kube-apiserver"\n\t_ "k8s.io/kubernetes/cmd/kube-controller-manager"\n)\n';
            expect(toolsGo(BINARIES)).to.equal(literal);
            const gofmt = system("gofmt", ["-l"], { input: literal });
            if (gofmt.status !== null) expect(gofmt.status).to.equal(0); // valid Go, already formatted
        });
    });

    describe("the build", () => {
        it("stamps the release into k8s.io/component-base/version like the bash script", function () {
            const v = "k8s.io/component-base/version";
            expect(buildLdflags(KUBERNETES_VERSION)).to.equal(`-s -w -X ${v}.gitVersion=v1.36.3 -X ${v}.gitMajor=1 -X ${v}.gitMinor=36 -X ${v}.gitTreeState=clean`);
            const reference = bash(
                'stamp="-X k8s.io/component-base/version.gitVersion=$1"; stamp+=" -X k8s.io/component-base/version.gitMajor=$(echo "$1" | cut -d. -f1 | tr -d v)"; ' +
                    'stamp+=" -X k8s.io/component-base/version.gitMinor=$(echo "$1" | cut -d. -f2)"; stamp+=" -X k8s.io/component-base/version.gitTreeState=clean"; echo "-s -w $stamp"',
                KUBERNETES_VERSION,
            );
            if (reference === undefined) return requireInput(this, "bash is not installed", "apt-get install bash");
            expect(`${buildLdflags(KUBERNETES_VERSION)}\n`).to.equal(reference);
        });

        it("names the cache's stamp files .NAME-VERSION-rRECIPE and finds every stamp of a binary", () => {
            expect(RECIPE).to.equal(1);
            expect(stampFile("kube-apiserver", KUBERNETES_VERSION, RECIPE)).to.equal(".kube-apiserver-v1.36.3-r1");
            expect(isStampOf(".kube-apiserver-v1.36.3-r1", "kube-apiserver")).to.equal(true);
            expect(isStampOf(".kube-apiserver-v1.35.0-r1", "kube-apiserver")).to.equal(true);
            expect(isStampOf(".kube-controller-manager-v1.36.3-r1", "kube-apiserver")).to.equal(false);
            expect(isStampOf("kube-apiserver", "kube-apiserver")).to.equal(false);
            expect(isStampOf(".kube-apiserver", "kube-apiserver")).to.equal(false);
        });

        it("shows the end of the log like tail -20", function () {
            const long = Array.from({ length: 30 }, (_, i) => `line ${i}`).join("\n");
            const inputs = [`${long}\n`, long, "one\n", "one", "", "\n", "a\n\n\n", `${long}\n\n`];
            expect(lastLines(`${long}\n`, 20)).to.match(/^line 10\n[^]*line 29\n$/);
            expect(lastLines("", 20)).to.equal("");
            for (const input of inputs) {
                const tail = system("tail", ["-20"], { input });
                if (tail.status === null) return requireInput(this, "tail is not installed", "apt-get install coreutils");
                expect(lastLines(input, 20), JSON.stringify(input)).to.equal(tail.stdout);
            }
        });
    });

    describe("go mod download -json (the toolchain's reading)", () => {
        it("gives the .mod file of k8s.io/kubernetes@v1.36.3 from the module cache, and the refusal of an unpublished version", function () {
            const file = kubernetesGoModPath();
            if (!file) return requireInput(this, "k8s.io/kubernetes@v1.36.3 is not in the Go module cache", GO_MODULE_FIX);
            const download = (modVer: string) => {
                const r = system("go", ["mod", "download", "-json", modVer], { env: { GOPROXY: "off", GOFLAGS: "-mod=mod -trimpath" } });
                return interpretModDownload(`${r.stdout}${r.stderr}`);
            };
            const served = download(`k8s.io/kubernetes@${KUBERNETES_VERSION}`);
            expect(served.ok && served.goMod).to.equal(file);
            const refused = download("k8s.io/kubernetes@v1.0.0-never-published");
            expect(refused.ok ? "" : refused.message.toString()).to.match(/^k8s\.io\/kubernetes@v1\.0\.0-never-published: .*GOPROXY=off\n$/);
        });
    });
});
