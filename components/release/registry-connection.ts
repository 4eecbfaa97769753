// The stack's `registry` settings as the OCI engine and the push resource take them: one mapping,
// used by every piece that talks to the registry (model images, manifest bundles, the preflight).
import type * as pulumi from "@pulumi/pulumi";
import type { RegistryConfig } from "../config/schema";
import type { RegistryConnection } from "../oci";
import { DEFAULT_CONCURRENCY } from "../oci/remote";

/** How the program itself connects (composing, reading base images); credentials only when both the username and the (plaintext) password are set. */
export function registryConnection(registry: RegistryConfig, password?: string): RegistryConnection {
    return {
        ...(registry.username && password ? { username: registry.username, password } : {}),
        plainHttp: registry.plainHttp,
        insecure: registry.insecure,
    };
}

export interface PushConnectionInputs {
    username?: string;
    password?: pulumi.Input<string>;
    plainHttp: boolean;
    insecure: boolean;
    concurrency?: number;
    chunkSize?: number;
}

/**
 * The connection inputs of an OciArtifact push: credentials (the password stays an Input, so a
 * secret stays secret), transport, and the upload settings, the latter absent when default so
 * stacks written before they existed see no diff.
 */
export function pushConnectionInputs(registry: RegistryConfig, password?: pulumi.Input<string>): PushConnectionInputs {
    return {
        ...(registry.username ? { username: registry.username, password } : {}),
        plainHttp: registry.plainHttp,
        insecure: registry.insecure,
        ...(registry.concurrency !== undefined && registry.concurrency !== DEFAULT_CONCURRENCY ? { concurrency: registry.concurrency } : {}),
        ...(registry.chunkSizeMiB ? { chunkSize: registry.chunkSizeMiB * 1024 * 1024 } : {}),
    };
}
