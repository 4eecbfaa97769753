// What the OciArtifact provider does in `pulumi up`, in the provider's process (loaded by path from
// oci-artifact.ts; no Pulumi imports): render a bundle's files, hand the recipe to the OCI engine,
// report progress and waits on stderr (the engine shows it under the resource), and turn registry
// errors into messages that name the config path and the fix.
import { formatProgress } from "../oci/progress";
import { ArtifactRecipe, manifestPresent, publishRecipe } from "../oci/recipe";
import { RetryWait } from "../oci/transport";
import { renderManifestFiles } from "./manifest-files";
import { explainRegistryError } from "./registry-hints";

/** The resource's inputs as the provider receives them (secrets unwrapped). */
export interface OciArtifactInputs extends Omit<ArtifactRecipe, "files"> {
    manifests?: Array<Record<string, unknown>>;
    configPath?: string;
}

export function recipeOf(inputs: OciArtifactInputs): ArtifactRecipe {
    const { manifests, configPath: _configPath, ...rest } = inputs;
    return inputs.kind === "manifest-bundle" ? { ...rest, files: renderManifestFiles(manifests ?? []) } : rest;
}

function labelOf(inputs: OciArtifactInputs): string {
    return inputs.configPath ?? `${inputs.registry}/${inputs.repository}`;
}

export function describeWait(w: RetryWait): string {
    return `${w.operation} on ${w.registry}: ${w.reason}; attempt ${w.attempt + 1} of ${w.maxAttempts} in ${(w.waitMs / 1000).toFixed(1)} s`;
}

export async function publishArtifact(inputs: OciArtifactInputs): Promise<{ digest: string; reference: string; bytesUploaded: number; blobsUploaded: number }> {
    const label = labelOf(inputs);
    try {
        const result = await publishRecipe(recipeOf(inputs), {
            label,
            onProgress: (p) => process.stderr.write(`modelship: ${formatProgress(p)}\n`),
            onWait: (w) => process.stderr.write(`modelship: ${label}: ${describeWait(w)}\n`),
        });
        return { digest: result.digest, reference: result.reference, bytesUploaded: result.bytesUploaded, blobsUploaded: result.blobsUploaded };
    } catch (err) {
        throw explainRegistryError(err, { configPath: inputs.configPath });
    }
}

export async function artifactPresent(inputs: OciArtifactInputs): Promise<boolean> {
    return manifestPresent(recipeOf(inputs));
}
