import { expect } from "chai";
import { ociArchitecture } from "../../components/oci/busybox-base";

describe("oci: busybox base image", () => {
    it("labels the image with the OCI architecture of the host whose busybox it packages", () => {
        expect(ociArchitecture("x64")).to.equal("amd64");
        expect(ociArchitecture("arm64")).to.equal("arm64");
        expect(() => ociArchitecture("mips")).to.throw("no OCI architecture for this host (mips); build the busybox base image on amd64 or arm64");
    });
});
