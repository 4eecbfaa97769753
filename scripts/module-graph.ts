// `npm run graph [-- DIR]`: the module graph of a checkout (default: this one), drawn from its
// imports by dependency-cruiser and folded to the units docs/architecture.md talks about
// (components/<folder>, components/stack.ts, index.ts, policy/lib, policy/report, the policy rules,
// scripts, bench; test/ when product code imports it). Prints Markdown: a table of imports between units (file-level import counts)
// and a Mermaid flowchart of the same edges. Arrows that run against today's layer rules
// (.dependency-cruiser.cjs) are marked, so an older checkout shows what the rules forbid now.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const REPO_ROOT = path.join(__dirname, "..");

interface CruisedModule {
    source: string;
    dependencies: { resolved: string; coreModule: boolean; couldNotResolve: boolean; dependencyTypes: string[]; valid: boolean; rules?: { name: string }[] }[];
}

/** The unit a file belongs to; undefined for what the graph leaves out (node_modules, core modules). test/ is a unit only as a target: it is not cruised. */
export function unitOf(file: string): string | undefined {
    const m = /^(components\/[^/]+\.ts|components\/[^/]+|policy\/lib|policy\/report|policy|scripts|bench|test|index\.ts)(\/|$)/.exec(file);
    if (!m) return undefined;
    if (m[1] === "policy") return "policy (rules)";
    return m[1];
}

export interface UnitEdge {
    from: string;
    to: string;
    imports: number;
    /** Names of today's layer rules this edge breaks (empty when it is allowed). */
    breaks: string[];
}

/** Folds file-level imports into unit-level edges (imports inside one unit are left out). */
export function unitEdges(modules: CruisedModule[]): UnitEdge[] {
    const edges = new Map<string, UnitEdge>();
    for (const mod of modules) {
        const from = unitOf(mod.source);
        if (!from) continue;
        for (const dep of mod.dependencies) {
            if (dep.coreModule || dep.couldNotResolve || dep.dependencyTypes.some((t) => t.startsWith("npm"))) continue;
            const to = unitOf(dep.resolved);
            if (!to || to === from) continue;
            const key = `${from}\u0000${to}`;
            const edge = edges.get(key) ?? { from, to, imports: 0, breaks: [] };
            edge.imports++;
            for (const rule of dep.rules ?? []) if (!edge.breaks.includes(rule.name)) edge.breaks.push(rule.name);
            edges.set(key, edge);
        }
    }
    return [...edges.values()].sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
}

export function markdown(edges: UnitEdge[], label: string): string {
    const lines = [
        `Imports between units (${label}): ${edges.reduce((n, e) => n + e.imports, 0)} file imports on ${edges.length} edges, ${edges.filter((e) => e.breaks.length > 0).length} against today's layer rules.`,
        "",
    ];
    lines.push("| from | to | imports | against today's rules |", "|---|---|--:|---|");
    for (const e of edges) lines.push(`| ${e.from} | ${e.to} | ${e.imports} | ${e.breaks.join(", ")} |`);
    const units = [...new Set(edges.flatMap((e) => [e.from, e.to]))].sort();
    const id = (u: string) => `u${units.indexOf(u)}`;
    lines.push("", "```mermaid", "flowchart BT");
    for (const u of units) lines.push(`    ${id(u)}["${u}"]`);
    for (const e of edges) lines.push(`    ${id(e.from)} ${e.breaks.length > 0 ? "-. " + e.imports + " .->" : "-- " + e.imports + " -->"} ${id(e.to)}`);
    lines.push("```");
    return lines.join("\n");
}

function main(): void {
    const dir = path.resolve(process.argv[2] ?? REPO_ROOT);
    const targets = ["components", "policy", "scripts", "bench", "index.ts"].filter((t) => fs.existsSync(path.join(dir, t)));
    const depcruise = path.join(REPO_ROOT, "node_modules", ".bin", "depcruise");
    const res = spawnSync(depcruise, [...targets, "--config", path.join(REPO_ROOT, ".dependency-cruiser.cjs"), "--output-type", "json"], {
        cwd: dir,
        encoding: "utf8",
        maxBuffer: 256 * 1024 * 1024,
    });
    // depcruise exits non-zero when rules are broken; the JSON is still complete.
    if (!res.stdout) throw new Error(`depcruise produced nothing (exit ${res.status}): ${res.stderr}`);
    const cruised = JSON.parse(res.stdout) as { modules: CruisedModule[] };
    const label = dir === REPO_ROOT ? "this checkout" : path.basename(dir);
    process.stdout.write(markdown(unitEdges(cruised.modules), label) + "\n");
}

if (require.main === module) main();
