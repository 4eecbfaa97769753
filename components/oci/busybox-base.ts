// A modelcar base image built from the distribution's static busybox, for registries that cannot
// pull from Docker Hub (air-gapped, CI, the local dev registry). Reproducible: the same busybox
// binary always gives the same digest, so a stack can pin it.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ComposedArtifact, composedArtifact } from "./artifact";
import { canonicalJson, describeBytes } from "./digest";
import { FIXED_CREATED } from "./image";
import { directoryLayer } from "./layers";
import { OCI_CONFIG, OCI_LAYER_TAR, OCI_MANIFEST } from "./media-types";
import { pushArtifact } from "./push";
import { RegistryConnection } from "./remote";

/** Debian's busybox-static. */
export const DEFAULT_BUSYBOX_BINARY = "/bin/busybox";
/** What KServe's modelcar containers run: `sh -c "ln -sf … && sleep infinity"`, and `ls`/`[` in modelcar-init. */
export const MODELCAR_APPLETS = ["sh", "ln", "sleep", "ls", "["] as const;

export interface BusyboxBaseOptions {
    /** Target registry host, e.g. `localhost:5000`. */
    registry: string;
    /** Repository on that registry; default `library/busybox`. */
    repository?: string;
    connection?: RegistryConnection;
    /** The static busybox binary; default Debian's `/bin/busybox`. */
    busyboxBinary?: string;
    /** Tag pushed after the manifest; default `modelcar-base`. */
    tag?: string;
}

/** The OCI `architecture` of a Node `process.arch`: the image holds this host's busybox binary. */
export function ociArchitecture(nodeArch: string): string {
    const names: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm", ia32: "386", ppc64: "ppc64le", s390x: "s390x", riscv64: "riscv64" };
    const name = names[nodeArch];
    if (!name) throw new Error(`no OCI architecture for this host (${nodeArch}); build the busybox base image on amd64 or arm64`);
    return name;
}

/** Writes the image's root filesystem (busybox + the modelcar applets as symlinks, an empty /tmp) under `dir`. */
function writeRootfs(dir: string, busyboxBinary: string): void {
    fs.mkdirSync(path.join(dir, "bin"), { recursive: true });
    fs.mkdirSync(path.join(dir, "tmp"));
    fs.writeFileSync(path.join(dir, "tmp", ".keep"), "");
    fs.copyFileSync(busyboxBinary, path.join(dir, "bin", "busybox"));
    fs.chmodSync(path.join(dir, "bin", "busybox"), 0o755);
    for (const applet of MODELCAR_APPLETS) fs.symlinkSync("busybox", path.join(dir, "bin", applet));
}

/** Composes the base image from a rootfs already written under `rootfs` (see writeRootfs). */
async function composeBusyboxBase(rootfs: string, registry: string, repository: string, cacheDir: string): Promise<ComposedArtifact> {
    const layer = await directoryLayer(rootfs, { prefix: "", label: "busybox rootfs", cacheDir });
    const config = {
        architecture: ociArchitecture(process.arch),
        os: "linux",
        created: FIXED_CREATED,
        config: { Env: ["PATH=/bin"], Cmd: ["sh"] },
        rootfs: { type: "layers", diff_ids: [layer.digest] },
        history: [{ created: FIXED_CREATED, created_by: "modelship: static busybox with the modelcar applets" }],
    };
    const configBytes = Buffer.from(canonicalJson(config));
    const configDescriptor = describeBytes(OCI_CONFIG, configBytes);
    const layerDescriptor = { mediaType: OCI_LAYER_TAR, digest: layer.digest, size: layer.size };
    return composedArtifact("modelcar-image", registry, repository, { schemaVersion: 2, mediaType: OCI_MANIFEST, config: configDescriptor, layers: [layerDescriptor] }, [
        { descriptor: configDescriptor, origin: { kind: "bytes", bytes: configBytes } },
        { descriptor: layerDescriptor, origin: { kind: "directory", layer, modelDir: rootfs } },
    ]);
}

/** Builds the busybox base image and pushes it; returns the pinned reference `host/repo@sha256:…`. */
export async function publishBusyboxBase(opts: BusyboxBaseOptions): Promise<string> {
    const busyboxBinary = opts.busyboxBinary ?? DEFAULT_BUSYBOX_BINARY;
    if (!fs.existsSync(busyboxBinary)) {
        throw new Error(`${busyboxBinary} not found: install a static busybox (Debian: apt-get install busybox-static) or pass its path`);
    }
    const repository = opts.repository ?? "library/busybox";
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "modelship-busybox-"));
    try {
        const rootfs = path.join(tmp, "rootfs");
        writeRootfs(rootfs, busyboxBinary);
        const cacheDir = path.join(tmp, "cache");
        const artifact = await composeBusyboxBase(rootfs, opts.registry, repository, cacheDir);
        await pushArtifact(artifact, { connection: opts.connection, tag: opts.tag ?? "modelcar-base", cacheDir });
        return artifact.reference;
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}
