// The push resource's inputs as the engine reads them: enough to recompute the artifact from
// scratch in `pulumi up` (in the provider's process) and to refuse when it is not what preview showed.
import { ComposedArtifact } from "./artifact";
import { composeManifestBundle } from "./bundle";
import { composeModelImage } from "./image";
import { PushProgress } from "./progress";
import { pushArtifact, PushResult } from "./push";
import { RegistryClient, RegistryConnection } from "./remote";
import { RetryWait } from "./transport";

export interface ArtifactRecipe {
    kind: "modelcar-image" | "manifest-bundle";
    registry: string;
    repository: string;
    reference: string;
    digest: string;
    tag?: string;
    // modelcar images
    modelDir?: string;
    modelName?: string;
    version?: string;
    baseImage?: string;
    provenance?: Record<string, string>;
    // manifest bundles: file name → text
    files?: Record<string, string>;
    annotations?: Record<string, string>;
    // connection
    username?: string;
    password?: string;
    plainHttp?: boolean;
    insecure?: boolean;
    chunkSize?: number;
    concurrency?: number;
}

export function connectionFromRecipe(recipe: ArtifactRecipe): RegistryConnection {
    return {
        ...(recipe.username ? { username: recipe.username, password: recipe.password } : {}),
        plainHttp: recipe.plainHttp ?? false,
        insecure: recipe.insecure ?? false,
        ...(recipe.chunkSize ? { chunkSize: recipe.chunkSize } : {}),
        ...(recipe.concurrency ? { concurrency: recipe.concurrency } : {}),
    };
}

/** Recomputes the artifact from its recipe; fails clearly when the result is not the previewed digest. */
export async function recomposeFromRecipe(recipe: ArtifactRecipe, cacheDir?: string): Promise<ComposedArtifact> {
    const connection = connectionFromRecipe(recipe);
    if (recipe.kind === "modelcar-image") {
        const artifact = await composeModelImage({
            modelDir: required(recipe.modelDir, "modelDir"),
            modelName: required(recipe.modelName, "modelName"),
            version: required(recipe.version, "version"),
            baseImage: required(recipe.baseImage, "baseImage"),
            registry: recipe.registry,
            repository: recipe.repository,
            connection,
            provenance: recipe.provenance,
            annotations: recipe.annotations,
            cacheDir,
        });
        if (artifact.digest !== recipe.digest) {
            throw new Error(
                `model files changed since preview: ${recipe.modelDir} now gives ${artifact.digest}, but the plan was computed for ${recipe.digest}; ` +
                    `nothing was pushed; run pulumi up again to push the new digest`,
            );
        }
        return artifact;
    }
    if (recipe.kind === "manifest-bundle") {
        const artifact = await composeManifestBundle({
            files: required(recipe.files, "files"),
            registry: recipe.registry,
            repository: recipe.repository,
            annotations: recipe.annotations,
        });
        if (artifact.digest !== recipe.digest) {
            throw new Error(`manifest bundle changed since preview: it now gives ${artifact.digest}, not ${recipe.digest}; run pulumi up again`);
        }
        return artifact;
    }
    throw new Error(`kind must be "modelcar-image" or "manifest-bundle", got "${(recipe as { kind: string }).kind}"`);
}

export interface PublishOptions {
    onProgress?: (p: PushProgress) => void;
    onWait?: (w: RetryWait) => void;
    cacheDir?: string;
    /** Names the push in progress lines. */
    label?: string;
    /** Progress lines at most this often (default 5 s). */
    progressIntervalMs?: number;
    /** Retry tuning etc. on top of the recipe's connection. */
    connection?: Partial<RegistryConnection>;
}

export async function publishRecipe(recipe: ArtifactRecipe, opts: PublishOptions = {}): Promise<PushResult> {
    const artifact = await recomposeFromRecipe(recipe, opts.cacheDir);
    return pushArtifact(artifact, {
        connection: { ...connectionFromRecipe(recipe), ...(opts.onWait ? { onWait: opts.onWait } : {}), ...opts.connection },
        tag: recipe.tag,
        label: opts.label,
        onProgress: opts.onProgress,
        progressIntervalMs: opts.progressIntervalMs,
        cacheDir: opts.cacheDir,
    });
}

/** Whether the registry still has the manifest (a deleted one is restored by the next up). */
export async function manifestPresent(recipe: ArtifactRecipe): Promise<boolean> {
    const client = new RegistryClient(recipe.registry, { ...connectionFromRecipe(recipe), maxRetries: 1 });
    try {
        return await client.manifestExists(recipe.repository, recipe.digest);
    } finally {
        client.close();
    }
}

function required<T>(value: T | undefined, field: string): T {
    if (value === undefined || value === null || (value as unknown) === "") throw new Error(`OciArtifact input "${field}" is required for this kind`);
    return value;
}
