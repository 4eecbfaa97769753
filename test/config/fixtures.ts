// Raw stack configs (as read from Pulumi.<stack>.yaml) that validate; tests change one thing each.
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

export const projectRoot = path.resolve(__dirname, "..", "..");

export const testPublicKeyPem = [
    "-----BEGIN PUBLIC KEY-----",
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEd03fVMsUlCDSRowb5Kj1/lPuBZR2",
    "2RMRuaeknOox3t9leV5y3asHuE2kgrzVzZLWplJNN1uUsPew0fg/KTWMzw==",
    "-----END PUBLIC KEY-----",
].join("\n");

export const busybox = `docker.io/library/busybox@sha256:${"a".repeat(64)}`;

export const noSecrets = { registryPassword: false, signingKeyPassword: false };
export const allSecrets = { registryPassword: true, signingKeyPassword: true };

/** A minimal valid config (everything else defaulted), fresh on every call. */
export function validRaw(): Record<string, any> {
    return {
        registry: { host: "localhost:5000", repositoryPrefix: "modelship", plainHttp: true },
        signing: { key: "env://COSIGN_PRIVATE_KEY", publicKey: testPublicKeyPem },
        models: [
            { name: "iris", version: "v1", modelDir: "models/iris/v1", format: "sklearn", baseImage: busybox },
            { name: "wine", version: "v3", modelDir: "models/wine/v3", format: "xgboost", baseImage: busybox },
        ],
    };
}

/** The `modelship:*` keys of a shipped stack file, without the namespace. */
export function stackFileConfig(stack: "dev" | "prod"): Record<string, any> {
    const doc = parse(fs.readFileSync(path.join(projectRoot, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
    const out: Record<string, any> = {};
    for (const [k, v] of Object.entries(doc.config)) {
        if (k.startsWith("modelship:")) {
            out[k.slice("modelship:".length)] = v;
        }
    }
    return out;
}

/** A shipped stack file's structured config, with a file public key replaced by PEM (as load.ts does). */
export function stackFileRaw(stack: "dev" | "prod"): Record<string, any> {
    const cfg = stackFileConfig(stack);
    const raw: Record<string, any> = { platform: cfg.platform, registry: cfg.registry, signing: { ...cfg.signing }, models: cfg.models };
    if (typeof raw.signing.publicKey === "string" && !raw.signing.publicKey.includes("-----BEGIN")) {
        raw.signing.publicKey = testPublicKeyPem;
    }
    return raw;
}

/**
 * Pulumi.dev.yaml as its header says to run it on a local cluster (kind): the platform pieces on,
 * objects applied to the current context instead of rendered. The platform tests use this.
 */
export function devOnClusterRaw(): Record<string, any> {
    const raw = stackFileRaw("dev");
    for (const piece of ["certManager", "kserve", "knative", "argocd", "kyverno"]) {
        raw.platform[piece] = { ...raw.platform[piece], enabled: true };
    }
    return raw;
}
