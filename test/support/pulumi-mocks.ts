// Pulumi mocks that record every registered resource, so tests can assert type, name and inputs.
// setMocks is global per process: call `installRecordingMocks()` in a `before` hook, then
// `recorder.reset()` before declaring the resources a test looks at.
import * as pulumi from "@pulumi/pulumi";

export interface RecordedResource {
    type: string;
    name: string;
    inputs: Record<string, any>;
    /** Provider reference (`<provider urn>::<id>`) when the resource has an explicit provider. */
    provider?: string;
    /** Custom resource (false for components, including remote ones such as helm.v4.Chart). */
    custom?: boolean;
    /** URN-less identity for assertions: `${type}::${name}`. */
    key: string;
}

export class ResourceRecorder {
    readonly resources: RecordedResource[] = [];

    reset(): void {
        this.resources.length = 0;
    }

    ofType(type: string): RecordedResource[] {
        return this.resources.filter((r) => r.type === type);
    }

    named(name: string): RecordedResource {
        const found = this.resources.filter((r) => r.name === name);
        if (found.length !== 1) {
            throw new Error(`expected exactly one resource named ${name}, found ${found.length}: ${this.describe()}`);
        }
        return found[0];
    }

    describe(): string {
        return this.resources.map((r) => r.key).join(", ");
    }
}

export const recorder = new ResourceRecorder();

/** Installs mocks that record resources and echo inputs back as outputs. */
export function installRecordingMocks(
    opts: {
        project?: string;
        stack?: string;
        preview?: boolean;
        /** Extra output state for a resource (e.g. a provider-computed field), merged over the echoed inputs. */
        computedOutputs?: (args: pulumi.runtime.MockResourceArgs) => Record<string, any> | undefined;
    } = {},
): ResourceRecorder {
    // setMocks is async in signature only (its body awaits nothing), so the mocks are in place when it returns.
    void pulumi.runtime.setMocks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, any> } {
                recorder.resources.push({
                    type: args.type,
                    name: args.name,
                    inputs: args.inputs,
                    provider: args.provider,
                    custom: args.custom,
                    key: `${args.type}::${args.name}`,
                });
                return { id: args.inputs.name ?? `${args.name}-id`, state: { ...args.inputs, ...opts.computedOutputs?.(args) } };
            },
            call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
                return args.inputs;
            },
        },
        opts.project ?? "modelship",
        opts.stack ?? "dev",
        opts.preview ?? false,
    );
    return recorder;
}

/** Resolves an Output (or plain value) to its value; `isSecret` tells whether it was marked secret. */
export async function unwrap<T>(value: pulumi.Input<T>): Promise<{ value: T; isSecret: boolean }> {
    const out = pulumi.output(value);
    const [resolved, isSecret] = await Promise.all([
        new Promise<T>((resolve) =>
            out.apply((v) => {
                resolve(v as T);
                return v;
            }),
        ),
        pulumi.isSecret(out),
    ]);
    return { value: resolved, isSecret };
}
