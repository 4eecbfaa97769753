// Checks made before anything is declared, so a failure is one message that names the config path,
// not an error repeated by every resource that consumes a digest: each model's base image must be
// readable in its registry (composing the image at preview reads its manifest and config). What
// is read is cached on disk, so the compose that follows reads nothing again.
import type { StackConfig } from "../config/schema";
import { fetchBaseImage } from "../oci/base-image";
import { defaultCacheDir } from "../oci/disk-cache";
import { parseImageReference } from "../oci/reference";
import { registryConnection } from "./registry-connection";
import { explainRegistryError } from "./registry-hints";

/** One problem per base image that cannot be read, each naming the model's config path and the fix. */
export async function baseImageProblems(config: StackConfig, registryPassword?: string, cacheDir = defaultCacheDir()): Promise<string[]> {
    const problems: string[] = [];
    const checked = new Map<string, string | undefined>();
    for (const [index, model] of config.models.entries()) {
        if (model.builder === "docker") continue; // the docker builder pulls the base itself, at up
        const path = `models[${index}].baseImage`;
        if (!checked.has(model.baseImage)) {
            const ref = parseImageReference(model.baseImage);
            const sameRegistry = ref.registry === parseImageReference(`${config.registry.host}/x`).registry;
            // The stack's registry settings apply to base images in that registry only.
            const connection = {
                ...(sameRegistry ? registryConnection(config.registry, registryPassword) : { plainHttp: false, insecure: false }),
                maxRetries: 2,
                operationTimeoutMs: 30_000,
            };
            const failure = await fetchBaseImage({ registry: ref.registry, repository: ref.repository, digest: ref.digest! }, connection, cacheDir, {
                os: "linux",
                architecture: "amd64",
            }).then(
                () => undefined,
                (err: unknown) => explainRegistryError(err).message,
            );
            checked.set(model.baseImage, failure);
        }
        const failure = checked.get(model.baseImage);
        if (failure) problems.push(`${path} (${model.name}): ${failure}`);
    }
    return problems;
}

export function formatPreflightProblems(problems: readonly string[]): string {
    return [`modelship: ${problems.length} base image${problems.length === 1 ? "" : "s"} cannot be read; nothing was created:`, ...problems.map((p) => `  - ${p}`)].join("\n");
}
