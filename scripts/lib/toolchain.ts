// The pure parts of scripts/toolchain.ts (the offline Pulumi toolchain, docs/toolchain.md): reading
// `go mod download -json` and the lockfile, the wrapper modules' go.mod, the CLI version walk, the
// status.tsv rows and the lines it prints. No I/O here: the program reads and runs, these decide.

import { isPlainObject } from "../../components/lib/plain-object";

/** Go modules the toolchain builds from (see docs/toolchain.md). */
export const PULUMI_PKG = "github.com/pulumi/pulumi/pkg/v3";
export const PULUMI_SDK = "github.com/pulumi/pulumi/sdk/v3";
export const LANG_MODULE = "github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3";
/** The last Node.js language host that lived inside the sdk/v3 module (a module the proxy serves). */
export const LEGACY_LANG_VERSION = "v3.68.0";
export const K8S_PROVIDER_MODULE = "github.com/pulumi/pulumi-kubernetes/provider/v4";
export const K8S_SDK_MODULE = "github.com/pulumi/pulumi-kubernetes/sdk/v4";

/** `go` output lines left out of a failed step's log excerpt; the shim's excerpt keeps "upgraded". */
export const GO_NOISE = ["downloading", "added", "upgraded", "finding"];
export const GO_NOISE_SHIM = ["downloading", "added", "finding"];

/** GOFLAGS for every go command the toolchain runs: -trimpath first, then the caller's flags. */
export function goflagsWithTrimpath(callerGoflags: string | undefined): string {
    return callerGoflags ? `-trimpath ${callerGoflags}` : "-trimpath";
}

/**
 * The proxy that module look-ups ask, from `go env GOPROXY`: the list without a trailing `direct`
 * fallback, so a refusal reads as the proxy's answer (not a git error); proxy.golang.org when
 * nothing but `direct` is left.
 */
export function probeProxy(goproxy: string): string {
    const proxy = goproxy
        .replace(/\n+$/, "")
        .split("\n")
        .map((line) => line.replace(/[,|]direct$/, ""))
        .join("\n");
    return proxy !== "" && proxy !== "direct" ? proxy : "https://proxy.golang.org";
}

/** `version` of `node_modules/<name>` in a package-lock.json (lockfile v2/v3), e.g. 3.248.0. */
export function lockVersion(lock: unknown, name: string): string | undefined {
    if (!isPlainObject(lock) || !isPlainObject(lock.packages)) return undefined;
    const entry = lock.packages[`node_modules/${name}`];
    return isPlainObject(entry) && typeof entry.version === "string" ? entry.version : undefined;
}

/** POSIX `[[:space:]]`, for the regular expressions that read go.mod and go command output. */
export const SPACE = "[ \\t\\n\\v\\f\\r]";

/**
 * The value of the first `"Key": "..."` line of `go mod download -json` output, as printed (JSON
 * escapes left as they are). Line-based on purpose: the output may have the go command's stderr
 * interleaved with the JSON.
 */
export function jsonLineValue(output: string, key: string): string | undefined {
    const re = new RegExp(`^${SPACE}*"${key}": "(.*)",?$`);
    for (const line of output.split("\n")) {
        const m = re.exec(line);
        if (m) return m[1];
    }
    return undefined;
}

export type ModDownload = { ok: true; goMod: string } | { ok: false; message: Buffer };

/**
 * Reads the combined output of `go mod download -json MODULE@VERSION`: the downloaded .mod file, or
 * the proxy's error as one line for a person (its `\n\t` and `\t` escapes turned into spaces, at
 * most 400 bytes), e.g. "github.com/…/pkg/v3@v0.0.0-nonexistent: reading https://proxy.golang.org/…:
 * 403 Forbidden server response: This module version is not available."
 */
export function interpretModDownload(output: string): ModDownload {
    const error = jsonLineValue(output, "Error");
    const goMod = output.includes('"GoMod"') ? jsonLineValue(output, "GoMod") : undefined;
    if (error === undefined || error === "") {
        if (goMod !== undefined) return { ok: true, goMod };
    }
    const text = `${error || output.replace(/\n+$/, "")}\n`.replace(/\\n\\t/g, " ").replace(/\\t/g, " ");
    return { ok: false, message: Buffer.from(text).subarray(0, 400) };
}

/** The first `go ` directive line of a go.mod, e.g. "go 1.25.11". */
export function goDirective(goMod: string): string | undefined {
    return goMod.split("\n").find((line) => line.startsWith("go "));
}

/**
 * The replace directives of a go.mod that point at other modules (not at local paths, which start
 * with `.` or `/`), as one `replace ( ... )` block for a wrapper module to repeat. Lines inside a
 * replace block are taken as they are (a comment line is kept).
 */
export function remoteReplaces(goMod: string): string {
    const out = ["replace ("];
    let inBlock = false;
    for (const text of goMod.split("\n")) {
        let line = "";
        if (new RegExp(`^replace${SPACE}*\\($`).test(text)) {
            inBlock = true;
            continue;
        }
        if (inBlock && text.startsWith(")")) {
            inBlock = false;
            continue;
        }
        if (inBlock) line = text;
        else if (new RegExp(`^replace${SPACE}`).test(text)) line = text.replace(new RegExp(`^replace${SPACE}+`), "");
        if (line === "") continue;
        const target = (line.split("=>")[1] ?? "").replace(new RegExp(`^${SPACE}+`), "");
        if (!/^[./]/.test(target)) out.push(`\t${line}`);
    }
    out.push(")");
    return `${out.join("\n")}\n`;
}

/**
 * go.mod of the wrapper module `modelship.invalid/toolchain/<name>` that builds a package of the
 * module whose go.mod is `upstream`: the same go directive and the upstream's remote replaces.
 * Undefined when the upstream has no go directive.
 */
export function wrapperGoMod(name: string, upstream: string): string | undefined {
    const go = goDirective(upstream);
    if (go === undefined) return undefined;
    return `module modelship.invalid/toolchain/${name}\n\n${go}\n\n${remoteReplaces(upstream)}`;
}

/** `pkg@version` without `@version` (the text before the last `@`). */
export function withoutVersion(pkgAtVersion: string): string {
    const at = pkgAtVersion.lastIndexOf("@");
    return at < 0 ? pkgAtVersion : pkgAtVersion.slice(0, at);
}

/** The sdk/v3 version tools/langshim/go.mod requires, e.g. v3.248.0. */
export function langshimPinnedSdk(goMod: string): string | undefined {
    for (const line of goMod.split("\n")) {
        const m = new RegExp(`^${SPACE}*github.com/pulumi/pulumi/sdk/v3 (v[^ ]*)`).exec(line);
        if (m) return m[1];
    }
    return undefined;
}

/**
 * The CLI version decided without asking the proxy: MODELSHIP_PULUMI_VERSION, else the first line
 * of toolchain/pulumi-cli-for-<sdk version> (what an earlier walk found). Undefined: walk.
 */
export function chosenCliVersion(override: string | undefined, resolvedFile: string | undefined): string | undefined {
    if (override) return override;
    if (resolvedFile) return resolvedFile.split("\n")[0] || undefined;
    return undefined;
}

/**
 * The versions to try for pkg/v3, newest first: from `go list -m -versions <sdk/v3>` output, the
 * v3 releases up to and including `sdkWant` (all of them when it is not listed), at most 20.
 */
export function cliCandidates(versionsOutput: string, sdkWant: string): string[] {
    const ascending = versionsOutput
        .split(/[ \n]/)
        .filter((v) => v.startsWith("v3."))
        .sort(sortV);
    const upTo = ascending.indexOf(sdkWant);
    const kept = upTo < 0 ? ascending : ascending.slice(0, upTo + 1);
    return kept.sort((a, b) => sortV(b, a)).slice(0, 20);
}

/** Content of toolchain/pulumi-cli-for-<sdk version>: the version found, then what was refused. */
export function resolvedFileText(cliVer: string, refused: string[]): string {
    return `${cliVer}\n${refused.length > 0 ? `refused by the module proxy: ${refused.join(" ")}\n` : ""}`;
}

export function cliNote(cliVer: string, sdkWant: string): string {
    return cliVer !== sdkWant ? `nearest to ${sdkWant} that the module proxy serves` : "";
}

/**
 * Version order of GNU `sort -V` (coreutils' filevercmp) for names that do not start with a dot:
 * non-digit runs compare by character (letters before other characters, `~` before everything,
 * even the end), digit runs by number, first without file suffixes such as `.tar.gz`, then whole;
 * byte order breaks a tie, as sort's last resort does. ASCII only.
 */
export function sortV(a: string, b: string): number {
    if (a === b) return 0;
    const pa = filePrefixLength(a);
    const pb = filePrefixLength(b);
    let result = verrevcmp(a.slice(0, pa), b.slice(0, pb));
    if (result === 0 && (pa !== a.length || pb !== b.length)) result = verrevcmp(a, b);
    if (result !== 0) return result;
    return a < b ? -1 : 1;
}

const isDigit = (c: string) => c >= "0" && c <= "9";
const isAlpha = (c: string) => (c >= "a" && c <= "z") || (c >= "A" && c <= "Z");

/** Length of `s` without its suffix: the longest tail of `.x…` parts, each a letter or `~` then letters, digits or `~`. */
function filePrefixLength(s: string): number {
    let prefix = 0;
    let i = 0;
    while (i < s.length) {
        i++;
        prefix = i;
        while (i + 1 < s.length && s[i] === "." && (isAlpha(s[i + 1]) || s[i + 1] === "~")) {
            i += 2;
            while (i < s.length && (isAlpha(s[i]) || isDigit(s[i]) || s[i] === "~")) i++;
        }
    }
    return prefix;
}

function order(s: string, i: number): number {
    if (i >= s.length) return 0;
    const c = s[i];
    if (isDigit(c)) return 0;
    if (isAlpha(c)) return c.charCodeAt(0);
    if (c === "~") return -1;
    return c.charCodeAt(0) + 256;
}

function verrevcmp(a: string, b: string): number {
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) {
        while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
            const ca = order(a, i);
            const cb = order(b, j);
            if (ca !== cb) return ca - cb;
            i++;
            j++;
        }
        while (a[i] === "0") i++;
        while (b[j] === "0") j++;
        let firstDiff = 0;
        while (i < a.length && j < b.length && isDigit(a[i]) && isDigit(b[j])) {
            if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
            i++;
            j++;
        }
        if (i < a.length && isDigit(a[i])) return 1;
        if (j < b.length && isDigit(b[j])) return -1;
        if (firstDiff !== 0) return firstDiff;
    }
    return 0;
}

/**
 * The pulumi-kubernetes provider module version for an @pulumi/kubernetes release: the proxy serves
 * the provider module only as the pseudo-version of the commit tagged v4.25.0.
 */
export function k8sModuleVersion(release: string): string | undefined {
    return release === "4.25.0" ? "v4.0.0-20260115033456-f47bc2d6f199" : undefined;
}

/** What a failed step shows of its log: the last 15 lines that are not `go: <noise>` progress. */
export function logExcerpt(log: string, noise: string[]): string {
    const lines = log.split("\n");
    if (lines[lines.length - 1] === "") lines.pop();
    const re = new RegExp(`^go: (${noise.join("|")})`);
    const kept = lines.filter((line) => !re.test(line)).slice(-15);
    return kept.length > 0 ? `${kept.join("\n")}\n` : "";
}

/** The plugin scripts Pulumi's release ships from sdk/nodejs/dist, equivalents of ours. */
export const PLUGIN_SCRIPTS: { name: string; text: string }[] = [
    {
        name: "pulumi-resource-pulumi-nodejs",
        text: [
            "#!/bin/sh",
            "# Pulumi dynamic provider plugin (generated by modelship scripts/toolchain).",
            `script=$(node -e "process.stdout.write(require.resolve('@pulumi/pulumi/cmd/dynamic-provider'))") || exit 1`,
            'exec node "$script" "$@"',
            "",
        ].join("\n"),
    },
    {
        name: "pulumi-analyzer-policy",
        text: [
            "#!/bin/sh",
            "# Policy pack analyzer plugin for Node.js (generated by modelship scripts/toolchain). Only used by",
            "# the engine when no Node.js language host is found; normally the language host runs policy packs.",
            `script=$(node -e "process.stdout.write(require.resolve('@pulumi/pulumi/cmd/run-policy-pack'))") || exit 1`,
            'exec node "$script" "$@"',
            "",
        ].join("\n"),
    },
];

/** What the shim fallback's language host is recorded as (its `.ok` marker and status.tsv `got`). */
export function shimLangKind(cliVer: string): string {
    return `legacy ${LEGACY_LANG_VERSION} + RunPlugin shim on sdk ${cliVer}`;
}

export type ToolState = "reused" | "built";

export interface StatusRow {
    tool: string;
    wanted: string;
    got: string;
    state: ToolState;
    note: string;
}

/** toolchain/status.tsv: a header, then one tab-separated row a tool. */
export function statusTsv(rows: StatusRow[]): string {
    const line = (fields: string[]) => `${fields.join("\t")}\n`;
    return line(["tool", "wanted", "got", "state", "note"]) + rows.map((r) => line([r.tool, r.wanted, r.got, r.state, r.note])).join("");
}

/** One progress line: the subject padded to 26 columns, then what happened. */
export function sayLine(subject: string, text: string): string {
    return `${subject.padEnd(26)} ${text}\n`;
}

/** `text` followed by `note` after `separator` (" — " on screen, "; " in status.tsv), when there is one. */
export function withNote(text: string, note: string, separator: string): string {
    return note ? `${text}${separator}${note}` : text;
}
