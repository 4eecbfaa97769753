// Pure cosign plumbing: the `cosign sign` and `cosign attest` command lines modelship runs and the
// `cosign verify` flags that check them. The verification settings come from
// supply-chain/verification.ts, which the Kyverno policy reads too, so what modelship signs, what an
// auditor verifies and what the cluster admits cannot drift apart.
//
// No secret ever appears in what this file returns: the command line names environment variables,
// and their values travel only in the signing resource's (secret) `environment`.
import { keyRefKind } from "../config/schema";
import type { SigningConfig, SignatureFormat } from "../config/schema";
import { signatureVerification } from "../supply-chain/verification";

/** Environment variable cosign reads the key password from (file and `env://` keys). */
export const COSIGN_PASSWORD_ENV = "COSIGN_PASSWORD";

/** Media types of what cosign writes, per format (for the provenance record and tests). */
export const LEGACY_SIGNATURE_MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json";
export const BUNDLE_ARTIFACT_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json";

export type CosignMajor = 2 | 3;

/** For `env://VAR` keys: the variable name cosign reads the private key from. */
export function keyEnvironmentVariable(key: string): string | undefined {
    return keyRefKind(key) === "env" ? key.slice("env://".length) : undefined;
}

/**
 * `cosign sign` flags for the transparency log and the signature format. Every flag whose default
 * differs between cosign v2 and v3 is spelled out, so the same config signs the same way on both:
 * - tlog off: v2 `--tlog-upload=false`; v3 also needs `--use-signing-config=false` (v3 otherwise
 *   takes Rekor's URL from the TUF signing config and uploads regardless). cosign ≥2.6 accepts it too.
 * - format: v2 defaults to legacy, v3 to bundle, so `--new-bundle-format=<bool>` is always given on v3;
 *   on v2 it is given for bundles (the flag exists since 2.6) and left at its default otherwise.
 */
export function cosignSignFlags(signing: Pick<SigningConfig, "transparencyLog" | "signatureFormat">, cosignMajor: CosignMajor = 2): string[] {
    const flags: string[] = [];
    const bundle = signing.signatureFormat === "bundle";
    if (cosignMajor === 3 || bundle) flags.push(`--new-bundle-format=${bundle}`);
    if (!signing.transparencyLog) {
        if (cosignMajor === 3 || bundle) flags.push("--use-signing-config=false");
        flags.push("--tlog-upload=false");
    }
    return flags;
}

/** Registry connection flags shared by sign and verify. */
export function cosignRegistryFlags(registry: { plainHttp?: boolean; insecure?: boolean }): string[] {
    const flags: string[] = [];
    if (registry.plainHttp) flags.push("--allow-http-registry=true");
    if (registry.plainHttp || registry.insecure) flags.push("--allow-insecure-registry=true");
    return flags;
}

/**
 * An empty Sigstore trusted root. cosign ≥2.6 insists on a trusted root to verify a bundle, and
 * offline (no TUF) there is none to fetch; with a key and the tlog check off nothing in it is used.
 */
export const EMPTY_TRUSTED_ROOT = '{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}\n';

/**
 * `cosign verify` flags (everything but `--key` and the image) that accept exactly what the
 * generated Kyverno policy accepts: `--insecure-ignore-tlog` iff the IVP sets `insecureIgnoreTlog`,
 * the bundle format iff signatures are bundles. `trustedRoot` (a file with `EMPTY_TRUSTED_ROOT`)
 * is used for offline verification of either format: without one, cosign ≥2.6 fetches Sigstore's
 * trusted root over the network (TUF) even when it will not use it, and fails for bundles.
 */
export function cosignVerifyArgs(
    signing: Pick<SigningConfig, "transparencyLog" | "signatureFormat">,
    registry: { plainHttp?: boolean; insecure?: boolean } = {},
    opts: { trustedRoot?: string } = {},
): string[] {
    const v = signatureVerification(signing);
    return [
        ...(v.ignoreTlog ? ["--insecure-ignore-tlog=true"] : []),
        `--new-bundle-format=${v.newBundleFormat}`,
        ...(v.ignoreTlog && opts.trustedRoot ? [`--trusted-root=${opts.trustedRoot}`] : []),
        ...cosignRegistryFlags(registry),
    ];
}

export interface CosignSignOptions {
    plainHttp?: boolean;
    insecure?: boolean;
    /** Which cosign the flags target; default 2. */
    cosignMajor?: CosignMajor;
}

export interface CosignSignInvocation {
    /** `cosign` arguments (after the binary name). Contains no secret. */
    args: string[];
    /** Environment variables cosign reads secrets from; their values travel only in the resource's secret `environment`. */
    environment: string[];
}

/**
 * The `cosign sign` invocation for `reference` (`host/repo@sha256:…`): the arguments, and the names of
 * the environment variables that carry its secrets (key password, `env://` key). Registry credentials
 * reach cosign through a private temporary DOCKER_CONFIG written by the signing resource, never argv.
 */
export function cosignSignInvocation(signing: SigningConfig, reference: string, opts: CosignSignOptions = {}): CosignSignInvocation {
    return cosignInvocation("sign", [], signing, reference, opts);
}

/**
 * `cosign <verb> --yes <verbFlags…> --key=… <sign flags…> <registry flags…> <reference>`: sign and attest
 * share everything but the verb and its own flags (the key, transparency-log, format and registry settings).
 */
function cosignInvocation(verb: "sign" | "attest", verbFlags: string[], signing: SigningConfig, reference: string, opts: CosignSignOptions): CosignSignInvocation {
    if (!signing.key) {
        throw new Error("signing.key is required to sign (a key file, env://VAR or a KMS URI)");
    }
    if (!/@sha256:[a-f0-9]{64}$/.test(reference)) {
        throw new Error(`cosign signs by digest only; got "${reference}" (expected host/repo@sha256:<64 hex>)`);
    }
    const args = [verb, "--yes", ...verbFlags, `--key=${signing.key}`, ...cosignSignFlags(signing, opts.cosignMajor ?? 2), ...cosignRegistryFlags(opts), reference];
    return { args, environment: signingEnvironmentNames(signing.key) };
}

/** The environment variables the signing of a key reads (the same for every digest). */
export function signingEnvironmentNames(key: string): string[] {
    const names: string[] = [];
    if (keyRefKind(key) !== "kms") names.push(COSIGN_PASSWORD_ENV);
    const keyVar = keyEnvironmentVariable(key);
    if (keyVar) names.push(keyVar);
    return names;
}

/** Where the signature of `reference` lives in the registry, by format. */
export function signatureLocation(reference: string, format: SignatureFormat): { reference: string; mediaType: string } {
    if (format === "legacy") {
        return { reference: digestTagReference(reference, ".sig"), mediaType: LEGACY_SIGNATURE_MEDIA_TYPE };
    }
    // A Sigstore bundle is an OCI referrer of the image; registries without the referrers API (e.g.
    // distribution 2.8) list it in the fallback index tagged `sha256-<hex>`.
    return { reference: digestTagReference(reference, ""), mediaType: BUNDLE_ARTIFACT_TYPE };
}

/** `host/repo@sha256:<hex>` → `host/repo:sha256-<hex><suffix>`: the tag cosign derives from an image digest. */
function digestTagReference(reference: string, suffix: "" | ".sig" | ".att"): string {
    const m = /^(.+)@sha256:([a-f0-9]{64})$/.exec(reference);
    if (!m) throw new Error(`expected host/repo@sha256:<64 hex>, got "${reference}"`);
    return `${m[1]}:sha256-${m[2]}${suffix}`;
}

/** Stands for the predicate file in attest arguments; the signing resource writes the file and substitutes its path. */
export const PREDICATE_FILE_PLACEHOLDER = "{predicate-file}";

/**
 * The `cosign attest` invocation: the in-toto statement with `predicateType` over `reference`,
 * signed with the same key, transparency-log and format settings as the signature. The predicate
 * travels as a file the signing resource writes (it holds no secret).
 */
export function cosignAttestInvocation(signing: SigningConfig, reference: string, predicateType: string, opts: CosignSignOptions = {}): CosignSignInvocation {
    return cosignInvocation("attest", [`--type=${predicateType}`, `--predicate=${PREDICATE_FILE_PLACEHOLDER}`], signing, reference, opts);
}

/** Where the attestation of `reference` lives: the `.att` tag (legacy) or, as a bundle, among the referrers. */
export function attestationLocation(reference: string, format: SignatureFormat): { reference: string } {
    return { reference: digestTagReference(reference, format === "legacy" ? ".att" : "") };
}
