// cert-manager: KServe's chart creates an Issuer and a Certificate for its webhooks (cert-manager >= 1.15).
import type { PlatformConfig } from "../config/schema";
import { deepMerge, Values } from "./charts";

/** cert-manager ≥1.15 installs its CRDs from the chart with `crds.enabled`; `crds.keep` survives an uninstall. */
export function certManagerChartValues(platform: PlatformConfig): Values {
    return deepMerge({ crds: { enabled: true, keep: true } }, platform.certManager.values);
}
