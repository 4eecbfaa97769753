// A random password generated once and kept (encrypted) in the stack's state: what
// `@pulumi/random`'s RandomPassword does, as a small dynamic resource so no dependency is added.
// The value never comes from the program, so it is never in source or config; it changes only
// when the resource is replaced.
import * as pulumi from "@pulumi/pulumi";

interface GeneratedPasswordInputs {
    /** Random bytes; the value is their base64url text. */
    bytes: number;
}

// The provider is serialised into the state: keep it self-contained (require inside the functions).
export const generatedPasswordProvider: pulumi.dynamic.ResourceProvider = {
    create(inputs: GeneratedPasswordInputs) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- serialised into the state without the module's imports: the function loads what it uses
        const crypto = require("crypto") as typeof import("crypto");
        return Promise.resolve({ id: crypto.randomUUID(), outs: { bytes: inputs.bytes, value: crypto.randomBytes(inputs.bytes).toString("base64url") } });
    },
    diff(_id: string, olds: GeneratedPasswordInputs, news: GeneratedPasswordInputs) {
        const changed = olds.bytes !== news.bytes;
        return Promise.resolve({ changes: changed, replaces: changed ? ["bytes"] : [], deleteBeforeReplace: false });
    },
};

export class GeneratedPassword extends pulumi.dynamic.Resource {
    /**
     * The generated password, a Pulumi secret. `declare`: with ES2022 class fields a plain
     * declaration would reset the output the base constructor sets to undefined.
     */
    declare public readonly value: pulumi.Output<string>;

    constructor(name: string, args: { bytes?: number } = {}, opts: pulumi.CustomResourceOptions = {}) {
        super(
            generatedPasswordProvider,
            name,
            { bytes: args.bytes ?? 24, value: undefined },
            pulumi.mergeOptions(opts, { additionalSecretOutputs: ["value"] }),
            "modelship",
            "GeneratedPassword",
        );
    }
}
