// ImageAttestation: a signed in-toto attestation of one image digest (`cosign attest`, the same key,
// transparency-log setting and signature format as the signature), run by the engine through the
// signing resource's provider. The predicate (SLSA provenance, provenance-attestation.ts) is an input,
// so preview and the policy pack see exactly what will be attested; it holds no secret.
import * as pulumi from "@pulumi/pulumi";
import { cosignResourceInputs, imageSignatureProvider, ImageSignatureArgs } from "./image-signature";
import { SLSA_PROVENANCE_V1 } from "../supply-chain/provenance";
import { attestationLocation, cosignAttestInvocation } from "./signing";

export interface ImageAttestationArgs extends ImageSignatureArgs {
    /** The in-toto predicate. */
    predicate: pulumi.Input<Record<string, unknown>>;
    /** Default SLSA provenance v1. */
    predicateType?: string;
}

export class ImageAttestation extends pulumi.dynamic.Resource {
    declare public readonly reference: pulumi.Output<string>;
    /** Where the attestation lives: the `.att` tag (legacy) or the referrers fallback tag (bundle). */
    declare public readonly signatureReference: pulumi.Output<string>;
    declare public readonly predicateType: pulumi.Output<string>;

    constructor(name: string, args: ImageAttestationArgs, opts?: pulumi.CustomResourceOptions) {
        const { signing, registry } = args;
        const predicateType = args.predicateType ?? SLSA_PROVENANCE_V1;
        const props = {
            ...cosignResourceInputs(args, {
                args: (ref) =>
                    cosignAttestInvocation(signing, ref, predicateType, { plainHttp: registry.plainHttp, insecure: registry.insecure, cosignMajor: signing.cosignVersion }).args,
                location: (ref) => attestationLocation(ref, signing.signatureFormat).reference,
            }),
            predicateType,
            predicate: args.predicate,
        };
        super(imageSignatureProvider, name, props, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["password", "environment"] }), "modelship", "ImageAttestation");
    }
}
