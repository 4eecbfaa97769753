// modelship: config → (models from MLflow resolved) → Platform → one ModelRelease per model → outputs.
// The config is validated in full before anything is declared (loadStackConfig throws listing every
// problem). Models named by `modelSource` are then resolved through MLflow — in preview too, so the
// resolved version and its image digest show there — and the base images are checked readable,
// before any resource is declared: a failure is one message naming the config path.
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "./components/config/load";
import { ModelSourceError, resolveModelSources } from "./components/config/model-sources";
import { baseImageProblems, formatPreflightProblems } from "./components/release/preflight";
import { declareModelship } from "./components/stack";

/** The plain value of a secret config Output (known in preview), for checks made before declaring. */
function secretValue(value: pulumi.Output<string> | undefined): Promise<string | undefined> {
    return value === undefined ? Promise.resolve(undefined) : new Promise((resolve) => value.apply((v) => resolve(v)));
}

const loaded = loadStackConfig();

// The MLflow token in plaintext resolves `models[].modelSource` while the program starts (the
// resolution decides the image digests, so it cannot wait for an Output). It goes only into the
// Authorization header of requests to `mlflow.trackingUri`: never into a resource, an output or a message.
export = secretValue(loaded.secrets.mlflowToken)
    .then((token) => resolveModelSources(loaded.config, { token }))
    .catch((err: unknown) => {
        // A config-shaped message (path and fix), without a stack trace.
        throw err instanceof ModelSourceError ? new pulumi.RunError(err.message) : err;
    })
    .then(async (sources) => {
        const problems = await baseImageProblems(loaded.config, await secretValue(loaded.secrets.registryPassword));
        if (problems.length > 0) throw new pulumi.RunError(formatPreflightProblems(problems));
        const stack = declareModelship({ ...loaded, sources });
        return {
            /**
             * Per model, the provenance record auditors read with `pulumi stack output models --json`:
             * image digests (stable and canary), signature references, bundle digest, Application,
             * canary state, and for models from MLflow the version each alias resolved to.
             */
            models: stack.models,
            /** Where Argo CD runs, the KServe mode, and the Kyverno policy that admits only signed model images. */
            platform: {
                argocdNamespace: stack.platform.argocdNamespace,
                kserveDeploymentMode: stack.platform.kserveDeploymentMode,
                signaturePolicy: stack.platform.signaturePolicyName ?? null,
            },
        };
    });
