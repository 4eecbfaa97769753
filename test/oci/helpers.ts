// Shared assertions for the oci tests.
import { expect } from "chai";

/** Awaits a promise that must reject with a message matching `message`. */
export async function expectRejection(p: Promise<unknown>, message: RegExp): Promise<void> {
    let error: Error | undefined;
    try {
        await p;
    } catch (err) {
        error = err as Error;
    }
    expect(error, `expected a rejection matching ${message}`).to.be.instanceOf(Error);
    expect(error!.message).to.match(message);
}
