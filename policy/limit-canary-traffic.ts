import { ResourceValidationPolicy } from "@pulumi/policy";
import { describeObject, kubernetesObjectsOf } from "./lib/kubernetes";
import { describePolicy, settingsOf } from "./lib/settings";
import { field, isArray } from "./lib/values";

export interface CanarySettings {
    minTrafficPercent: number;
    maxTrafficPercent: number;
    /** Allowed canary shares; empty allows every integer between the bounds. */
    allowedSteps: number[];
}
export const canaryDefaults: CanarySettings = { minTrafficPercent: 0, maxTrafficPercent: 50, allowedSteps: [0, 5, 10, 25, 50] };

export const limitCanaryTraffic: ResourceValidationPolicy = {
    name: "limit-canary-traffic",
    description: describePolicy({
        what: "An InferenceService canary's traffic share — spec.predictor.canaryTrafficPercent (Knative mode) or spec.canary[].trafficPercent and their sum (Standard mode) — is an integer within [minTrafficPercent, maxTrafficPercent] and, when allowedSteps is set, one of those steps.",
        why: "A canary exists to limit the blast radius of a new model; a share above the bound or an unplanned jump exposes more traffic than the rollout plan agreed.",
        fix: "Set models[].canary.trafficPercent to an allowed step, promote by removing the canary, or change the bounds in policy/config/<stack>.json.",
    }),
    enforcementLevel: "mandatory",
    severity: "medium",
    configSchema: {
        properties: {
            minTrafficPercent: { type: "integer", minimum: 0, maximum: 100, default: 0 },
            maxTrafficPercent: { type: "integer", minimum: 0, maximum: 100, default: 50 },
            allowedSteps: { type: "array", items: { type: "integer" }, default: [0, 5, 10, 25, 50] },
        },
    },
    validateResource: (args, reportViolation) => {
        const settings = settingsOf(args, canaryDefaults);
        const check = (what: string, path: string, value: unknown) => {
            if (typeof value !== "number" || !Number.isInteger(value)) {
                reportViolation(`${what}: ${path} is ${JSON.stringify(value)}, not an integer percentage.`);
            } else if (value < settings.minTrafficPercent || value > settings.maxTrafficPercent) {
                reportViolation(`${what}: ${path} is ${value}, outside the allowed ${settings.minTrafficPercent}..${settings.maxTrafficPercent}.`);
            } else if (settings.allowedSteps.length > 0 && !settings.allowedSteps.includes(value)) {
                reportViolation(`${what}: ${path} is ${value}, not one of the allowed steps ${settings.allowedSteps.join(", ")}.`);
            }
        };
        for (const located of kubernetesObjectsOf(args.type, args.props)) {
            if (located.kind !== "InferenceService") {
                continue;
            }
            const spec = located.object.spec ?? {};
            const what = describeObject(args.name, located);
            const knative = field(spec, "predictor", "canaryTrafficPercent");
            if (knative !== undefined && knative !== null) {
                check(what, "spec.predictor.canaryTrafficPercent", knative);
            }
            const canary = field(spec, "canary");
            if (isArray(canary)) {
                let total = 0;
                canary.forEach((entry, i) => {
                    const trafficPercent = field(entry, "trafficPercent");
                    check(what, `spec.canary[${i}].trafficPercent`, trafficPercent);
                    total += typeof trafficPercent === "number" ? trafficPercent : 0;
                });
                if (canary.length > 1 && total > settings.maxTrafficPercent) {
                    reportViolation(`${what}: spec.canary[] trafficPercent adds up to ${total}, above ${settings.maxTrafficPercent}.`);
                }
            }
        }
    },
};
