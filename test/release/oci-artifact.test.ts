// The OciArtifact dynamic resource (release layer): its registration under mocks (type token, inputs, secret
// password) and its provider run the way Pulumi runs it: serialised, in a separate Node process
// without ts-node, against a real registry.
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { composeModelImage, RegistryClient } from "../../components/oci";
import { ociArtifactProvider, OciArtifact } from "../../components/release/oci-artifact";
import { installRecordingMocks, recorder, unwrap } from "../support/pulumi-mocks";
import { LocalRegistry, requireTool, seedBusyboxBase, startRegistry } from "../support/registry";

describe("release: OciArtifact resource", function () {
    this.timeout(120_000);

    describe("under mocks", () => {
        before(() => installRecordingMocks());
        beforeEach(() => recorder.reset());

        it("registers pulumi-nodejs:dynamic/modelship:OciArtifact with the inputs the policy pack reads and a secret password", async () => {
            const signing = { enabled: true, transparencyLog: false, signatureFormat: "legacy" };
            const digest = "sha256:" + "a".repeat(64);
            const artifact = new OciArtifact("iris-image", {
                kind: "modelcar-image",
                registry: "127.0.0.1:5000",
                repository: "models/iris",
                reference: `127.0.0.1:5000/models/iris@${digest}`,
                digest,
                tag: "v1",
                modelDir: "/models/iris",
                modelName: "iris",
                version: "v1",
                baseImage: "127.0.0.1:5000/library/busybox@sha256:" + "b".repeat(64),
                provenance: { sourceRevision: "abc" },
                signing,
                password: "hunter2",
                plainHttp: true,
            });
            await unwrap(artifact.urn);
            const recorded = recorder.named("iris-image");
            expect(recorded.type).to.equal("pulumi-nodejs:dynamic/modelship:OciArtifact");
            expect(recorded.inputs.kind).to.equal("modelcar-image");
            expect(recorded.inputs.digest).to.equal(digest);
            expect(recorded.inputs.signing).to.deep.equal(signing);
            expect(recorded.inputs.provenance).to.deep.equal({ sourceRevision: "abc" });
            expect(typeof recorded.inputs.__provider).to.equal("string");
            expect((await unwrap((artifact as any).password)).isSecret).to.equal(true);
            // Output properties survive the constructor (ES2022 class fields would reset them to undefined).
            expect((await unwrap(artifact.digest)).value).to.equal(digest);
            expect((await unwrap(artifact.reference)).value).to.equal(`127.0.0.1:5000/models/iris@${digest}`);
        });
    });

    describe("provider, serialised and run in a separate process", () => {
        let registry: LocalRegistry;
        let tmp: string;
        before(async function () {
            requireTool(this, "/usr/bin/docker-registry");
            requireTool(this, "/bin/busybox");
            registry = await startRegistry();
            tmp = fs.mkdtempSync(path.join(os.tmpdir(), "modelship-push-"));
        });
        after(async () => {
            await registry?.stop();
            if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
        });

        it("creates, notices a manifest deleted from the registry, and restores it on update", async () => {
            const baseImage = await seedBusyboxBase(registry.host);
            const modelDir = path.join(tmp, "model");
            fs.mkdirSync(modelDir);
            fs.writeFileSync(path.join(modelDir, "model.bin"), Buffer.alloc(100_000, 9));
            const cacheDir = path.join(tmp, "cache");
            const image = await composeModelImage({
                modelDir,
                modelName: "iris",
                version: "v1",
                baseImage,
                registry: registry.host,
                repository: "models/iris",
                connection: { plainHttp: true },
                cacheDir,
            });
            const inputs = {
                kind: "modelcar-image",
                registry: registry.host,
                repository: "models/iris",
                reference: image.reference,
                digest: image.digest,
                tag: "v1",
                modelDir,
                modelName: "iris",
                version: "v1",
                baseImage,
                signing: { enabled: true, transparencyLog: false, signatureFormat: "legacy" },
                plainHttp: true,
            };

            // What Pulumi ships to the provider process: the serialised closure. It must hold paths, not code.
            const serialized = await pulumi.runtime.serializeFunction(() => ociArtifactProvider);
            expect(serialized.text.length).to.be.lessThan(20_000);
            const moduleFile = path.join(tmp, "provider.js");
            fs.writeFileSync(moduleFile, serialized.text);
            const runner = path.join(tmp, "run.js");
            fs.writeFileSync(
                runner,
                `const p = require(${JSON.stringify(moduleFile)}).${serialized.exportName}();
                 const [method, ...args] = JSON.parse(process.argv[2]);
                 p[method](...args).then((r) => process.stdout.write(JSON.stringify(r ?? null)), (e) => { process.stderr.write(String(e && e.message)); process.exit(3); });`,
            );
            const call = (method: string, ...args: unknown[]) => {
                const out = execFileSync(process.execPath, [runner, JSON.stringify([method, ...args])], {
                    encoding: "utf8",
                    cwd: path.join(__dirname, "..", ".."),
                    env: { ...process.env, MODELSHIP_CACHE: cacheDir },
                    timeout: 90_000,
                });
                return JSON.parse(out);
            };

            const created = call("create", inputs);
            expect(created.id).to.equal(image.reference);
            expect(created.outs.digest).to.equal(image.digest);
            expect(created.outs.blobsUploaded).to.equal(2); // config + model layer; busybox is mounted
            expect(created.outs.bytesUploaded).to.be.greaterThan(100_000);

            const client = new RegistryClient(registry.host, { plainHttp: true });
            try {
                const unchanged = call("read", created.id, created.outs);
                expect(unchanged.props.present).to.equal(true);
                expect(call("diff", created.id, unchanged.props, inputs).changes).to.equal(false);

                await client.deleteManifest("models/iris", image.digest);
                const afterDelete = call("read", created.id, created.outs);
                expect(afterDelete.props.present).to.equal(false);
                expect(call("diff", created.id, afterDelete.props, inputs).changes).to.equal(true);

                const updated = call("update", created.id, afterDelete.props, inputs);
                expect(updated.outs.present).to.equal(true);
                expect(updated.outs.bytesUploaded).to.equal(0); // blobs were still there: only the manifest went up
                expect(await client.manifestExists("models/iris", image.digest)).to.equal(true);

                // Files changed between preview and up: create refuses.
                fs.writeFileSync(path.join(modelDir, "model.bin"), Buffer.alloc(100_000, 8));
                expect(() => call("create", inputs)).to.throw(/model files changed since preview/);
            } finally {
                client.close();
            }
        });
    });
});
