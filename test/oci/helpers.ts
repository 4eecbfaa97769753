// Shared assertions for the oci tests.
import { expect } from "chai";

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

/** The oras binary: on PATH, or where scripts/install-go-tools builds it. */
export function orasBinary(): string {
    const cached = require("path").join(require("os").homedir(), ".cache", "modelship", "bin", "oras");
    return require("fs").existsSync(cached) ? cached : "oras";
}
