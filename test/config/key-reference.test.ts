import { expect } from "chai";
import { keyRefKind } from "../../components/config/schema";

// One classifier for cosign key references: the schema refuses unknown schemes with it, and the
// signing plumbing (release/signing.ts) asks it whether a password or an env:// variable applies.
describe("keyRefKind", () => {
    it("classifies file paths, env:// and KMS references", () => {
        expect(keyRefKind("keys/cosign.key")).to.equal("file");
        expect(keyRefKind("/abs/cosign.key")).to.equal("file");
        expect(keyRefKind("env://COSIGN_PRIVATE_KEY")).to.equal("env");
        for (const k of ["awskms://alias/x", "gcpkms://projects/p", "azurekms://v/k", "hashivault://k", "k8s://ns/s"]) {
            expect(keyRefKind(k), k).to.equal("kms");
        }
    });

    it("gives no kind for an unknown scheme, so the schema can refuse it", () => {
        expect(keyRefKind("https://example.com/cosign.key")).to.equal(undefined);
        expect(keyRefKind("s3://bucket/cosign.key")).to.equal(undefined);
    });
});
