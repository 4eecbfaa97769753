// Image references (`[registry/]repository[:tag][@digest]`), parsed and normalised the way the
// Docker CLI and the distribution reference grammar do: Docker Hub is the default registry and its
// one-component names live under `library/`.

export const DOCKER_HUB = "docker.io";
/** Docker Hub's API does not answer on docker.io itself. */
export const DOCKER_HUB_API_HOST = "registry-1.docker.io";

export interface ImageReference {
    /** `host[:port]`, lowercase; `docker.io` for Docker Hub. */
    registry: string;
    /** Path without host, e.g. `library/busybox`. */
    repository: string;
    tag?: string;
    /** `sha256:<64 hex>` */
    digest?: string;
    /** Canonical text form: `registry/repository[:tag][@digest]`. */
    format(): string;
    toString(): string;
}

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([A-Za-z0-9=_-]+)$/;
const HOST_NAME = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?))*$/;
const IPV6_HOST = /^\[[0-9A-Fa-f:.]+\]$/;

/** Builds an ImageReference from parts (validated). */
export function makeImageReference(parts: { registry: string; repository: string; tag?: string; digest?: string }): ImageReference {
    const ref = {
        registry: parts.registry,
        repository: parts.repository,
        ...(parts.tag !== undefined ? { tag: parts.tag } : {}),
        ...(parts.digest !== undefined ? { digest: parts.digest } : {}),
    } as ImageReference;
    const text = `${ref.registry}/${ref.repository}${ref.tag ? ":" + ref.tag : ""}${ref.digest ? "@" + ref.digest : ""}`;
    Object.defineProperty(ref, "format", { value: () => text, enumerable: false });
    Object.defineProperty(ref, "toString", { value: () => text, enumerable: false });
    return ref;
}

/**
 * Parses an image reference. `busybox` → `docker.io/library/busybox:latest`; a reference with a
 * digest and no tag keeps no tag. Throws with a message naming what is wrong and the expected form.
 */
export function parseImageReference(ref: string): ImageReference {
    const fail = (why: string): never => {
        throw new Error(`invalid image reference "${ref}": ${why} (expected [host[:port]/]repository[:tag][@sha256:<64 hex>], e.g. 127.0.0.1:5000/library/busybox@sha256:…)`);
    };
    if (typeof ref !== "string" || ref.trim() === "") return fail("it is empty");
    if (ref !== ref.trim() || /\s/.test(ref)) return fail("it contains whitespace");
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(ref)) return fail("remove the URL scheme (oci://, https://)");

    let rest = ref;
    let digest: string | undefined;
    const at = rest.indexOf("@");
    if (at >= 0) {
        digest = rest.slice(at + 1);
        rest = rest.slice(0, at);
        const m = DIGEST.exec(digest);
        if (!m) return fail(`digest "${digest}" is not algorithm:hex`);
        if (m[1] === "sha256" && !/^[a-f0-9]{64}$/.test(m[2])) return fail(`sha256 digest must be 64 lowercase hex digits, got "${m[2]}"`);
        if (m[1] === "sha512" && !/^[a-f0-9]{128}$/.test(m[2])) return fail(`sha512 digest must be 128 lowercase hex digits`);
        if (m[1] !== "sha256" && m[1] !== "sha512") return fail(`unsupported digest algorithm "${m[1]}" (use sha256)`);
    }

    // The first component is a registry host when it looks like one: has a dot or port, is localhost, or is [ipv6].
    let registry = DOCKER_HUB;
    const slash = rest.indexOf("/");
    if (slash >= 0) {
        const first = rest.slice(0, slash);
        if (first.includes(".") || first.includes(":") || first === "localhost" || first.startsWith("[")) {
            registry = normaliseHost(first, fail);
            rest = rest.slice(slash + 1);
        }
    }

    let tag: string | undefined;
    const colon = rest.lastIndexOf(":");
    if (colon >= 0) {
        tag = rest.slice(colon + 1);
        rest = rest.slice(0, colon);
        if (!TAG.test(tag)) return fail(`tag "${tag}" must be 1-128 characters of [A-Za-z0-9_.-], not starting with . or -`);
    }

    let repository = rest;
    if (repository === "") return fail("the repository name is empty");
    for (const component of repository.split("/")) {
        if (component === "") return fail(`repository "${repository}" has an empty path component`);
        if (!PATH_COMPONENT.test(component)) {
            return fail(`repository path component "${component}" must be lowercase letters and digits separated by ., _, __ or -`);
        }
    }
    if (registry === DOCKER_HUB && !repository.includes("/")) repository = `library/${repository}`;
    if (repository.length > 255) return fail("the repository name is longer than 255 characters");
    if (tag === undefined && digest === undefined) tag = "latest";
    return makeImageReference({ registry, repository, tag, digest });
}

function normaliseHost(host: string, fail: (why: string) => never): string {
    let name: string;
    let port: string | undefined;
    if (host.startsWith("[")) {
        const close = host.indexOf("]");
        if (close < 0) return fail(`registry host "${host}" has an unclosed [`);
        name = host.slice(0, close + 1);
        const after = host.slice(close + 1);
        if (after !== "") {
            if (!after.startsWith(":")) return fail(`registry host "${host}" is malformed`);
            port = after.slice(1);
        }
        if (!IPV6_HOST.test(name)) return fail(`registry host "${host}" is not a valid IPv6 literal`);
    } else {
        const parts = host.split(":");
        if (parts.length > 2) return fail(`registry host "${host}" has more than one ':'`);
        name = parts[0];
        port = parts[1];
        if (!HOST_NAME.test(name)) return fail(`registry host "${name}" is not a valid host name`);
    }
    if (port !== undefined) {
        if (!/^[0-9]{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) return fail(`registry port "${port}" must be a number from 1 to 65535`);
    }
    name = name.toLowerCase();
    // Docker Hub aliases collapse to one canonical name so credentials and comparisons line up.
    if (name === "index.docker.io" || name === "registry-1.docker.io") name = DOCKER_HUB;
    return port !== undefined ? `${name}:${port}` : name;
}

/** The host to send API requests to (Docker Hub's API lives elsewhere). */
/** The `sha256:…` of a digest reference (`host/repo@sha256:…`); throws on a reference without one. */
export function digestOfReference(reference: string): string {
    const at = reference.lastIndexOf("@");
    if (at < 0) throw new Error(`"${reference}" is not a digest reference (host/repo@sha256:…)`);
    return reference.slice(at + 1);
}

export function apiHost(registry: string): string {
    return registry === DOCKER_HUB ? DOCKER_HUB_API_HOST : registry;
}

/** True for loopback hosts, where plain HTTP is acceptable without an explicit insecure flag. */
export function isLoopbackHost(registry: string): boolean {
    const name = registry.startsWith("[") ? registry.slice(0, registry.indexOf("]") + 1) : registry.split(":")[0];
    return name === "localhost" || name === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(name);
}
