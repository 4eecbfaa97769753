// Builds kube-apiserver and kube-controller-manager for the end-to-end control plane (etcd comes from
// Debian's etcd-server) from the k8s.io/kubernetes Go module, into the cache outside the repository
// keyed by version, and reuses them when present. Started by scripts/install-control-plane (after
// `npm ci`); the decisions are in scripts/lib/control-plane.ts, the process handling in
// scripts/lib/program.ts.
//
//   $MODELSHIP_CACHE/bin/NAME                       the binary
//   $MODELSHIP_CACHE/bin/.NAME-VERSION-rRECIPE      its stamp: reused when both are there
//   $MODELSHIP_CACHE/logs/kubernetes-VERSION.log    the go output of the last build
//
// k8s.io/kubernetes cannot be built as a dependency as it stands: its go.mod replaces every k8s.io/*
// staging module with a local path (./staging/src/k8s.io/X) that a dependent module ignores. So the
// build runs in a wrapper module generated in a temporary directory, which replaces each of them with
// the published k8s.io/X v0.<minor>.<patch> instead, or the newest earlier patch the proxy serves (it
// refuses k8s.io/sample-cli-plugin@v0.36.3, which neither binary uses). The temporary directory is
// removed on exit (also on failure, SIGINT and SIGTERM); nothing is written to the repository. Cold,
// on 2 cores: kube-apiserver ~9 min, then kube-controller-manager ~2.5 min (it reuses most of the
// first build). Env: MODELSHIP_CACHE.
import * as fs from "fs";
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
} from "./lib/control-plane";
import { Failure, isExecutable, isFile, modelshipCache, run, runCombined, runNice, runProgram, seconds, tempDir, touch } from "./lib/program";
import { goDirective, interpretModDownload } from "./lib/toolchain";

const say = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
    const cache = modelshipCache();
    const bin = `${cache}/bin`;
    const logs = `${cache}/logs`;
    for (const dir of [bin, logs]) fs.mkdirSync(dir, { recursive: true });

    const version = KUBERNETES_VERSION;
    const missing: string[] = [];
    for (const name of BINARIES) {
        if (isExecutable(`${bin}/${name}`) && isFile(`${bin}/${stampFile(name, version, RECIPE)}`)) say(`${name} ${version}: cached`);
        else missing.push(name);
    }
    if (missing.length === 0) return;

    process.env.GOFLAGS = "-mod=mod -trimpath";
    process.env.CGO_ENABLED = "0";
    process.env.GOTOOLCHAIN = "local";
    const log = `${logs}/kubernetes-${version}.log`;
    const work = tempDir(); // the wrapper module; every go command runs in it
    fs.writeFileSync(log, "");
    say(`control plane ${version}: preparing the wrapper module (log: ${log})`);

    const download = await runCombined("go", ["mod", "download", "-json", `k8s.io/kubernetes@${version}`], { file: `${work}/mod-download.out`, cwd: work });
    const got = interpretModDownload(download.output);
    if (!got.ok || !isFile(got.goMod)) {
        const why = got.ok ? [] : [Buffer.from("  "), got.message, Buffer.from(got.message.toString().endsWith("\n") ? "" : "\n")];
        throw new Failure(Buffer.concat([Buffer.from(`could not download k8s.io/kubernetes@${version} through the Go module proxy:\n`), ...why]));
    }
    const upstream = fs.readFileSync(got.goMod, "utf8");

    const logFd = fs.openSync(log, "a");
    try {
        /** The end of the log, then what failed. */
        const failed = (what: string) => new Failure(`${lastLines(fs.readFileSync(log, "utf8"), 20)}${what}\n`);

        // k8s.io/X => ./staging/src/k8s.io/X  becomes  k8s.io/X => k8s.io/X v0.36.3 (or v0.36.2, ...)
        const { minor, wanted, candidates } = stagingVersions(version);
        const replaces: string[] = [];
        for (const module of stagingModules(upstream)) {
            let served: string | undefined;
            for (const candidate of candidates) {
                if ((await run("go", ["list", "-m", `${module}@${candidate}`], { cwd: work, stdout: logFd, stderr: logFd })).status === 0) {
                    served = candidate;
                    break;
                }
            }
            if (served === undefined) throw new Failure(`the Go module proxy serves no ${module} ${minor}.z <= ${wanted}\n`);
            if (served !== wanted) say(`  ${module}: ${wanted} not served, using ${served}`);
            replaces.push(publishedReplace(module, served));
        }
        fs.writeFileSync(`${work}/go.mod`, kubeWrapperGoMod(goDirective(upstream), version, replaces));
        fs.writeFileSync(`${work}/tools.go`, toolsGo(BINARIES));
        if ((await runNice(["mod", "tidy"], { cwd: work, log: logFd })).status !== 0) throw failed("go mod tidy failed in the wrapper module");

        for (const name of missing) {
            say(`${name} ${version}: building from k8s.io/kubernetes@${version}`);
            const t0 = seconds();
            const built = await runNice(["build", "-ldflags", buildLdflags(version), "-o", `${bin}/${name}.tmp`, commandPackage(name)], { cwd: work, log: logFd });
            if (built.status !== 0) throw failed(`${name}: build failed`);
            fs.renameSync(`${bin}/${name}.tmp`, `${bin}/${name}`);
            for (const file of fs.readdirSync(bin)) if (isStampOf(file, name)) fs.rmSync(`${bin}/${file}`, { force: true });
            touch(`${bin}/${stampFile(name, version, RECIPE)}`);
            say(`${name} ${version}: built in ${seconds() - t0}s`);
        }
    } finally {
        fs.closeSync(logFd);
    }
}

runProgram("install-control-plane", main);
