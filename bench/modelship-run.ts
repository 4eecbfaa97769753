// One modelship push in its own process, so the peak RSS the bench reports is the engine's own:
// compose (layer digests: every byte read on a cold stat cache, none for unchanged files on a warm
// one), then push. Takes one JSON argument (RunOptions), prints one JSON line (RunResult).
// The pure engine only: the Pulumi SDK (release layer) is not part of the data path being measured.
import { composeModelImage, pushArtifact } from "../components/oci";

export interface RunOptions {
    modelDir: string;
    baseImage: string;
    registry: string;
    repository: string;
    version: string;
    tag: string;
    cacheDir: string;
    concurrency: number;
}

export interface RunResult {
    digest: string;
    composeSeconds: number;
    pushSeconds: number;
    modelBytes: number;
    layers: number;
    layersFromStatCache: number;
    bytesUploaded: number;
    blobsUploaded: number;
    blobsMounted: number;
}

async function main(): Promise<void> {
    const opts = JSON.parse(process.argv[2]) as RunOptions;
    const connection = { plainHttp: true, concurrency: opts.concurrency };
    const t0 = process.hrtime.bigint();
    const image = await composeModelImage({
        modelDir: opts.modelDir,
        modelName: "bench",
        version: opts.version,
        baseImage: opts.baseImage,
        registry: opts.registry,
        repository: opts.repository,
        connection,
        cacheDir: opts.cacheDir,
    });
    const t1 = process.hrtime.bigint();
    const pushed = await pushArtifact(image, { connection, cacheDir: opts.cacheDir, tag: opts.tag });
    const t2 = process.hrtime.bigint();
    const seconds = (a: bigint, b: bigint) => Number(b - a) / 1e9;
    const result: RunResult = {
        digest: pushed.digest,
        composeSeconds: seconds(t0, t1),
        pushSeconds: seconds(t1, t2),
        modelBytes: image.modelLayers.reduce((n, l) => n + l.size, 0),
        layers: image.modelLayers.length,
        layersFromStatCache: image.modelLayers.filter((l) => l.fromCache).length,
        bytesUploaded: pushed.bytesUploaded,
        blobsUploaded: pushed.blobsUploaded,
        blobsMounted: pushed.blobsMounted,
    };
    process.stdout.write(JSON.stringify(result) + "\n");
}

main().catch((err) => {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    process.exit(1);
});
