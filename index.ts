// modelship: config → Platform → one ModelRelease per model → outputs.
// The config is validated in full before anything is declared (loadStackConfig throws listing every problem).
import { loadStackConfig } from "./components/config/load";
import { declareModelship } from "./components/release/stack";

const stack = declareModelship(loadStackConfig());

/**
 * Per model, the provenance record auditors read with `pulumi stack output models --json`:
 * image digests (stable and canary), signature references, bundle digest, Application, canary state.
 */
export const models = stack.models;
/** Where Argo CD runs, the KServe mode, and the Kyverno policy that admits only signed model images. */
export const platform = {
    argocdNamespace: stack.platform.argocdNamespace,
    kserveDeploymentMode: stack.platform.kserveDeploymentMode,
    signaturePolicy: stack.platform.signaturePolicyName ?? null,
};
