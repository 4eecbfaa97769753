// Deterministic gzip: DEFLATE "stored" blocks (no compression). zlib's compressed output differs
// between zlib builds and CPU features, so compressed bytes would not be the same on every machine
// and Node version; stored blocks are. Bundles are a few KB of YAML, so nothing is lost.

const CRC_TABLE = (() => {
    const table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
        let c = n;
        for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
        table[n] = c >>> 0;
    }
    return table;
})();

export function crc32(data: Buffer): number {
    let c = 0xffffffff;
    for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
}

const MAX_STORED_BLOCK = 0xffff;

export function gzipStored(data: Buffer): Buffer {
    // Header: magic, CM=deflate, no flags, MTIME=0, XFL=0, OS=255 (unknown): nothing host-specific.
    const parts: Buffer[] = [Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff])];
    let offset = 0;
    do {
        const len = Math.min(MAX_STORED_BLOCK, data.length - offset);
        const final = offset + len >= data.length;
        const head = Buffer.alloc(5);
        head[0] = final ? 1 : 0; // BFINAL, BTYPE=00 (stored)
        head.writeUInt16LE(len, 1);
        head.writeUInt16LE(~len & 0xffff, 3);
        parts.push(head, data.subarray(offset, offset + len));
        offset += len;
    } while (offset < data.length);
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(crc32(data), 0);
    trailer.writeUInt32LE(data.length >>> 0, 4);
    parts.push(trailer);
    return Buffer.concat(parts);
}
