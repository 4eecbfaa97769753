// npm run base-image -- --registry HOST[:PORT] [--repository library/busybox] [--plain-http] [--busybox /bin/busybox]
// Publishes the modelcar base image built from a static busybox (components/oci/busybox-base.ts) and
// prints its pinned reference, ready for `models[].baseImage`. Credentials come from Docker's config.json.
import { publishBusyboxBase } from "../components/oci/busybox-base";

function parseArgs(argv: string[]): Record<string, string | true> {
    const out: Record<string, string | true> = {};
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (!arg.startsWith("--")) throw new Error(`unexpected argument ${arg}`);
        const next = argv[i + 1];
        if (next === undefined || next.startsWith("--")) out[arg.slice(2)] = true;
        else out[arg.slice(2)] = argv[++i];
    }
    return out;
}

async function main(): Promise<void> {
    const args = parseArgs(process.argv.slice(2));
    const known = new Set(["registry", "repository", "plain-http", "busybox"]);
    for (const k of Object.keys(args)) if (!known.has(k)) throw new Error(`unknown option --${k} (known: ${[...known].map((x) => `--${x}`).join(", ")})`);
    if (typeof args.registry !== "string") throw new Error("--registry HOST[:PORT] is required, e.g. --registry localhost:5000");
    const reference = await publishBusyboxBase({
        registry: args.registry,
        repository: typeof args.repository === "string" ? args.repository : undefined,
        busyboxBinary: typeof args.busybox === "string" ? args.busybox : undefined,
        connection: { plainHttp: args["plain-http"] === true },
    });
    process.stdout.write(`${reference}\n`);
}

main().catch((err: Error) => {
    process.stderr.write(`base-image: ${err.message}\n`);
    process.exit(1);
});
