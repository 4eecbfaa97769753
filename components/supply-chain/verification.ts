// What verifying a modelship signature needs, derived from the signing config (pure). The signer's
// verify flags (release/signing.ts) and the Kyverno policy's `ctlog` block (platform/kyverno.ts)
// are both read from here, so what modelship signs and what the cluster admits cannot drift apart.
import type { SigningConfig } from "../config/schema";

/**
 * What verification of a modelship signature needs, derived from the signing config. Shared by
 * `cosignVerifyArgs` (auditors, integration tests) and `kyvernoCtlog` (the platform's IVP).
 */
export interface SignatureVerification {
    /** No Rekor entry exists when the transparency log is off: skip the tlog check. */
    ignoreTlog: boolean;
    /** Key-based signatures carry no Fulcio certificate, hence no SCT to check. */
    ignoreSCT: boolean;
    /** Sigstore bundle (OCI referrer) rather than the legacy `.sig` tag. */
    newBundleFormat: boolean;
}

export function signatureVerification(signing: Pick<SigningConfig, "transparencyLog" | "signatureFormat">): SignatureVerification {
    return {
        ignoreTlog: !signing.transparencyLog,
        ignoreSCT: true,
        newBundleFormat: signing.signatureFormat === "bundle",
    };
}

/**
 * The `attestors[].cosign.ctlog` block of the Kyverno ImageValidatingPolicy for this signing
 * config. Without `insecureIgnoreTlog` an offline signature fails admission.
 */
export function kyvernoCtlog(signing: Pick<SigningConfig, "transparencyLog" | "signatureFormat">): {
    insecureIgnoreTlog: boolean;
    insecureIgnoreSCT: boolean;
} {
    const v = signatureVerification(signing);
    return { insecureIgnoreTlog: v.ignoreTlog, insecureIgnoreSCT: v.ignoreSCT };
}
