// Content addressing helpers: sha256 digests and canonical JSON (sorted keys, no whitespace), so the
// same object always serialises to the same bytes and therefore the same digest.
import { createHash } from "crypto";

export function sha256Digest(data: Buffer | string): string {
    return "sha256:" + createHash("sha256").update(data).digest("hex");
}

/** JSON with object keys sorted at every level: deterministic bytes for configs and manifests. */
export function canonicalJson(value: unknown): string {
    return JSON.stringify(sortKeysDeep(value));
}

export function sortKeysDeep(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(sortKeysDeep);
    if (value !== null && typeof value === "object") {
        const sorted: Record<string, unknown> = {};
        for (const key of Object.keys(value).sort()) {
            const v = (value as Record<string, unknown>)[key];
            if (v !== undefined) sorted[key] = sortKeysDeep(v);
        }
        return sorted;
    }
    return value;
}

/** An OCI content descriptor. */
export interface Descriptor {
    mediaType: string;
    digest: string;
    size: number;
    annotations?: Record<string, string>;
}

export function describeBytes(mediaType: string, bytes: Buffer): Descriptor {
    return { mediaType, digest: sha256Digest(bytes), size: bytes.length };
}

/** Bytes that hash to something other than the digest they were announced under. */
export class DigestMismatch extends Error {
    constructor(
        readonly what: string,
        readonly expected: string,
        readonly actual: string,
    ) {
        super(`digest mismatch: ${what} hashes to ${actual}, expected ${expected}`);
        this.name = "DigestMismatch";
    }
}

export function verifyDigest(bytes: Buffer, expected: string, what: string): void {
    const actual = sha256Digest(bytes);
    if (actual !== expected) throw new DigestMismatch(what, expected, actual);
}
