// Helpers every layer may use: generic, no knowledge of modelship, importing nothing of ours.

/** The whole of a readable stream (an HTTP response body), as one Buffer; rejects when the stream fails. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
}
