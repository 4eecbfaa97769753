// KServe v0.17+ ships three OCI charts: kserve-crd, kserve-resources (the controller and the
// inferenceservice-config ConfigMap) and kserve-runtime-configs (ClusterServingRuntimes).
import type { PlatformConfig } from "../config/schema";
import { ChartSource, chartSource, deepMerge, Values } from "./charts";

export type KserveChartName = "kserve-crd" | "kserve-resources" | "kserve-runtime-configs";

export function kserveChartSource(platform: PlatformConfig, name: KserveChartName): ChartSource {
    const k = platform.kserve;
    return chartSource({ repository: k.chartRepository, name, version: k.version });
}

/**
 * Values of `kserve-resources`. Modelcars are set explicitly (the website still says "off by
 * default"; the chart default changed in v0.15.2): `enableModelcar`, `uidModelcar`, and the
 * sidecar's cpu/memory from config. The deployment mode is the controller's default for
 * InferenceServices without the annotation. With Kourier instead of Istio, KServe must not write
 * Istio VirtualServices. The user's `platform.kserve.values` are merged last.
 */
export function kserveChartValues(platform: PlatformConfig): Values {
    const k = platform.kserve;
    const ours: Values = {
        kserve: {
            storage: {
                enableModelcar: true,
                uidModelcar: k.modelcar.uid,
                cpuModelcar: k.modelcar.cpu,
                memoryModelcar: k.modelcar.memory,
            },
            controller: {
                deploymentMode: k.deploymentMode,
                ...(k.deploymentMode === "Knative" && platform.knative.networking === "kourier" ? { gateway: { disableIstioVirtualHost: true } } : {}),
            },
        },
    };
    const { runtimeConfigs: _runtimeConfigs, ...resourcesValues } = k.values;
    return deepMerge(ours, resourcesValues);
}

/** Values of `kserve-runtime-configs`: its ClusterServingRuntimes are off by default; turn them on. */
export function kserveRuntimeConfigsValues(platform: PlatformConfig): Values {
    return deepMerge({ kserve: { servingruntime: { enabled: true } } }, pick(platform.kserve.values, "runtimeConfigs"));
}

/** `platform.kserve.values.runtimeConfigs` is passed to kserve-runtime-configs (and not to kserve-resources). */
function pick(values: Values, key: string): Values {
    const v = values[key];
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Values) : {};
}
