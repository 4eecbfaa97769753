// The report writer: engine events in, Markdown / JSON / SARIF out. Pure; scripts/audit.ts does the I/O.
import { policies } from "../policies";
import { PolicyCatalogEntry } from "./results";

export * from "./events";
export * from "./results";
export * from "./render";
export * from "./supply-chain";
export * from "./promotions";

/** The pack's policies as the report describes them. */
export function policyCatalog(): PolicyCatalogEntry[] {
    return policies.map((p) => ({
        name: p.name,
        description: p.description,
        severity: p.severity,
        enforcementLevel: p.enforcementLevel,
        scope: "validateStack" in p ? "stack" : "resource",
    }));
}
