// The checks index.ts makes before declaring anything: every model's base image readable in its
// registry, else one message per model naming its config path, what the registry said and the fix.
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { baseImageProblems, formatPreflightProblems } from "../../components/release/preflight";
import { LocalRegistry, requireTool, seedBusyboxBase, startRegistry } from "../support/registry";
import { stackConfig } from "../release/support";

describe("integration: preflight of the base images (before anything is declared)", function () {
    this.timeout(60_000);
    let registry: LocalRegistry;
    let baseImage: string;
    let cacheDir: string;

    before(async function () {
        requireTool(this, "/usr/bin/docker-registry");
        registry = await startRegistry();
        baseImage = await seedBusyboxBase(registry.host);
        cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "modelship-preflight-"));
    });
    after(async () => {
        await registry?.stop();
        if (cacheDir) fs.rmSync(cacheDir, { recursive: true, force: true });
    });

    const configWith = (bases: string[]) => {
        const dev = stackConfig("dev");
        return { ...dev, registry: { ...dev.registry, host: registry.host }, models: bases.map((b, i) => ({ ...dev.models[0], name: `m${i}`, baseImage: b })) };
    };

    it("a readable base image: no problem", async () => {
        expect(await baseImageProblems(configWith([baseImage]), undefined, cacheDir)).to.deep.equal([]);
    });

    it("a base image the registry does not have: one problem per model, naming its config path and the fix", async () => {
        const missing = baseImage.replace(/@sha256:.*/, `@sha256:${"0".repeat(64)}`);
        const problems = await baseImageProblems(configWith([baseImage, missing, missing]), undefined, cacheDir);
        expect(problems).to.deep.equal([
            `models[1].baseImage (m1): base image ${missing} not found; it must exist in the registry, pinned by digest`,
            `models[2].baseImage (m2): base image ${missing} not found; it must exist in the registry, pinned by digest`,
        ]);
        expect(formatPreflightProblems(problems).split("\n")[0]).to.equal("modelship: 2 base images cannot be read; nothing was created:");
    });

    it("a registry that is down: the problem says so, with the fix in the stack's terms", async () => {
        const down = `127.0.0.1:1/library/busybox@sha256:${"1".repeat(64)}`;
        const dev = stackConfig("dev");
        const config = { ...dev, registry: { ...dev.registry, host: "127.0.0.1:1" }, models: [{ ...dev.models[0], baseImage: down }] };
        const [problem] = await baseImageProblems(config, undefined, cacheDir);
        expect(problem).to.match(
            /^models\[0\]\.baseImage \(iris\): GET of manifest sha256:1{64} on 127\.0\.0\.1:1\/library\/busybox: registry unreachable \(ECONNREFUSED\).*; check that 127\.0\.0\.1:1 \(modelship:registry\.host\) is running and reachable/,
        );
    });
});
