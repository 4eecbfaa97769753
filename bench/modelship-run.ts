// One modelship run in its own process, so its peak RSS is its own: `push` composes (digest from
// cold, reading every byte) then pushes; `digest` recomputes the digest of an unchanged tree.
// Prints one JSON line.
// The pure engine only: the Pulumi SDK (push.ts) is not part of the data path being measured.
import { composeModelImage } from "../components/oci/compose";
import { pushArtifact } from "../components/oci/publish";

async function main(): Promise<void> {
    const [mode, modelDir, baseImage, registry, repository] = process.argv.slice(2);
    const compose = () => composeModelImage({ modelDir, modelName: "bench", version: "v1", baseImage, registry, repository, connection: { plainHttp: true } });
    const t0 = process.hrtime.bigint();
    const image = await compose();
    const t1 = process.hrtime.bigint();
    let push: { bytesUploaded: number } | undefined;
    if (mode === "push") push = await pushArtifact(image, { connection: { plainHttp: true }, tag: "bench" });
    const t2 = process.hrtime.bigint();
    const seconds = (a: bigint, b: bigint) => Number(b - a) / 1e9;
    process.stdout.write(
        JSON.stringify({
            digest: image.digest,
            layerSize: image.modelLayer.size,
            fromCache: image.modelLayer.fromCache,
            composeSeconds: seconds(t0, t1),
            pushSeconds: seconds(t1, t2),
            bytesUploaded: push?.bytesUploaded ?? 0,
            maxRssMiB: process.resourceUsage().maxRSS / 1024,
        }) + "\n",
    );
}

main().catch((err) => {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    process.exit(1);
});
