// Reading a tar archive in tests: the regular files by name (what a pulled bundle layer holds).

/** The regular files of a tar archive, by name. */
export function untar(tar: Buffer): Record<string, string> {
    const files: Record<string, string> = {};
    for (let off = 0; off + 512 <= tar.length;) {
        const header = tar.subarray(off, off + 512);
        if (header.every((b) => b === 0)) break;
        const name = header.subarray(0, 100).toString().replace(/\0.*$/s, "");
        const size = parseInt(header.subarray(124, 136).toString().replace(/\0.*$/s, "").trim(), 8);
        const type = String.fromCharCode(header[156]);
        if (type === "0" || type === "\0") files[name] = tar.subarray(off + 512, off + 512 + size).toString("utf8");
        off += 512 + Math.ceil(size / 512) * 512;
    }
    return files;
}

/** The regular files under `dir/` of a tar archive, by name relative to it; a file elsewhere is an error. */
export function untarUnder(tar: Buffer, dir: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, text] of Object.entries(untar(tar))) {
        if (!name.startsWith(`${dir}/`)) throw new Error(`tar entry ${name} is outside ${dir}/`);
        out[name.slice(dir.length + 1)] = text;
    }
    return out;
}
