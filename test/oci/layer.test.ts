import { expect } from "chai";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { gunzipSync } from "zlib";
import { directoryLayer } from "../../components/oci/layers";
import { planTar, streamTar, walkDirectory } from "../../components/oci/tar";
import { gzipStored } from "../../components/oci/gzip";
import { expectRejection } from "./helpers";

async function tarBytes(dir: string, prefix = "models"): Promise<Buffer> {
    const plan = planTar(await walkDirectory(dir, { prefix }));
    const parts: Buffer[] = [];
    for await (const c of streamTar(plan)) parts.push(c);
    const all = Buffer.concat(parts);
    expect(all.length).to.equal(plan.size);
    return all;
}

describe("oci: reproducible layers", () => {
    let tmp: string;
    let cacheDir: string;
    beforeEach(() => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "modelship-layer-"));
        cacheDir = path.join(tmp, "cache");
    });
    afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

    function makeModel(name: string): string {
        const dir = path.join(tmp, name);
        fs.mkdirSync(path.join(dir, "sub", "deeper"), { recursive: true });
        fs.writeFileSync(path.join(dir, "model.bin"), Buffer.alloc(1000, 7));
        fs.writeFileSync(path.join(dir, "sub", "config.json"), '{"a":1}');
        fs.writeFileSync(path.join(dir, "sub", "deeper", "x".repeat(120) + ".txt"), "long name");
        fs.writeFileSync(path.join(dir, "sub", "ünïcode.txt"), "utf8");
        fs.symlinkSync("sub/config.json", path.join(dir, "config-link.json"));
        return dir;
    }

    it("writes a tar GNU tar reads back, sorted, with fixed owners, times and modes", async () => {
        const dir = makeModel("m");
        const file = path.join(tmp, "layer.tar");
        fs.writeFileSync(file, await tarBytes(dir));
        const listing = execFileSync("tar", ["--numeric-owner", "--full-time", "-tvf", file], { encoding: "utf8" }).trim().split("\n");
        const names = execFileSync("tar", ["-tf", file], { encoding: "utf8" }).trim().split("\n");
        expect(names).to.deep.equal([
            "models/",
            "models/config-link.json",
            "models/model.bin",
            "models/sub/",
            "models/sub/config.json",
            "models/sub/deeper/",
            `models/sub/deeper/${"x".repeat(120)}.txt`,
            "models/sub/ünïcode.txt",
        ]);
        for (const line of listing) {
            expect(line).to.match(/ 0\/0 /);
            expect(line).to.include("1970-01-01 00:00:00");
        }
        expect(listing[0]).to.match(/^drwxr-xr-x/);
        expect(listing[1]).to.match(/^lrwxrwxrwx.*-> sub\/config.json$/);
        expect(listing[2]).to.match(/^-rw-r--r--/);
        const out = path.join(tmp, "out");
        fs.mkdirSync(out);
        execFileSync("tar", ["-xf", file, "-C", out]);
        expect(fs.readFileSync(path.join(out, "models", "sub", "deeper", "x".repeat(120) + ".txt"), "utf8")).to.equal("long name");
    });

    it("gives the same digest for the same tree regardless of mtimes, permissions and location", async () => {
        const a = makeModel("a");
        const b = makeModel("b");
        fs.utimesSync(path.join(b, "model.bin"), new Date(2001, 1, 1), new Date(2001, 1, 1));
        fs.chmodSync(path.join(b, "sub", "config.json"), 0o600);
        const la = await directoryLayer(a, { prefix: "models", cacheDir });
        const lb = await directoryLayer(b, { prefix: "models", cacheDir });
        expect(la.digest).to.match(/^sha256:[a-f0-9]{64}$/);
        expect(lb.digest).to.equal(la.digest);
    });

    it("changes the digest when one byte changes, and the stat cache notices", async () => {
        const dir = makeModel("m");
        const first = await directoryLayer(dir, { prefix: "models", cacheDir });
        expect(first.fromCache).to.equal(false);
        const again = await directoryLayer(dir, { prefix: "models", cacheDir });
        expect(again.fromCache).to.equal(true);
        expect(again.digest).to.equal(first.digest);
        const buf = fs.readFileSync(path.join(dir, "model.bin"));
        buf[500] ^= 1;
        fs.writeFileSync(path.join(dir, "model.bin"), buf);
        const changed = await directoryLayer(dir, { prefix: "models", cacheDir });
        expect(changed.fromCache).to.equal(false);
        expect(changed.digest).to.not.equal(first.digest);
    });

    it("refuses symlinks leaving the directory, naming the path", async () => {
        const dir = makeModel("m");
        fs.symlinkSync("../../etc/passwd", path.join(dir, "sub", "escape"));
        await expectRejection(walkDirectory(dir, { prefix: "models", label: "model directory" }), /symlink .*sub\/escape -> \.\.\/\.\.\/etc\/passwd points outside/);
        fs.unlinkSync(path.join(dir, "sub", "escape"));
        fs.symlinkSync("/etc/passwd", path.join(dir, "abs"));
        await expectRejection(walkDirectory(dir, { prefix: "models" }), /symlink .*abs -> \/etc\/passwd points outside/);
    });

    it("refuses a symlink that stays inside lexically but resolves outside through another link", async () => {
        const dir = makeModel("m");
        // sub/up -> .. is the model root; "sub/up/../.." reads as the root lexically, but resolves to its parent.
        fs.symlinkSync("..", path.join(dir, "sub", "up"));
        fs.symlinkSync("sub/up/../..", path.join(dir, "parent"));
        await expectRejection(walkDirectory(dir, { prefix: "models" }), /symlink .*parent -> sub\/up\/\.\.\/\.\. points outside/);
    });

    it("refuses sockets, FIFOs and devices, naming the path", async () => {
        const dir = makeModel("m");
        const sock = path.join(dir, "s.sock");
        const server = net.createServer().listen(sock);
        await new Promise((r) => server.once("listening", r));
        try {
            await expectRejection(walkDirectory(dir, { prefix: "models" }), /s\.sock is a socket; .*remove it/);
        } finally {
            server.close();
        }
        fs.rmSync(sock, { force: true });
        execFileSync("mkfifo", [path.join(dir, "pipe")]);
        await expectRejection(walkDirectory(dir, { prefix: "models" }), /pipe is a FIFO/);
        fs.rmSync(path.join(dir, "pipe"));
        fs.symlinkSync("/dev/null", path.join(dir, "null"));
        await expectRejection(walkDirectory(dir, { prefix: "models" }), /null -> \/dev\/null points outside/);
    });

    it("refuses an empty model directory and one holding only directories", async () => {
        const dir = path.join(tmp, "empty");
        fs.mkdirSync(path.join(dir, "only-dirs"), { recursive: true });
        await expectRejection(walkDirectory(dir, { prefix: "models", label: "model directory" }), /model directory .*empty holds no files/);
    });

    it("refuses a relative model directory", async () => {
        await expectRejection(walkDirectory("relative/dir", { prefix: "models", label: "model directory" }), /must be an absolute path/);
    });

    it("refuses unreadable files (as root, checked in a child process running as nobody: root reads everything)", async function () {
        const dir = makeModel("m");
        fs.chmodSync(path.join(dir, "model.bin"), 0o000);
        if (!process.getuid || process.getuid() !== 0) {
            await expectRejection(walkDirectory(dir, { prefix: "models" }), /model\.bin is not readable/);
            return;
        }
        // The same walk as an unprivileged user (65534, nobody): the tree must be reachable by it.
        fs.chmodSync(tmp, 0o755);
        fs.chmodSync(dir, 0o755);
        const script = [
            `require(${JSON.stringify(path.resolve(__dirname, "../../components/oci/tar"))})`,
            `.walkDirectory(${JSON.stringify(dir)}, { prefix: "models" })`,
            `.then(() => { console.log("accepted"); process.exit(0); }, (e) => { console.log(e.message); process.exit(3); });`,
        ].join("");
        const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], {
            uid: 65534,
            gid: 65534,
            cwd: path.resolve(__dirname, "../.."),
            env: { PATH: process.env.PATH, HOME: "/tmp", TS_NODE_COMPILER_OPTIONS: "{}" },
            encoding: "utf8",
            timeout: 60_000,
        });
        expect(r.stdout, r.stderr).to.match(/model\.bin is not readable/);
        expect(r.status).to.equal(3);
    });

    it("fails the stream when a file changes size after planning", async () => {
        const dir = makeModel("m");
        const plan = planTar(await walkDirectory(dir, { prefix: "models" }));
        fs.appendFileSync(path.join(dir, "model.bin"), "more");
        const consume = async () => {
            for await (const _ of streamTar(plan)) void _;
        };
        await expectRejection(consume(), /model\.bin changed while being read/);
    });

    it("writes gzip that zlib inflates back, identical for identical input", () => {
        const data = Buffer.alloc(200_000, 3);
        data.write("hello", 70_000);
        const gz = gzipStored(data);
        expect(gunzipSync(gz).equals(data)).to.equal(true);
        expect(gzipStored(data).equals(gz)).to.equal(true);
        expect(gunzipSync(gzipStored(Buffer.alloc(0))).length).to.equal(0);
    });
});
