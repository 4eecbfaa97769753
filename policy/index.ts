// Entry point of the CrossGuard pack: `pulumi preview --policy-pack policy`. The only place a
// PolicyPack is constructed (the constructor starts the analyzer's gRPC server); everything else
// imports ./policies. The pack version the engine reports is policy/package.json's version.
import { PolicyPack } from "@pulumi/policy";
import { POLICY_PACK_NAME, policies } from "./policies";

new PolicyPack(POLICY_PACK_NAME, {
    description: "modelship supply-chain rules: digests, signatures, admission, registries, canaries.",
    enforcementLevel: "mandatory",
    policies,
});
