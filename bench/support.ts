// The bench reuses the integration-test registry harness.
import { spawnSync } from "child_process";
import * as fs from "fs";
export { startRegistry, seedBusyboxBase } from "../test/support/registry";

export function requireToolOrExit(tool: string): void {
    const found = tool.startsWith("/") ? fs.existsSync(tool) : spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;
    if (!found) {
        console.error(`bench needs ${tool} (apt-get install docker-registry skopeo busybox-static curl)`);
        process.exit(2);
    }
}
