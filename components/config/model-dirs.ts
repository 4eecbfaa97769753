// Checks every model directory of the stack config on disk, at load time, so a wrong path is reported
// with the other config problems (before anything is declared) instead of failing mid-build. Kept out
// of the zod schema, which stays pure; reads the raw config loosely so it runs even when other fields
// are invalid, and reports every problem at once.
import * as fs from "fs";
import * as path from "path";
import { isPlainObject } from "../lib/plain-object";
import { ConfigProblem, formatPath } from "./validate";

/** `p` with symlinks resolved as far as it exists (so a link out of the project counts as outside). */
function realPathOf(p: string): string {
    let existing = p;
    const rest: string[] = [];
    while (!fs.existsSync(existing)) {
        const parent = path.dirname(existing);
        if (parent === existing) {
            return p;
        }
        rest.unshift(path.basename(existing));
        existing = parent;
    }
    try {
        return path.join(fs.realpathSync(existing), ...rest);
    } catch {
        return p;
    }
}

function isInside(dir: string, root: string): boolean {
    const rel = path.relative(root, dir);
    return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

function dirProblems(where: (string | number)[], dir: string, projectDir: string, allowOutside: string | undefined): ConfigProblem[] {
    const p = formatPath(where);
    const abs = path.resolve(projectDir, dir);
    const problems: ConfigProblem[] = [];
    const say = (text: string) => problems.push({ path: p, message: `${p} "${dir}" ${text}` });
    const root = path.resolve(projectDir);
    if (allowOutside !== undefined && !isInside(realPathOf(abs), realPathOf(root))) {
        say(`is outside the project directory ${root} (resolved to ${abs}): move the model files into the project, or set ${allowOutside}: true to ship them from there`);
    }
    let stat: fs.Stats;
    try {
        stat = fs.statSync(abs);
    } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") {
            say(`does not exist (resolved to ${abs}): create it or fix the path`);
        } else {
            say(`cannot be read (resolved to ${abs}): ${(err as Error).message}`);
        }
        return problems;
    }
    if (!stat.isDirectory()) {
        say(`is a file, not a directory (resolved to ${abs}): point it at the directory holding the model files`);
        return problems;
    }
    let entries: string[];
    try {
        entries = fs.readdirSync(abs);
    } catch (err) {
        say(`cannot be read (resolved to ${abs}): ${(err as Error).message}`);
        return problems;
    }
    if (entries.length === 0) {
        say(`is empty (resolved to ${abs}): put the model files in it, or fix the path`);
    }
    return problems;
}

/**
 * Every `models[i].modelDir` and `models[i].canary.modelDir`: exists, is a directory, is not empty,
 * and lies inside `projectDir` unless `models[i].allowOutsideProject` is true. Relative paths are
 * resolved from `projectDir`. Values that are not non-empty strings are left to the schema.
 */
export function modelDirProblems(models: unknown, projectDir: string): ConfigProblem[] {
    if (!Array.isArray(models)) {
        return [];
    }
    const problems: ConfigProblem[] = [];
    models.forEach((m, i) => {
        if (!isPlainObject(m)) {
            return;
        }
        const allowOutside = m.allowOutsideProject === true ? undefined : formatPath(["models", i, "allowOutsideProject"]);
        const dirs: [(string | number)[], unknown][] = [[["models", i, "modelDir"], m.modelDir]];
        if (isPlainObject(m.canary)) {
            dirs.push([["models", i, "canary", "modelDir"], m.canary.modelDir]);
        }
        for (const [where, dir] of dirs) {
            if (typeof dir === "string" && dir !== "") {
                problems.push(...dirProblems(where, dir, projectDir, allowOutside));
            }
        }
    });
    return problems;
}
