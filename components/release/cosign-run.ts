// What the ImageSignature provider does in `pulumi up`: run the real `cosign sign` with the
// arguments the pure signing functions built, secrets only in cosign's environment, and check
// whether a signature is still in the registry (a deleted one is made again by the next up after a
// refresh). Loaded by path in the provider's process (image-signature.ts); no Pulumi imports.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ProcessResult, runProcess } from "../lib/run-process";
import { dockerConfigJson } from "../oci/auth";
import { parseImageReference } from "../oci/reference";
import { RegistryClient } from "../oci/remote";
import { PREDICATE_FILE_PLACEHOLDER } from "./signing";

/** The signing resource's inputs, as the provider receives them (secrets unwrapped). */
export interface SignatureRecipe {
    /** `host/repo@sha256:…` */
    reference: string;
    /** `cosign` arguments (no secrets): `sign --yes --key=… … <reference>`. */
    args: string[];
    /** Major version the arguments were built for (2 or 3). */
    cosignVersion: number;
    signatureFormat: "legacy" | "bundle";
    /** Where the signature lives (tag), for the presence check. */
    signatureReference: string;
    registry: string;
    plainHttp?: boolean;
    insecure?: boolean;
    username?: string;
    /** Secret. */
    password?: string;
    /** Secret: values of the variables cosign reads (COSIGN_PASSWORD, an env:// key). */
    environment?: Record<string, string>;
    /** Attestations: the in-toto predicate (no secret) and its type; the args name PREDICATE_FILE_PLACEHOLDER. */
    predicate?: Record<string, unknown>;
    predicateType?: string;
}

/** Longest a cosign run may take before it is stopped (KMS and Rekor round trips included). */
const COSIGN_TIMEOUT_MS = 10 * 60 * 1000;

/** The cosign binary: `MODELSHIP_COSIGN` when set, else `cosign` from PATH. */
export function cosignBinary(env: NodeJS.ProcessEnv = process.env): string {
    return env.MODELSHIP_COSIGN || "cosign";
}

export async function signImage(recipe: SignatureRecipe): Promise<void> {
    const cosign = cosignBinary();
    const secrets = Object.values(recipe.environment ?? {}).concat(recipe.password ? [recipe.password] : []);
    await checkCosignVersion(cosign, recipe.cosignVersion);
    const dockerConfig = recipe.username ? privateDockerConfig(recipe.registry, recipe.username, recipe.password ?? "") : undefined;
    const predicateDir = recipe.predicate ? fs.mkdtempSync(path.join(os.tmpdir(), "modelship-predicate-")) : undefined;
    const verb = recipe.predicate ? "attest" : "sign";
    try {
        const env: NodeJS.ProcessEnv = { ...process.env, ...(recipe.environment ?? {}) };
        if (dockerConfig) env.DOCKER_CONFIG = dockerConfig;
        let args = recipe.args;
        if (predicateDir) {
            const file = path.join(predicateDir, "predicate.json");
            fs.writeFileSync(file, JSON.stringify(recipe.predicate));
            args = args.map((a) => a.split(PREDICATE_FILE_PLACEHOLDER).join(file));
        }
        const run = await runProcess(cosign, args, { env, timeoutMs: COSIGN_TIMEOUT_MS });
        if (run.code !== 0) {
            throw new Error(
                `cosign ${verb} of ${recipe.reference} failed (${run.timedOut ? `stopped after ${COSIGN_TIMEOUT_MS / 1000} s` : `exit ${run.code}`}): ` +
                    redact(lastLines(run.stderr || run.stdout, 8), secrets),
            );
        }
    } finally {
        if (dockerConfig) removePrivateDir(dockerConfig);
        if (predicateDir) fs.rmSync(predicateDir, { recursive: true, force: true });
    }
}

/** Whether the signature of `recipe.reference` is in the registry (tag, or a referrer for bundles). */
export async function signaturePresent(recipe: SignatureRecipe): Promise<boolean> {
    const client = new RegistryClient(recipe.registry, {
        ...(recipe.username ? { username: recipe.username, password: recipe.password } : {}),
        plainHttp: recipe.plainHttp ?? false,
        insecure: recipe.insecure ?? false,
        maxRetries: 1,
    });
    try {
        const { repository, tag } = parseImageReference(recipe.signatureReference);
        if (recipe.signatureFormat !== "bundle") return await client.manifestExists(repository, tag!);
        // Bundles are referrers (the referrers API, or the fallback index tag on registries without
        // it); a signature and an attestation share that list, told apart by their predicate type.
        const { digest } = parseImageReference(recipe.reference);
        const referrers = await client.referrers(repository, digest!);
        const bundles = referrers.filter((m) => (m.artifactType ?? "").startsWith("application/vnd.dev.sigstore.bundle"));
        // Signature and attestation bundles are both referrers; cosign names the predicate type on each.
        const wanted = recipe.predicateType ?? COSIGN_SIGNATURE_PREDICATE;
        return bundles.some((m) => (m.annotations?.[BUNDLE_PREDICATE_TYPE_ANNOTATION] ?? COSIGN_SIGNATURE_PREDICATE) === wanted);
    } finally {
        client.close();
    }
}

/** The annotation cosign puts on a bundle referrer, and its value for a plain signature. */
const BUNDLE_PREDICATE_TYPE_ANNOTATION = "dev.sigstore.bundle.predicateType";
const COSIGN_SIGNATURE_PREDICATE = "https://sigstore.dev/cosign/sign/v1";

/** `cosign version` output per binary: asked once per provider process, not once per image. */
const versionProbes = new Map<string, Promise<ProcessResult>>();

/** Fails with the fix when the cosign on PATH is not the major version the arguments were built for. */
async function checkCosignVersion(cosign: string, wanted: number): Promise<void> {
    let run: ProcessResult;
    try {
        if (!versionProbes.has(cosign)) versionProbes.set(cosign, runProcess(cosign, ["version"], { env: process.env, timeoutMs: 30_000 }));
        run = await versionProbes.get(cosign)!;
    } catch (err) {
        versionProbes.delete(cosign);
        throw new Error(
            `cannot run "${cosign}" (${(err as Error).message}): install cosign v${wanted} on the PATH of pulumi ` +
                `(scripts/install-go-tools builds it from its Go module) or point MODELSHIP_COSIGN at it`,
            { cause: err },
        );
    }
    const found = /GitVersion:\s*v?(\d+)\.(\d+)\.(\d+)/.exec(run.stdout + run.stderr);
    if (found && Number(found[1]) !== wanted) {
        throw new Error(
            `signing.cosignVersion is ${wanted}, but "${cosign}" is cosign v${found[1]}.${found[2]}.${found[3]}: ` +
                `set signing.cosignVersion to ${found[1]}, or put cosign v${wanted} on PATH (or in MODELSHIP_COSIGN)`,
        );
    }
}

// ---- a private DOCKER_CONFIG that never outlives the run ------------------------------------------

const livePrivateDirs = new Set<string>();
let cleanupInstalled = false;

/** A 0700 temporary directory with a config.json holding one login; removed after the run, on exit and on SIGINT/SIGTERM. */
function privateDockerConfig(host: string, username: string, password: string): string {
    installCleanup();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "modelship-cosign-"));
    livePrivateDirs.add(dir);
    fs.writeFileSync(path.join(dir, "config.json"), dockerConfigJson(host, username, password), { mode: 0o600 });
    return dir;
}

function removePrivateDir(dir: string): void {
    fs.rmSync(dir, { recursive: true, force: true });
    livePrivateDirs.delete(dir);
}

function installCleanup(): void {
    if (cleanupInstalled) return;
    cleanupInstalled = true;
    const cleanAll = () => {
        for (const dir of [...livePrivateDirs]) removePrivateDir(dir);
    };
    process.on("exit", cleanAll);
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
        process.once(signal, () => {
            cleanAll();
            process.kill(process.pid, signal);
        });
    }
}

// ---- processes --------------------------------------------------------------------------------

function lastLines(text: string, n: number): string {
    return text.trim().split("\n").slice(-n).join("\n");
}

/** Never echo a secret, even if a tool printed one. */
function redact(text: string, secrets: string[]): string {
    let out = text;
    for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join("[secret]");
    return out;
}
