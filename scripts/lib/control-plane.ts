// The pure parts of scripts/install-control-plane.ts (kube-apiserver and kube-controller-manager
// built from the k8s.io/kubernetes Go module, docs/toolchain.md): the staging modules its go.mod
// replaces with local paths, the published versions to try instead, the wrapper module's go.mod and
// tools.go, the version stamp, the cache's stamp files. No I/O here: the program reads and runs,
// these decide.

import { SPACE } from "./toolchain";

/** The Kubernetes release the control plane is built at. */
export const KUBERNETES_VERSION = "v1.36.3";
/** Bump when the build recipe changes, so cached binaries are rebuilt. */
export const RECIPE = 1;
/** What is built, in this order (kube-controller-manager reuses most of kube-apiserver's build). */
export const BINARIES = ["kube-apiserver", "kube-controller-manager"];
/** The wrapper module's path: nothing of it is published. */
export const WRAPPER_MODULE = "modelship.invalid/kube";

/**
 * The k8s.io modules a go.mod replaces with staging directories (`k8s.io/X => ./staging/src/...`
 * lines, single spaces around the arrow), in file order. The module names are split at blanks as
 * the shell's word splitting did.
 */
export function stagingModules(goMod: string): string[] {
    const re = new RegExp(`^${SPACE}*(k8s\\.io/[^ ]*) => \\./staging/src/`);
    return goMod
        .split("\n")
        .map((line) => re.exec(line)?.[1])
        .filter((module): module is string => module !== undefined)
        .flatMap((module) => module.split(/[ \t\n]+/))
        .filter((word) => word !== "");
}

/** Field `n` (from 1) of `text` split at dots, like `cut -d. -fN` (text without a dot is its own every field). */
function dotField(text: string, n: number): string {
    if (!text.includes(".")) return text;
    return text.split(".")[n - 1] ?? "";
}

/**
 * The published versions of the staging modules for a Kubernetes release: `wanted` is the release's
 * minor and patch under v0 (v1.36.3 → v0.36.3); `candidates` is what to try, best first: `wanted`,
 * then each earlier patch down to .0 (v0.36.2, v0.36.1, v0.36.0), none when the patch is not a number.
 */
export function stagingVersions(kubernetesVersion: string): { minor: string; wanted: string; candidates: string[] } {
    const minor = `v0.${dotField(kubernetesVersion, 2)}`;
    const patch = dotField(kubernetesVersion, 3);
    const candidates: string[] = [];
    if (/^[0-9]+$/.test(patch)) for (let p = Number(patch); p >= 0; p--) candidates.push(`${minor}.${p}`);
    return { minor, wanted: `${minor}.${patch}`, candidates };
}

/** The replace line of the wrapper module for one staging module: the published module at `version`. */
export function publishedReplace(module: string, version: string): string {
    return `${module} => ${module} ${version}`;
}

/**
 * go.mod of the wrapper module: the upstream's go directive (`goLine`, e.g. "go 1.26.0"; an empty
 * line when it has none), k8s.io/kubernetes at the release, and the replaces. An empty replace list
 * still gives the block one (tab-only) line, as the bash's printf did.
 */
export function kubeWrapperGoMod(goLine: string | undefined, kubernetesVersion: string, replaces: string[]): string {
    const lines = (replaces.length > 0 ? replaces : [""]).map((r) => `\t${r}\n`).join("");
    return `module ${WRAPPER_MODULE}\n\n${goLine ?? ""}\n\nrequire k8s.io/kubernetes ${kubernetesVersion}\n\nreplace (\n${lines})\n`;
}

/** The package of k8s.io/kubernetes that builds `binary`. */
export function commandPackage(binary: string): string {
    return `k8s.io/kubernetes/cmd/${binary}`;
}

/** tools.go of the wrapper module: blank imports of the binaries' packages, so go mod tidy keeps what they need. */
export function toolsGo(binaries: string[]): string {
    const imports = binaries.map((name) => `\t_ "${commandPackage(name)}"\n`).join("");
    return `//go:build tools\n\npackage tools\n\nimport (\n${imports})\n`;
}

/**
 * The -X flags that stamp the release into k8s.io/component-base/version (what `--version` prints),
 * as a release build would: gitVersion v1.36.3, gitMajor 1, gitMinor 36, gitTreeState clean.
 */
export function versionStamp(kubernetesVersion: string): string {
    const v = "k8s.io/component-base/version";
    const major = dotField(kubernetesVersion, 1).replace(/v/g, "");
    const minor = dotField(kubernetesVersion, 2);
    return `-X ${v}.gitVersion=${kubernetesVersion} -X ${v}.gitMajor=${major} -X ${v}.gitMinor=${minor} -X ${v}.gitTreeState=clean`;
}

/** The ldflags of each build: stripped, and stamped with the release. */
export function buildLdflags(kubernetesVersion: string): string {
    return `-s -w ${versionStamp(kubernetesVersion)}`;
}

/** The stamp file next to a cached binary in $MODELSHIP_CACHE/bin: `.NAME-VERSION-rRECIPE`. */
export function stampFile(binary: string, version: string, recipe: number): string {
    return `.${binary}-${version}-r${recipe}`;
}

/** Whether `file` (a name in the bin directory) is a stamp of `binary`, of any version or recipe (`.NAME-*`). */
export function isStampOf(file: string, binary: string): boolean {
    return file.startsWith(`.${binary}-`);
}

/** The last `n` lines of `text`, like `tail -n`: a last line without a newline stays without one. */
export function lastLines(text: string, n: number): string {
    if (n <= 0 || text === "") return "";
    const complete = text.endsWith("\n");
    const lines = (complete ? text.slice(0, -1) : text).split("\n");
    return `${lines.slice(-n).join("\n")}${complete ? "\n" : ""}`;
}
