// A cosign key pair for tests: `cosign generate-key-pair` in `dir`, the private key encrypted with `password`.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

export function generateKeyPair(dir: string, password: string): { key: string; pub: string; pem: string } {
    fs.mkdirSync(dir, { recursive: true });
    const r = spawnSync("cosign", ["generate-key-pair"], { cwd: dir, env: { PATH: process.env.PATH!, HOME: dir, COSIGN_PASSWORD: password }, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`cosign generate-key-pair: ${r.stderr}`);
    const pub = path.join(dir, "cosign.pub");
    return { key: path.join(dir, "cosign.key"), pub, pem: fs.readFileSync(pub, "utf8") };
}
