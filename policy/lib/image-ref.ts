// Parsing of container image references and `oci://` URIs, and the glob matching Kyverno and the
// allowed-registries setting use. Pure and allocation-light: the policies run over every resource.
// Deliberately not components/oci/reference.ts: that parser validates and throws, while a policy
// must classify whatever a resource holds (an invalid or uppercase reference is still judged, and
// a missing tag stays visible as missing rather than becoming `latest`).

/** A complete sha256 digest: `sha256:` and 64 lowercase hex digits. */
export const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;

export interface ImageRef {
    /** The reference as written (after an `oci://` scheme is stripped). */
    readonly original: string;
    /** Registry host (`ghcr.io`, `localhost:5000`); `docker.io` when the reference names none. */
    readonly registry: string;
    /** Repository path without the host (`library/busybox` for a bare `busybox`). */
    readonly repository: string;
    readonly tag?: string;
    /** Whatever follows `@`, valid or not; see `hasValidDigest`. */
    readonly digest?: string;
}

const parseCache = new Map<string, ImageRef>();

/** Parses `[oci://]host[:port]/path[:tag][@digest]`, with Docker Hub's implicit host and `library/`. */
export function parseImageRef(reference: string): ImageRef {
    const cached = parseCache.get(reference);
    if (cached) {
        return cached;
    }
    const original = stripOciScheme(reference.trim());
    let rest = original;
    let digest: string | undefined;
    const at = rest.indexOf("@");
    if (at >= 0) {
        digest = rest.slice(at + 1);
        rest = rest.slice(0, at);
    }
    let tag: string | undefined;
    const lastColon = rest.lastIndexOf(":");
    if (lastColon > rest.lastIndexOf("/")) {
        tag = rest.slice(lastColon + 1);
        rest = rest.slice(0, lastColon);
    }
    const slash = rest.indexOf("/");
    const first = slash >= 0 ? rest.slice(0, slash) : "";
    let registry: string;
    let repository: string;
    if (slash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost")) {
        registry = first;
        repository = rest.slice(slash + 1);
    } else {
        registry = "docker.io";
        repository = slash >= 0 ? rest : `library/${rest}`;
    }
    const parsed: ImageRef = { original, registry, repository, tag: tag || undefined, digest };
    if (parseCache.size > 50_000) {
        parseCache.clear();
    }
    parseCache.set(reference, parsed);
    return parsed;
}

export function stripOciScheme(uri: string): string {
    return uri.startsWith("oci://") ? uri.slice("oci://".length) : uri;
}

export function isOciUri(value: unknown): value is string {
    return typeof value === "string" && value.startsWith("oci://");
}

export function hasValidDigest(ref: ImageRef): boolean {
    return ref.digest !== undefined && SHA256_DIGEST.test(ref.digest);
}

/** What is wrong with a reference's pinning, for a violation message; undefined when it is pinned. */
export function digestProblem(ref: ImageRef): string | undefined {
    if (hasValidDigest(ref)) {
        return undefined;
    }
    return ref.digest === undefined ? "is not pinned by digest" : `has digest "${ref.digest}", which is not sha256:<64 lowercase hex>`;
}

/**
 * A reference is mutable when it is not pinned by a valid digest and its tag is missing (which
 * means `latest`) or is one of `mutableTags`. A digest wins over any tag beside it.
 */
export function mutableTagOf(ref: ImageRef, mutableTags: readonly string[]): string | undefined {
    if (hasValidDigest(ref)) {
        return undefined;
    }
    if (ref.tag === undefined) {
        return "(no tag, i.e. latest)";
    }
    return mutableTags.includes(ref.tag) ? ref.tag : undefined;
}

const globCache = new Map<string, RegExp>();

/**
 * Kyverno-style glob: `*` matches any run of characters (slashes included), `?` one character;
 * everything else is literal. Anchored at both ends.
 */
export function globMatches(pattern: string, value: string): boolean {
    let re = globCache.get(pattern);
    if (!re) {
        const body = pattern
            .split("")
            .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\/-]/g, "\\$&")))
            .join("");
        re = new RegExp(`^${body}$`);
        globCache.set(pattern, re);
    }
    return re.test(value);
}

/**
 * Whether an image's registry is allowed. An entry without `/` is a host glob (`ghcr.io`,
 * `127.0.0.1:*`); an entry with `/` is a glob over `host/repository` (`ghcr.io/kserve/*`).
 */
export function registryAllowed(ref: ImageRef, allowed: readonly string[]): boolean {
    const full = `${ref.registry}/${ref.repository}`;
    return allowed.some((entry) => (entry.includes("/") ? globMatches(entry, full) : globMatches(entry, ref.registry)));
}
