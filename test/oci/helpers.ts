// Shared assertions for the oci tests.
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** Awaits a promise that must reject with a message matching `message`; returns the error. */
export async function expectRejection(p: Promise<unknown>, message: RegExp): Promise<Error> {
    let error: Error | undefined;
    try {
        await p;
    } catch (err) {
        error = err as Error;
    }
    expect(error, `expected a rejection matching ${message}`).to.be.instanceOf(Error);
    expect(error!.message).to.match(message);
    return error!;
}

/** A Go tool scripts/install-go-tools builds: from its cache, else PATH. */
function goTool(name: string): string {
    const cached = path.join(process.env.MODELSHIP_CACHE ?? path.join(os.homedir(), ".cache", "modelship"), "bin", name);
    return fs.existsSync(cached) ? cached : name;
}

export const orasBinary = (): string => goTool("oras");
export const craneBinary = (): string => goTool("crane");
