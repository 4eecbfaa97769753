import { ResourceValidationPolicy } from "@pulumi/policy";
import { HELM_CHART_TYPES } from "./lib/types";
import { describePolicy, settingsOf } from "./lib/settings";
import { stringOf } from "./lib/values";

/** `1.2.3`, `v0.20.0`, `1.2.3-rc.1+build.5`: one exact SemVer version, optionally `v`-prefixed. */
export const EXACT_CHART_VERSION = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

export interface HelmVersionSettings {
    /** Charts from a local path (`./`, `../`, `/`) are pinned by the Git revision and need no version. */
    allowLocalCharts: boolean;
}
export const helmVersionDefaults: HelmVersionSettings = { allowLocalCharts: true };

export const requireExactHelmChartVersion: ResourceValidationPolicy = {
    name: "require-exact-helm-chart-version",
    description: describePolicy({
        what: "Every Helm chart (kubernetes:helm.sh/v4:Chart, kubernetes:helm.sh/v3:Release) names one exact version: no missing version, no range (^, ~, >, <, *, x, ||).",
        why: "A missing version or a range installs whatever the repository serves on the day of the update, so two updates of the same commit can differ.",
        fix: "Set `version` to an exact release, e.g. 3.9.0 or v0.20.0 (the stack config's platform.*.chart.version).",
    }),
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: {
        properties: {
            allowLocalCharts: {
                type: "boolean",
                default: true,
                description: "Charts referenced by a local path need no version (the Git revision pins them).",
            },
        },
    },
    validateResource: (args, reportViolation) => {
        if (!HELM_CHART_TYPES.includes(args.type)) {
            return;
        }
        const settings = settingsOf(args, helmVersionDefaults);
        const chart = typeof args.props.chart === "string" ? args.props.chart : "(no chart)";
        const isLocal = /^(\.{1,2}\/|\/)/.test(chart);
        if (isLocal && settings.allowLocalCharts) {
            return;
        }
        const version: unknown = args.props.version;
        if (version === undefined || version === null || version === "") {
            reportViolation(`Helm chart ${args.name} ("${chart}") has no version; set an exact version.`);
        } else if (typeof version !== "string" || !EXACT_CHART_VERSION.test(version.trim())) {
            reportViolation(
                `Helm chart ${args.name} ("${chart}") has version "${stringOf(version)}", which is not one exact version; ` + "set an exact SemVer version such as 3.9.0.",
            );
        }
    },
};
