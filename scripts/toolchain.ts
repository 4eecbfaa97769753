// Offline Pulumi toolchain, built from Go modules through the Go module proxy (no get.pulumi.com,
// no GitHub). Started by scripts/toolchain (`bash scripts/toolchain`, after `npm ci`); the
// decisions are in scripts/lib/toolchain.ts. Builds into a cache outside the repository, keyed by
// version, and reuses what is there:
//
//   $MODELSHIP_CACHE/toolchain/<tool>-<version>/   one directory per built tool and version
//   $MODELSHIP_CACHE/toolchain/dist-<cli version>/ the assembled distribution (CLI + bundled plugins,
//                                                  laid out like Pulumi's release tarball)
//   $MODELSHIP_CACHE/bin/                          symlinks put on PATH by scripts/toolchain-env
//   $MODELSHIP_CACHE/toolchain/status.tsv          tool, wanted, got, state (reused|built), note
//   $MODELSHIP_CACHE/toolchain/logs/               full go output of every step
//
// Any tool it cannot build is an error (exit 1), with the log to read.
// Env: MODELSHIP_CACHE, MODELSHIP_PULUMI_VERSION (force a CLI version, e.g. v3.259.0).
// Wrapper Go modules are generated into a temporary directory, removed on exit (also on failure,
// SIGINT and SIGTERM: scripts/lib/program.ts); nothing is written to the repository.
import * as fs from "fs";
import * as path from "path";
import { Failure, isExecutable, isFile, modelshipCache, run, runCombined, runNice, runProgram, seconds, tempDir, touch, type RunResult } from "./lib/program";
import {
    chosenCliVersion,
    cliCandidates,
    cliNote,
    GO_NOISE,
    GO_NOISE_SHIM,
    goflagsWithTrimpath,
    interpretModDownload,
    jsonLineValue,
    K8S_PROVIDER_MODULE,
    K8S_SDK_MODULE,
    k8sModuleVersion,
    LANG_MODULE,
    langshimPinnedSdk,
    LEGACY_LANG_VERSION,
    lockVersion,
    logExcerpt,
    PLUGIN_SCRIPTS,
    probeProxy,
    PULUMI_PKG,
    PULUMI_SDK,
    resolvedFileText,
    sayLine,
    shimLangKind,
    statusTsv,
    withNote,
    withoutVersion,
    wrapperGoMod,
    type StatusRow,
} from "./lib/toolchain";

const REPO = path.join(__dirname, "..");

// --- files -------------------------------------------------------------------------------------

function readIfPresent(file: string): string | undefined {
    try {
        return fs.readFileSync(file, "utf8");
    } catch {
        return undefined;
    }
}

/** Empties `dir` (a tool directory about to be built). */
function recreate(dir: string): void {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
}

/** Same file (device and inode), both present: `[ a -ef b ]`. */
function sameFile(a: string, b: string): boolean {
    const sa = fs.statSync(a, { throwIfNoEntry: false });
    const sb = fs.statSync(b, { throwIfNoEntry: false });
    return !!sa && !!sb && sa.dev === sb.dev && sa.ino === sb.ino;
}

/** Puts a new directory entry at `dest` atomically (made under a temporary name, then renamed). */
function replaceEntry(dest: string, make: (tmp: string) => void): void {
    const tmp = `${dest}.toolchain-${process.pid}`;
    fs.rmSync(tmp, { force: true });
    try {
        make(tmp);
        fs.renameSync(tmp, dest);
    } catch (err) {
        fs.rmSync(tmp, { force: true });
        throw err;
    }
}

/** Adds the owner's write permission through a tree (`chmod -R u+w`): module copies are read-only. */
function makeWritable(dir: string): void {
    const stack = [dir];
    for (let p = stack.pop(); p !== undefined; p = stack.pop()) {
        const st = fs.lstatSync(p);
        if (st.isSymbolicLink()) continue;
        fs.chmodSync(p, st.mode | 0o200);
        if (st.isDirectory()) for (const name of fs.readdirSync(p)) stack.push(path.join(p, name));
    }
}

const say = (subject: string, text: string) => process.stdout.write(sayLine(subject, text));

// --- the program -------------------------------------------------------------------------------

async function main(): Promise<void> {
    const cache = modelshipCache();
    const tc = `${cache}/toolchain`;
    const bin = `${cache}/bin`;
    const logs = `${tc}/logs`;
    for (const dir of [tc, bin, logs]) fs.mkdirSync(dir, { recursive: true });

    process.env.GOFLAGS = goflagsWithTrimpath(process.env.GOFLAGS);
    process.env.CGO_ENABLED = "0";
    process.env.GOTOOLCHAIN = "local";
    const goflags = process.env.GOFLAGS;
    const modMode = { ...process.env, GOFLAGS: `${goflags} -mod=mod` };
    const goproxy = await run("go", ["env", "GOPROXY"], { stdout: "capture" });
    if (goproxy.status !== 0) throw new Failure("", goproxy.status);
    // Module look-ups ask the proxy only, so a refusal reads as the proxy's answer (not a git error).
    const probe = probeProxy(goproxy.stdout);

    const started = seconds();
    const work = tempDir();
    const rows: StatusRow[] = [];

    const lock = JSON.parse(fs.readFileSync(`${REPO}/package-lock.json`, "utf8")) as unknown;
    const lockver = (name: string): string => {
        const v = lockVersion(lock, name);
        if (v === undefined) throw new Failure(`toolchain: package-lock.json has no version for node_modules/${name}\n`);
        return v;
    };

    /** `go mod download -json MODULE@VERSION` through the probe proxy, stdout and stderr as one stream. */
    const modDownload = async (modVer: string) => {
        const { output } = await runCombined("go", ["mod", "download", "-json", modVer], { file: `${work}/mod-download.out`, env: { ...process.env, GOPROXY: probe } });
        return interpretModDownload(output);
    };
    /** The path of MODULE@VERSION's downloaded .mod file; the proxy's refusal is a failure. */
    const gomod = async (modVer: string): Promise<string> => {
        const got = await modDownload(modVer);
        if (!got.ok) throw new Failure(got.message);
        return got.goMod;
    };

    /** Runs `steps` with stdout and stderr appended to `log`; a failing step shows the log's tail. */
    const logged = async (log: string, noise: string[], steps: (fd: number, say: (line: string) => void) => Promise<boolean>) => {
        const fd = fs.openSync(log, "a");
        let ok: boolean;
        try {
            ok = await steps(fd, (line) => fs.writeSync(fd, `${line}\n`));
        } finally {
            fs.closeSync(fd);
        }
        if (!ok) throw new Failure(logExcerpt(fs.readFileSync(log, "utf8"), noise));
    };

    /**
     * Generates a wrapper module that requires the package's module (and `pins`, which pin what the
     * upstream go.mod replaces with local paths), repeats the upstream's remote replaces, and builds
     * the package into `out`. Log: logs/<name>.log.
     */
    const wrapperBuild = async (name: string, upstreamGoMod: string, out: string, ldflags: string, pkg: string, pins: string[] = []) => {
        const dir = `${work}/${name}`;
        fs.mkdirSync(dir, { recursive: true });
        const goMod = wrapperGoMod(name, fs.readFileSync(upstreamGoMod, "utf8"));
        if (goMod === undefined) throw new Failure(`toolchain: ${upstreamGoMod} has no go directive\n`);
        fs.writeFileSync(`${dir}/go.mod`, goMod);
        await logged(`${logs}/${name}.log`, GO_NOISE, async (log, echo) => {
            echo(`== go get ${pkg} ${pins.join(" ")}`);
            if ((await runNice(["get", pkg, ...pins], { cwd: dir, log })).status !== 0) return false;
            echo(`== go build ${withoutVersion(pkg)}`);
            return (await runNice(["build", "-o", out, "-ldflags", ldflags, withoutVersion(pkg)], { cwd: dir, log })).status === 0;
        });
    };
    const versionFlag = (v: string) => `-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=${v}`;

    // --- 1. Pulumi CLI ---------------------------------------------------------------------------
    const sdkWant = `v${lockver("@pulumi/pulumi")}`;
    const resolvedFile = `${tc}/pulumi-cli-for-${sdkWant}`;
    const resolvedBefore = (fs.statSync(resolvedFile, { throwIfNoEntry: false })?.size ?? 0) > 0 ? fs.readFileSync(resolvedFile, "utf8") : undefined;
    let cliVer = chosenCliVersion(process.env.MODELSHIP_PULUMI_VERSION, resolvedBefore);
    if (cliVer === undefined) {
        // The newest pkg/v3 release <= the SDK version that the module proxy serves. Its own version
        // list is refused, so walk the SDK module's list (same release train) downward, at most 20 tries.
        const list = await run("go", ["list", "-m", "-versions", PULUMI_SDK], { stdout: "capture", stderr: "ignore" });
        const refused: string[] = [];
        for (const v of cliCandidates(list.stdout, sdkWant)) {
            const got = await modDownload(`${PULUMI_PKG}@${v}`);
            fs.appendFileSync(`${logs}/pulumi-resolve.log`, got.ok ? "" : got.message);
            if (got.ok) {
                cliVer = v;
                break;
            }
            refused.push(v);
        }
        if (cliVer === undefined) throw new Failure(`pulumi: no pkg/v3 version <= ${sdkWant} is served by the module proxy (see ${logs}/pulumi-resolve.log)\n`);
        fs.writeFileSync(resolvedFile, resolvedFileText(cliVer, refused));
    }
    const note1 = cliNote(cliVer, sdkWant);

    const cliDir = `${tc}/pulumi-${cliVer}`;
    if (isExecutable(`${cliDir}/pulumi`) && isFile(`${cliDir}/.ok`)) {
        say(`pulumi ${cliVer}`, withNote("reused", note1, " — "));
        rows.push({ tool: "pulumi", wanted: sdkWant, got: cliVer, state: "reused", note: note1 });
    } else {
        const t0 = seconds();
        recreate(cliDir);
        // pkg/go.mod: `replace github.com/pulumi/pulumi/sdk/v3 => ../sdk` (local: pinned to the same
        // version instead) and `replace github.com/atotto/clipboard => github.com/tgummerer/clipboard ...`.
        await wrapperBuild(`pulumi-${cliVer}`, await gomod(`${PULUMI_PKG}@${cliVer}`), `${cliDir}/pulumi`, versionFlag(cliVer), `${PULUMI_PKG}/cmd/pulumi@${cliVer}`, [
            `${PULUMI_SDK}@${cliVer}`,
        ]);
        touch(`${cliDir}/.ok`);
        say(`pulumi ${cliVer}`, withNote(`built in ${seconds() - t0}s`, note1, " — "));
        rows.push({ tool: "pulumi", wanted: sdkWant, got: cliVer, state: "built", note: withNote(`${seconds() - t0}s`, note1, "; ") });
    }

    // --- 2. Node.js language host ------------------------------------------------------------------
    // Preferred: the module LANG_MODULE at the CLI version (its go.mod replaces pkg/v3 and sdk/v3 with
    // local paths: pinned instead). When the proxy refuses it, fall back to the last host that lived
    // inside the sdk/v3 module (v3.68.0, a module the proxy serves) behind a small shim of ours, built
    // against sdk/v3 at the CLI version, that forwards the protocol to it and adds RunPlugin (which
    // v3.68.0 lacks and policy packs need).
    const langDir = `${tc}/pulumi-language-nodejs-${cliVer}`;
    let langKind = (readIfPresent(`${langDir}/.ok`) ?? "").replace(/\n+$/, "");
    if (langKind !== "" && isExecutable(`${langDir}/pulumi-language-nodejs`)) {
        say("pulumi-language-nodejs", `reused (${langKind})`);
        rows.push({ tool: "pulumi-language-nodejs", wanted: cliVer, got: langKind, state: "reused", note: "" });
    } else {
        const t0 = seconds();
        recreate(langDir);
        let note = "";
        const preferred = await modDownload(`${LANG_MODULE}@${cliVer}`);
        if (preferred.ok) {
            await wrapperBuild(`pulumi-language-nodejs-${cliVer}`, preferred.goMod, `${langDir}/pulumi-language-nodejs`, versionFlag(cliVer), `${LANG_MODULE}@${cliVer}`, [
                `${PULUMI_PKG}@${cliVer}`,
                `${PULUMI_SDK}@${cliVer}`,
            ]);
            langKind = cliVer;
        } else {
            note = `module proxy refuses ${LANG_MODULE}@${cliVer}: ${preferred.message.toString().replace(/\n+$/, "")}`;
            fs.writeFileSync(`${logs}/pulumi-language-nodejs-refused.log`, `${note}\n`);
            // sdk/v3 v3.68.0's go.mod: `replace golang.org/x/text => golang.org/x/text v0.3.6`.
            await wrapperBuild(
                `pulumi-language-nodejs-legacy-${LEGACY_LANG_VERSION}`,
                await gomod(`${PULUMI_SDK}@${LEGACY_LANG_VERSION}`),
                `${langDir}/pulumi-language-nodejs-legacy`,
                versionFlag(LEGACY_LANG_VERSION),
                `${PULUMI_SDK}/nodejs/cmd/pulumi-language-nodejs@${LEGACY_LANG_VERSION}`,
            );
            // The shim: our own Go module, tools/langshim (go vet and its tests run in .ci/run). Its
            // go.mod pins the SDK to the CLI's version; built from a copy so the build writes nothing to the repo.
            const langshim = `${REPO}/tools/langshim`;
            const pinned = langshimPinnedSdk(fs.readFileSync(`${langshim}/go.mod`, "utf8")) ?? "";
            if (pinned !== cliVer) {
                throw new Failure(
                    `tools/langshim/go.mod pins ${PULUMI_SDK} ${pinned}, but the CLI is ${cliVer}:\n` + `  (cd tools/langshim && go get ${PULUMI_SDK}@${cliVer} && go mod tidy)\n`,
                );
            }
            const shim = `${work}/langshim`;
            fs.cpSync(langshim, shim, { recursive: true, verbatimSymlinks: true });
            await logged(`${logs}/pulumi-language-nodejs-shim.log`, GO_NOISE_SHIM, async (log, echo) => {
                echo("== go build (shim)");
                return (await runNice(["build", "-o", `${langDir}/pulumi-language-nodejs`, "-ldflags", "-s -w", "."], { cwd: shim, env: modMode, log })).status === 0;
            });
            langKind = shimLangKind(cliVer);
        }
        fs.writeFileSync(`${langDir}/.ok`, `${langKind}\n`);
        say("pulumi-language-nodejs", `built in ${seconds() - t0}s (${langKind})`);
        rows.push({ tool: "pulumi-language-nodejs", wanted: cliVer, got: langKind, state: "built", note: withNote(`${seconds() - t0}s`, note, "; ") });
    }

    // --- 3. Node.js plugin scripts (what Pulumi's release ships from sdk/nodejs/dist) --------------
    // @pulumi/pulumi in node_modules ships pulumi-resource-pulumi-nodejs (but not pulumi-analyzer-policy);
    // ours are equivalent and resolve @pulumi/pulumi from the directory the engine starts them in (the
    // program, or the policy pack for pulumi-analyzer-policy).
    const scriptsDir = `${tc}/nodejs-plugin-scripts-1`;
    fs.mkdirSync(scriptsDir, { recursive: true });
    const scriptStates = PLUGIN_SCRIPTS.map(({ name, text }) => {
        const file = `${scriptsDir}/${name}`;
        if (readIfPresent(file) === text) return "reused";
        fs.writeFileSync(file, text); // in place: dist/ holds a hard link to it
        fs.chmodSync(file, 0o755);
        return "written";
    });
    say("nodejs plugin scripts", PLUGIN_SCRIPTS.map(({ name }, i) => `${name} ${scriptStates[i]}`).join(", "));
    rows.push({ tool: "nodejs-plugin-scripts", wanted: "1", got: "1", state: scriptStates.every((s) => s === "reused") ? "reused" : "built", note: "" });

    // --- 4. The kubernetes resource provider ---------------------------------------------------------
    // The module proxy serves K8S_PROVIDER_MODULE only as a pseudo-version: the commit tagged v4.25.0
    // (npm @pulumi/kubernetes 4.25.0 is its SDK, pinned in package.json so SDK and plugin agree). Its
    // go.mod replaces sdk/v4 with a local path (pinned to v4.25.0 instead), and the binary embeds two
    // files its own `go generate` step writes (schema-embed.json with the version stamped in,
    // terraform-mapping-embed.json) from files the module ships. So: copy the module into a scratch
    // directory, run that generator, build there, stamp the version.
    const k8sRelease = lockver("@pulumi/kubernetes");
    const k8sModuleVer = k8sModuleVersion(k8sRelease);
    if (k8sModuleVer === undefined) {
        throw new Failure(
            `toolchain: no known pulumi-kubernetes provider module for @pulumi/kubernetes ${k8sRelease}; the module proxy serves only the commit of 4.25.0 (pin @pulumi/kubernetes to 4.25.0)\n`,
        );
    }
    const k8sDir = `${tc}/pulumi-resource-kubernetes-v${k8sRelease}`;
    if (isExecutable(`${k8sDir}/pulumi-resource-kubernetes`) && isFile(`${k8sDir}/.ok`)) {
        say("pulumi-resource-kubernetes", `reused (v${k8sRelease})`);
        rows.push({ tool: "pulumi-resource-kubernetes", wanted: `v${k8sRelease}`, got: `v${k8sRelease}`, state: "reused", note: "" });
    } else {
        const t0 = seconds();
        recreate(k8sDir);
        const log = `${logs}/pulumi-resource-kubernetes-v${k8sRelease}.log`;
        const modVer = `${K8S_PROVIDER_MODULE}@${k8sModuleVer}`;
        const logFd = fs.openSync(log, "a");
        let download: RunResult;
        try {
            download = await run("go", ["mod", "download", "-json", modVer], { env: { ...process.env, GOPROXY: probe }, stdout: "capture", stderr: logFd });
        } finally {
            fs.closeSync(logFd);
        }
        const src = jsonLineValue(download.stdout, "Dir");
        if (download.status !== 0 || !src || !fs.statSync(src, { throwIfNoEntry: false })?.isDirectory()) {
            throw new Failure(`toolchain: the module proxy did not serve ${modVer} (see ${log})\n`);
        }
        const build = `${work}/pulumi-kubernetes`;
        fs.cpSync(src, build, { recursive: true, verbatimSymlinks: true });
        makeWritable(build);
        try {
            await logged(log, GO_NOISE, async (fd, echo) => {
                const go = (args: string[], env?: NodeJS.ProcessEnv, cwd = build) => run("go", args, { cwd, env, stdout: fd, stderr: fd });
                const nice = (args: string[], env?: NodeJS.ProcessEnv, cwd = build) => runNice(args, { cwd, env, log: fd });
                echo("== pin sdk/v4 (upstream replaces it with ../sdk)");
                if ((await go(["mod", "edit", "-dropreplace", K8S_SDK_MODULE, "-require", `${K8S_SDK_MODULE}@v${k8sRelease}`])).status !== 0) return false;
                if ((await nice(["mod", "download", K8S_SDK_MODULE])).status !== 0) return false;
                if ((await nice(["mod", "tidy"], modMode)).status !== 0) return false;
                echo("== generate the embedded schema (go generate in cmd/pulumi-resource-kubernetes)");
                if ((await nice(["run", "generate.go"], { ...modMode, VERSION: k8sRelease }, `${build}/cmd/pulumi-resource-kubernetes`)).status !== 0) return false;
                echo("== go build");
                const ldflags = `-s -w -X ${K8S_PROVIDER_MODULE}/pkg/version.Version=${k8sRelease}`;
                return (await nice(["build", "-o", `${k8sDir}/pulumi-resource-kubernetes`, "-ldflags", ldflags, "./cmd/pulumi-resource-kubernetes"], modMode)).status === 0;
            });
        } catch (err) {
            if (err instanceof Failure) throw new Failure(`${err.stderr.toString()}toolchain: building pulumi-resource-kubernetes failed (full log: ${log})\n`);
            throw err;
        }
        touch(`${k8sDir}/.ok`);
        say("pulumi-resource-kubernetes", `built in ${seconds() - t0}s (v${k8sRelease} from ${k8sModuleVer})`);
        rows.push({ tool: "pulumi-resource-kubernetes", wanted: `v${k8sRelease}`, got: `v${k8sRelease}`, state: "built", note: `${seconds() - t0}s; module ${k8sModuleVer}` });
    }

    // --- 5. cosign: scripts/install-go-tools owns it (one recipe, one cache entry) -----------------
    {
        const t0 = seconds();
        const combined = await runCombined("bash", [`${REPO}/scripts/install-go-tools`], { file: `${work}/install-go-tools.out` });
        const status = combined.status;
        const output = combined.output.replace(/\n+$/, "");
        if (status !== 0) throw new Failure(`${output}\n`);
        const line = output
            .split("\n")
            .filter((l) => l.startsWith("cosign v"))
            .pop();
        if (line === undefined) throw new Failure(`toolchain: scripts/install-go-tools reported nothing about cosign:\n${output}\n`);
        const cosignVer = (line.trim().split(/\s+/)[1] ?? "").replace(/:$/, "");
        if (line.includes("cached")) {
            say(`cosign ${cosignVer}`, `reused (${bin}/cosign)`);
            rows.push({ tool: "cosign", wanted: cosignVer, got: cosignVer, state: "reused", note: "" });
        } else {
            say(`cosign ${cosignVer}`, `built in ${seconds() - t0}s (scripts/install-go-tools)`);
            rows.push({ tool: "cosign", wanted: cosignVer, got: cosignVer, state: "built", note: `${seconds() - t0}s` });
        }
    }

    // --- 6. Assemble the distribution and link it into bin -------------------------------------------
    // Like Pulumi's release tarball: the bundled plugins sit next to the `pulumi` binary (hard links,
    // copies across file systems), so the engine finds them as bundled plugins and does not warn
    // about plugins taken from $PATH.
    const dist = `${tc}/dist-${cliVer}`;
    fs.mkdirSync(dist, { recursive: true });
    const place = (src: string, name: string) => {
        const dest = `${dist}/${name}`;
        if (!sameFile(src, dest)) {
            try {
                replaceEntry(dest, (tmp) => fs.linkSync(src, tmp));
            } catch {
                fs.copyFileSync(src, dest);
            }
        }
        replaceEntry(`${bin}/${name}`, (tmp) => fs.symlinkSync(dest, tmp));
    };
    place(`${cliDir}/pulumi`, "pulumi");
    place(`${langDir}/pulumi-language-nodejs`, "pulumi-language-nodejs");
    if (isExecutable(`${langDir}/pulumi-language-nodejs-legacy`)) place(`${langDir}/pulumi-language-nodejs-legacy`, "pulumi-language-nodejs-legacy");
    for (const { name } of PLUGIN_SCRIPTS) place(`${scriptsDir}/${name}`, name);
    place(`${k8sDir}/pulumi-resource-kubernetes`, "pulumi-resource-kubernetes");

    fs.writeFileSync(`${tc}/status.tsv`, statusTsv(rows));
    say("toolchain", `ready in ${seconds() - started}s: ${bin} (status: ${tc}/status.tsv)`);
}

runProgram("toolchain", main);
