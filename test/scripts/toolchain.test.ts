import { expect } from "chai";
import { GO_MODULE_FIX, requireInput } from "../support/required-input";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import {
    chosenCliVersion,
    cliCandidates,
    cliNote,
    GO_NOISE,
    GO_NOISE_SHIM,
    goDirective,
    goflagsWithTrimpath,
    interpretModDownload,
    jsonLineValue,
    k8sModuleVersion,
    langshimPinnedSdk,
    lockVersion,
    logExcerpt,
    PLUGIN_SCRIPTS,
    probeProxy,
    remoteReplaces,
    resolvedFileText,
    sayLine,
    shimLangKind,
    sortV,
    statusTsv,
    withNote,
    withoutVersion,
    wrapperGoMod,
} from "../../scripts/lib/toolchain";

const REPO = path.join(__dirname, "..", "..");

/**
 * Runs a system tool the toolchain uses (go, awk, sort, sh: not npm packages), with the local Go
 * toolchain; the output as text, status null when the tool is missing.
 */
function system(tool: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}) {
    return spawnSync(tool, args, { encoding: "utf8", cwd: REPO, input: opts.input, maxBuffer: 64 << 20, env: { ...process.env, GOTOOLCHAIN: "local", ...opts.env } });
}

/** `go env GOMODCACHE`, or undefined without a go command. */
function goModCache(): string | undefined {
    const r = system("go", ["env", "GOMODCACHE"]);
    return r.status === 0 && r.stdout.trim() !== "" ? r.stdout.trim() : undefined;
}

/** The .mod file of MODULE@VERSION as the Go module cache holds it (downloaded by scripts/toolchain), if it does. */
function cachedGoMod(module: string, version: string): string | undefined {
    const cache = goModCache();
    if (!cache) return undefined;
    const file = path.join(cache, "cache", "download", module, "@v", `${version}.mod`);
    return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
}

// What `GOPROXY=https://proxy.golang.org go mod download -json MODULE@VERSION` printed (stdout and
// stderr as one stream, as scripts/toolchain reads it).
const REFUSED = [
    "{",
    '\t"Path": "github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3",',
    '\t"Version": "v3.248.0",',
    '\t"Error": "github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3@v3.248.0: reading https://proxy.golang.org/github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3/@v/v3.248.0.info: 403 Forbidden\\n\\tserver response: This module version is not available."',
    "}",
    "",
].join("\n");
const SERVED = [
    "{",
    '\t"Path": "github.com/pulumi/pulumi/pkg/v3",',
    '\t"Version": "v3.248.0",',
    '\t"Info": "/root/go/pkg/mod/cache/download/github.com/pulumi/pulumi/pkg/v3/@v/v3.248.0.info",',
    '\t"GoMod": "/root/go/pkg/mod/cache/download/github.com/pulumi/pulumi/pkg/v3/@v/v3.248.0.mod",',
    '\t"Zip": "/root/go/pkg/mod/cache/download/github.com/pulumi/pulumi/pkg/v3/@v/v3.248.0.zip",',
    '\t"Dir": "/root/go/pkg/mod/github.com/pulumi/pulumi/pkg/v3@v3.248.0",',
    '\t"Sum": "h1:MkvI29cYE3QUEvSl+7kZrV5lQ6CBIt54WjYt2HEXDSg=",',
    '\t"GoModSum": "h1:NBqXwZgQ9XVbqBQrxzrPPHttFCXg2Qe9rIZP/0NGMOk="',
    "}",
    "",
].join("\n");

// `go list -m -versions github.com/pulumi/pulumi/sdk/v3` through proxy.golang.org (trimmed at both ends).
const SDK_VERSIONS =
    "github.com/pulumi/pulumi/sdk/v3 v3.52.0 v3.58.0 v3.61.0 v3.62.0 v3.67.0 v3.67.1 v3.68.0 v3.90.0 v3.94.0 v3.153.1 v3.175.0 v3.185.0 v3.186.0 v3.187.0 v3.188.0 v3.189.0 " +
    "v3.190.0 v3.191.0 v3.192.0 v3.194.0 v3.196.0 v3.197.0 v3.198.0 v3.199.0 v3.200.0 v3.201.0 v3.203.0 v3.207.0 v3.208.0 v3.209.0 v3.210.0 v3.211.0 v3.212.0 v3.213.0 " +
    "v3.214.1 v3.215.0 v3.217.0 v3.217.1 v3.218.0 v3.219.0 v3.222.0 v3.223.0 v3.224.0 v3.225.1 v3.228.0 v3.229.0 v3.230.0 v3.231.0 v3.232.0 v3.233.0 v3.234.0 v3.235.0 " +
    "v3.236.0 v3.237.0 v3.238.0 v3.239.0 v3.241.0 v3.242.0 v3.243.0 v3.244.0 v3.245.0 v3.246.0 v3.247.0 v3.248.0 v3.249.0 v3.250.0 v3.276.0 v3.277.0\n";

describe("scripts/lib/toolchain", () => {
    describe("environment", () => {
        it("puts -trimpath in front of the caller's GOFLAGS", () => {
            expect(goflagsWithTrimpath(undefined)).to.equal("-trimpath");
            expect(goflagsWithTrimpath("")).to.equal("-trimpath");
            expect(goflagsWithTrimpath("-buildvcs=false")).to.equal("-trimpath -buildvcs=false");
        });

        it("asks the proxy alone: GOPROXY without its direct fallback, proxy.golang.org when only direct is left", () => {
            expect(probeProxy("https://proxy.golang.org,direct\n")).to.equal("https://proxy.golang.org");
            expect(probeProxy("https://a.example|direct\n")).to.equal("https://a.example");
            expect(probeProxy("https://a.example,https://b.example\n")).to.equal("https://a.example,https://b.example");
            expect(probeProxy("direct\n")).to.equal("https://proxy.golang.org");
            expect(probeProxy("")).to.equal("https://proxy.golang.org");
            expect(probeProxy("off\n")).to.equal("off");
        });
    });

    describe("the lockfile", () => {
        it("reads the versions of the repository's package-lock.json (the CLI and the provider follow them)", () => {
            const lock = JSON.parse(fs.readFileSync(path.join(REPO, "package-lock.json"), "utf8")) as unknown;
            const pkg = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")) as { dependencies: Record<string, string> };
            expect(lockVersion(lock, "@pulumi/pulumi")).to.equal(pkg.dependencies["@pulumi/pulumi"]);
            expect(lockVersion(lock, "@pulumi/kubernetes")).to.equal(pkg.dependencies["@pulumi/kubernetes"]);
            expect(lockVersion(lock, "@pulumi/not-a-package")).to.equal(undefined);
        });

        it("tolerates lockfiles of another shape", () => {
            expect(lockVersion(undefined, "a")).to.equal(undefined);
            expect(lockVersion({ dependencies: { a: { version: "1.0.0" } } }, "a")).to.equal(undefined);
            expect(lockVersion({ packages: { "node_modules/a": { version: 1 } } }, "a")).to.equal(undefined);
            expect(lockVersion({ packages: { "node_modules/a": { version: "1.2.3" } } }, "a")).to.equal("1.2.3");
        });
    });

    describe("go mod download -json", () => {
        it("gives the .mod file of a served module", () => {
            expect(interpretModDownload(SERVED)).to.deep.equal({ ok: true, goMod: "/root/go/pkg/mod/cache/download/github.com/pulumi/pulumi/pkg/v3/@v/v3.248.0.mod" });
            expect(jsonLineValue(SERVED, "Dir")).to.equal("/root/go/pkg/mod/github.com/pulumi/pulumi/pkg/v3@v3.248.0");
            expect(jsonLineValue(SERVED, "Error")).to.equal(undefined);
        });

        it("turns a refusal into the proxy's one line", () => {
            const got = interpretModDownload(REFUSED);
            expect(got.ok).to.equal(false);
            if (got.ok) return;
            expect(got.message.toString()).to.equal(
                "github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3@v3.248.0: reading https://proxy.golang.org/github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3/@v/v3.248.0.info: 403 Forbidden server response: This module version is not available.\n",
            );
        });

        it("shows the whole output when there is neither an error nor a .mod file, cut at 400 bytes", () => {
            const plain = interpretModDownload('go: malformed module path "x": missing dot in first path element\n\n');
            expect(plain.ok ? "" : plain.message.toString()).to.equal('go: malformed module path "x": missing dot in first path element\n');
            const long = interpretModDownload(`{\n\t"Error": "${"é".repeat(300)}"\n}\n`);
            expect(long.ok ? 0 : long.message.length).to.equal(400);
        });

        it("finds the JSON lines among stderr lines", () => {
            const mixed = `go: downloading github.com/pulumi/pulumi/pkg/v3 v3.248.0\n${SERVED}`;
            expect(interpretModDownload(mixed)).to.deep.equal({ ok: true, goMod: "/root/go/pkg/mod/cache/download/github.com/pulumi/pulumi/pkg/v3/@v/v3.248.0.mod" });
            expect(interpretModDownload(`${SERVED.replace('"Sum"', '"Error": "",\n\t"Sum"')}`).ok).to.equal(true);
        });

        it("reads the real go command's answers (module cache, GOPROXY=off)", function () {
            if (!cachedGoMod("github.com/pulumi/pulumi/pkg/v3", "v3.248.0"))
                requireInput(this, "github.com/pulumi/pulumi/pkg/v3@v3.248.0 is not in the Go module cache", GO_MODULE_FIX);
            const download = (modVer: string) => {
                const r = system("go", ["mod", "download", "-json", modVer], { env: { GOPROXY: "off" } });
                return interpretModDownload(`${r.stdout}${r.stderr}`);
            };
            const served = download("github.com/pulumi/pulumi/pkg/v3@v3.248.0");
            expect(served.ok && served.goMod).to.equal(path.join(goModCache() ?? "", "cache/download/github.com/pulumi/pulumi/pkg/v3/@v/v3.248.0.mod"));
            const refused = download("github.com/pulumi/pulumi/pkg/v3@v3.0.0-never-published");
            expect(refused.ok ? "" : refused.message.toString()).to.match(/^github\.com\/pulumi\/pulumi\/pkg\/v3@v3\.0\.0-never-published: .*GOPROXY=off\n$/);
        });
    });

    describe("wrapper modules", () => {
        it("repeats the remote replaces of pkg/v3's real go.mod and drops the local one", function () {
            const goMod = cachedGoMod("github.com/pulumi/pulumi/pkg/v3", "v3.248.0");
            if (!goMod) return requireInput(this, "github.com/pulumi/pulumi/pkg/v3@v3.248.0 is not in the Go module cache", GO_MODULE_FIX);
            expect(goMod).to.contain("replace github.com/pulumi/pulumi/sdk/v3 => ../sdk\n");
            expect(goDirective(goMod)).to.equal("go 1.25.11");
            expect(wrapperGoMod("pulumi-v3.248.0", goMod)).to.equal(
                [
                    "module modelship.invalid/toolchain/pulumi-v3.248.0",
                    "",
                    "go 1.25.11",
                    "",
                    "replace (",
                    "\tgithub.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e",
                    ")",
                    "",
                ].join("\n"),
            );
        });

        it("keeps sdk/v3 v3.68.0's replace (the legacy language host) and none of the kubernetes provider's", function () {
            const sdk = cachedGoMod("github.com/pulumi/pulumi/sdk/v3", "v3.68.0");
            const k8s = cachedGoMod("github.com/pulumi/pulumi-kubernetes/provider/v4", "v4.0.0-20260115033456-f47bc2d6f199");
            if (!sdk || !k8s) return requireInput(this, "sdk/v3@v3.68.0 or the kubernetes provider's go.mod is not in the Go module cache", GO_MODULE_FIX);
            expect(remoteReplaces(sdk)).to.equal("replace (\n\tgolang.org/x/text => golang.org/x/text v0.3.6\n)\n");
            expect(goDirective(sdk)).to.equal("go 1.18");
            expect(remoteReplaces(k8s)).to.equal("replace (\n)\n");
        });

        it("reads replace blocks and single lines, local paths being ./, ../ or absolute", () => {
            const goMod = [
                "module example.com/m",
                "",
                "go 1.22",
                "",
                "replace (",
                "\tgo.etcd.io/etcd/api/v3 => ../api",
                "\tk8s.io/api => ./staging/src/k8s.io/api",
                "\texample.com/abs => /srv/abs",
                "\tgithub.com/atotto/clipboard v0.1.4 => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e",
                "",
                "\t// a comment line inside the block",
                ")",
                "replace golang.org/x/text => golang.org/x/text v0.3.6",
                "replace\tgo.etcd.io/etcd => ./FORBIDDEN_DEPENDENCY",
                "require example.com/replace v1.0.0",
                "",
            ].join("\n");
            expect(remoteReplaces(goMod)).to.equal(
                [
                    "replace (",
                    "\t\tgithub.com/atotto/clipboard v0.1.4 => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e",
                    "\t\t// a comment line inside the block",
                    "\tgolang.org/x/text => golang.org/x/text v0.3.6",
                    ")",
                    "",
                ].join("\n"),
            );
            expect(wrapperGoMod("x", "module example.com/m\n")).to.equal(undefined);
        });

        it("agrees with the awk program the bash toolchain used, on the go.mod files of the module cache", function () {
            this.timeout(30_000);
            const cache = goModCache();
            if (!cache) return requireInput(this, "go is not installed", "Go ≥ 1.26 on PATH");
            if (system("awk", ["BEGIN {}"]).status !== 0) return requireInput(this, "awk is not installed", "apt-get install mawk");
            // The old scripts/toolchain's remote_replaces, as the reference; one awk run for all the
            // files, the first rule marking where each file's output starts.
            const awk = `
                FNR == 1 { print "@@ " FILENAME; inblock = 0; line = "" }
                /^replace[[:space:]]*\\($/ { inblock = 1; next }
                inblock && /^\\)/ { inblock = 0; next }
                inblock { line = $0 }
                !inblock && /^replace[[:space:]]/ { line = $0; sub(/^replace[[:space:]]+/, "", line) }
                line != "" {
                  split(line, parts, "=>"); rhs = parts[2]; gsub(/^[[:space:]]+/, "", rhs)
                  if (rhs !~ /^[.\\/]/) print "\\t" line
                  line = ""
                }`;
            const files: string[] = [];
            const dirs = [path.join(cache, "cache", "download")];
            for (let dir = dirs.pop(); dir !== undefined && files.length < 1000; dir = dirs.pop()) {
                for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
                    const p = path.join(dir, entry.name);
                    if (entry.isDirectory()) dirs.push(p);
                    else if (entry.name.endsWith(".mod") && /^replace/m.test(fs.readFileSync(p, "utf8"))) files.push(p);
                }
            }
            if (files.length === 0) return requireInput(this, "no go.mod with replace lines in the Go module cache", GO_MODULE_FIX);
            const reference = new Map<string, string>();
            let currentFile = "";
            for (const line of system("awk", [awk, ...files]).stdout.split("\n")) {
                if (line.startsWith("@@ ")) currentFile = line.slice(3);
                else if (line !== "") reference.set(currentFile, `${reference.get(currentFile) ?? ""}${line}\n`);
            }
            expect(reference.size).to.be.at.most(files.length);
            const pkg = files.find((f) => f.endsWith("/pulumi/pkg/v3/@v/v3.248.0.mod"));
            if (pkg) expect(reference.get(pkg)).to.contain("github.com/atotto/clipboard"); // the reference does find something
            for (const file of files) expect(remoteReplaces(fs.readFileSync(file, "utf8")), file).to.equal(`replace (\n${reference.get(file) ?? ""})\n`);
        });

        it("builds the package path without its version", () => {
            expect(withoutVersion("github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v3.248.0")).to.equal("github.com/pulumi/pulumi/pkg/v3/cmd/pulumi");
            expect(withoutVersion("example.com/a@b@v1")).to.equal("example.com/a@b");
            expect(withoutVersion("./cmd/x")).to.equal("./cmd/x");
        });

        it("reads the SDK version tools/langshim pins, which must be the CLI's (the lockfile's @pulumi/pulumi)", () => {
            const lock = JSON.parse(fs.readFileSync(path.join(REPO, "package-lock.json"), "utf8")) as unknown;
            const pinned = langshimPinnedSdk(fs.readFileSync(path.join(REPO, "tools/langshim/go.mod"), "utf8"));
            expect(pinned).to.equal(`v${lockVersion(lock, "@pulumi/pulumi")}`);
            expect(langshimPinnedSdk("require github.com/pulumi/pulumi/sdk/v3 v3.1.0\n")).to.equal(undefined);
            expect(langshimPinnedSdk("require (\n\tgithub.com/pulumi/pulumi/sdk/v3 v3.1.0 // indirect\n)\n")).to.equal("v3.1.0");
        });
    });

    describe("the CLI version", () => {
        it("takes MODELSHIP_PULUMI_VERSION, then what an earlier walk found, else walks", () => {
            expect(chosenCliVersion("v3.259.0", "v3.248.0\n")).to.equal("v3.259.0");
            expect(chosenCliVersion("", "v3.247.0\nrefused by the module proxy: v3.248.0\n")).to.equal("v3.247.0");
            expect(chosenCliVersion(undefined, undefined)).to.equal(undefined);
            expect(chosenCliVersion(undefined, "\nv3.1.0\n")).to.equal(undefined);
        });

        it("walks the SDK's releases down from the lockfile's version, at most 20", () => {
            const candidates = cliCandidates(SDK_VERSIONS, "v3.248.0");
            expect(candidates).to.have.length(20);
            expect(candidates.slice(0, 4)).to.deep.equal(["v3.248.0", "v3.247.0", "v3.246.0", "v3.245.0"]);
            expect(candidates[19]).to.equal("v3.228.0");
            expect(cliCandidates(SDK_VERSIONS, "v3.68.0")).to.deep.equal(["v3.68.0", "v3.67.1", "v3.67.0", "v3.62.0", "v3.61.0", "v3.58.0", "v3.52.0"]);
            // Not listed: every release is a candidate, newest first.
            expect(cliCandidates(SDK_VERSIONS, "v3.260.0").slice(0, 3)).to.deep.equal(["v3.277.0", "v3.276.0", "v3.250.0"]);
            expect(cliCandidates("", "v3.248.0")).to.deep.equal([]);
        });

        it("remembers the walk and says when the CLI is not the lockfile's version", () => {
            expect(resolvedFileText("v3.248.0", [])).to.equal("v3.248.0\n");
            expect(resolvedFileText("v3.247.0", ["v3.249.0", "v3.248.0"])).to.equal("v3.247.0\nrefused by the module proxy: v3.249.0 v3.248.0\n");
            expect(cliNote("v3.248.0", "v3.248.0")).to.equal("");
            expect(cliNote("v3.247.0", "v3.248.0")).to.equal("nearest to v3.248.0 that the module proxy serves");
        });

        it("orders versions like sort -V", () => {
            const versions = [
                "v3.10.0",
                "v3.9.0",
                "v3.100.0",
                "v3.10.0-rc.1",
                "v3.10.0-alpha",
                "v3.2.0+incompatible",
                "v3.010.0",
                "v3.1.0~rc1",
                "v3.1.0",
                "v3.1.0.tar.gz",
                "v3.1.0.beta",
                "v3.1",
                "v3.1.0-1",
            ];
            expect([...versions].sort(sortV)).to.deep.equal([
                "v3.1",
                "v3.1.0~rc1",
                "v3.1.0",
                "v3.1.0.beta",
                "v3.1.0.tar.gz",
                "v3.1.0-1",
                "v3.2.0+incompatible",
                "v3.9.0",
                "v3.010.0",
                "v3.10.0",
                "v3.10.0-alpha",
                "v3.10.0-rc.1",
                "v3.100.0",
            ]);
        });

        it("agrees with GNU sort -V", function () {
            const versions = [
                ...SDK_VERSIONS.trim().split(" ").slice(1),
                ...[
                    "v3.10.0-rc.1",
                    "v3.10.0-alpha",
                    "v3.2.0+incompatible",
                    "v3.010.0",
                    "v3.1.0~rc1",
                    "v3.1.0.tar.gz",
                    "v3.1.0.beta",
                    "v3.1",
                    "v3.1.0-1",
                    "v3.0.0-beta.1",
                    "v3.0.0-beta.10",
                    "v3.0.0-beta.2",
                ],
            ];
            const sorted = system("sort", ["-V"], { input: `${versions.join("\n")}\n`, env: { LC_ALL: "C" } });
            if (sorted.status !== 0) return requireInput(this, "GNU sort -V is not available", "apt-get install coreutils");
            expect([...versions].sort(sortV)).to.deep.equal(sorted.stdout.trim().split("\n"));
        });
    });

    describe("what it writes and prints", () => {
        it("writes status.tsv as the warm cache holds it", () => {
            const rows = [
                { tool: "pulumi", wanted: "v3.248.0", got: "v3.248.0", state: "reused" as const, note: "" },
                { tool: "pulumi-language-nodejs", wanted: "v3.248.0", got: shimLangKind("v3.248.0"), state: "reused" as const, note: "" },
                { tool: "nodejs-plugin-scripts", wanted: "1", got: "1", state: "reused" as const, note: "" },
                { tool: "pulumi-resource-kubernetes", wanted: "v4.25.0", got: "v4.25.0", state: "built" as const, note: "1008s; module v4.0.0-20260115033456-f47bc2d6f199" },
            ];
            expect(statusTsv(rows)).to.equal(
                "tool\twanted\tgot\tstate\tnote\n" +
                    "pulumi\tv3.248.0\tv3.248.0\treused\t\n" +
                    "pulumi-language-nodejs\tv3.248.0\tlegacy v3.68.0 + RunPlugin shim on sdk v3.248.0\treused\t\n" +
                    "nodejs-plugin-scripts\t1\t1\treused\t\n" +
                    "pulumi-resource-kubernetes\tv4.25.0\tv4.25.0\tbuilt\t1008s; module v4.0.0-20260115033456-f47bc2d6f199\n",
            );
        });

        it("prints one aligned line a step, with the note after a dash on screen and a semicolon in status.tsv", () => {
            expect(sayLine("pulumi v3.248.0", withNote("reused", "", " — "))).to.equal("pulumi v3.248.0            reused\n");
            expect(sayLine("pulumi-resource-kubernetes", "reused (v4.25.0)")).to.equal("pulumi-resource-kubernetes reused (v4.25.0)\n");
            expect(withNote("built in 3s", cliNote("v3.247.0", "v3.248.0"), " — ")).to.equal("built in 3s — nearest to v3.248.0 that the module proxy serves");
            expect(withNote("3s", "module v4", "; ")).to.equal("3s; module v4");
        });

        it("knows the provider module only for @pulumi/kubernetes 4.25.0", () => {
            expect(k8sModuleVersion("4.25.0")).to.equal("v4.0.0-20260115033456-f47bc2d6f199");
            expect(k8sModuleVersion("4.26.0")).to.equal(undefined);
        });

        it("shows the last 15 lines of a failed step's log without go's progress lines", () => {
            const log = [
                "== go get x",
                "go: downloading a v1",
                "go: added b v1",
                "go: upgraded c v1 => v2",
                "go: finding d",
                ...Array.from({ length: 20 }, (_, i) => `error ${i}`),
                "",
            ].join("\n");
            const excerpt = logExcerpt(log, GO_NOISE);
            expect(excerpt.split("\n")).to.have.length(16);
            expect(excerpt).to.match(/^error 5\n[^]*error 19\n$/);
            expect(logExcerpt("go: upgraded c v1 => v2\ngo: added b v1\n", GO_NOISE_SHIM)).to.equal("go: upgraded c v1 => v2\n");
            expect(logExcerpt("", GO_NOISE)).to.equal("");
        });

        it("writes the two plugin scripts as shell scripts that run @pulumi/pulumi's entry points", () => {
            expect(PLUGIN_SCRIPTS.map((s) => s.name)).to.deep.equal(["pulumi-resource-pulumi-nodejs", "pulumi-analyzer-policy"]);
            for (const { text } of PLUGIN_SCRIPTS) {
                expect(text.startsWith("#!/bin/sh\n")).to.equal(true);
                expect(text.endsWith('exec node "$script" "$@"\n')).to.equal(true);
                expect(system("sh", ["-n"], { input: text }).status).to.equal(0);
            }
            expect(PLUGIN_SCRIPTS[0].text).to.contain("require.resolve('@pulumi/pulumi/cmd/dynamic-provider')");
            expect(PLUGIN_SCRIPTS[1].text).to.contain("require.resolve('@pulumi/pulumi/cmd/run-policy-pack')");
        });
    });
});
