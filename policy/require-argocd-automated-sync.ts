import { ResourceValidationPolicy } from "@pulumi/policy";
import { describeObject, kubernetesObjectsOf } from "./lib/kubernetes";
import { describePolicy, settingsOf } from "./lib/settings";
import { field, isRecord } from "./lib/values";

export interface AutomatedSyncSettings {
    requirePrune: boolean;
    requireSelfHeal: boolean;
}
export const automatedSyncDefaults: AutomatedSyncSettings = { requirePrune: true, requireSelfHeal: true };

export const requireArgocdAutomatedSync: ResourceValidationPolicy = {
    name: "require-argocd-automated-sync",
    description: describePolicy({
        what: "Every Argo CD Application uses automated sync (spec.syncPolicy.automated, not disabled) with prune and selfHeal true.",
        why: "Without automated sync the cluster does not follow the pinned bundle; without prune removed objects linger; without selfHeal manual drift stays. Advisory by default.",
        fix: "Set spec.syncPolicy.automated to {prune: true, selfHeal: true} (modelship's Application does), or relax requirePrune/requireSelfHeal for the stack.",
    }),
    enforcementLevel: "advisory",
    severity: "low",
    configSchema: {
        properties: {
            requirePrune: { type: "boolean", default: true },
            requireSelfHeal: { type: "boolean", default: true },
        },
    },
    validateResource: (args, reportViolation) => {
        const settings = settingsOf(args, automatedSyncDefaults);
        for (const located of kubernetesObjectsOf(args.type, args.props)) {
            if (located.kind !== "Application") {
                continue;
            }
            const what = describeObject(args.name, located);
            const automated = field(located.object.spec, "syncPolicy", "automated");
            if (!isRecord(automated) || automated.enabled === false) {
                reportViolation(`${what} has no automated sync (spec.syncPolicy.automated is ${JSON.stringify(automated ?? null)}).`);
                continue;
            }
            if (settings.requirePrune && automated.prune !== true) {
                reportViolation(`${what}: spec.syncPolicy.automated.prune is ${JSON.stringify(automated.prune ?? null)}, expected true.`);
            }
            if (settings.requireSelfHeal && automated.selfHeal !== true) {
                reportViolation(`${what}: spec.syncPolicy.automated.selfHeal is ${JSON.stringify(automated.selfHeal ?? null)}, expected true.`);
            }
        }
    },
};
