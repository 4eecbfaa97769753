// Progress of one push, summed over its blobs: bytes done/total and rate, reported at most every
// `intervalMs` (and once at the end), so a long push shows steady lines without flooding the log.

export interface PushProgress {
    /** What is being pushed, e.g. "iris v2" or the repository. */
    label: string;
    bytesDone: number;
    bytesTotal: number;
    bytesPerSecond: number;
    blobsDone: number;
    blobsTotal: number;
    done: boolean;
}

export class ProgressMeter {
    private bytesDone = 0;
    private blobsDone = 0;
    private readonly started = Date.now();
    private lastReport = 0;

    constructor(
        private readonly label: string,
        private bytesTotal: number,
        private readonly blobsTotal: number,
        private readonly report?: (p: PushProgress) => void,
        private readonly intervalMs = 5000,
    ) {}

    addBytes(n: number): void {
        this.bytesDone += n;
        const now = Date.now();
        if (this.report && now - this.lastReport >= this.intervalMs && now - this.started >= this.intervalMs) {
            this.lastReport = now;
            this.report(this.snapshot(now, false));
        }
    }

    blobDone(): void {
        this.blobsDone++;
    }

    /** A blob that needed no upload after all (mounted, or sent meanwhile by another push): out of the total. */
    blobSkipped(bytes: number): void {
        this.bytesTotal -= bytes;
    }

    finish(): void {
        // Short pushes say nothing: a line per quick push would be noise.
        if (this.report && Date.now() - this.started >= this.intervalMs) this.report(this.snapshot(Date.now(), true));
    }

    private snapshot(now: number, done: boolean): PushProgress {
        const seconds = Math.max((now - this.started) / 1000, 0.001);
        return {
            label: this.label,
            bytesDone: this.bytesDone,
            bytesTotal: this.bytesTotal,
            bytesPerSecond: this.bytesDone / seconds,
            blobsDone: this.blobsDone,
            blobsTotal: this.blobsTotal,
            done,
        };
    }
}

/** One line: "iris v2: 1.2/4.0 GiB (30%) at 210.5 MiB/s, 3/9 blobs". */
export function formatProgress(p: PushProgress): string {
    const size = (n: number) => (n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(2)} GiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`);
    const pct = p.bytesTotal > 0 ? Math.floor((100 * p.bytesDone) / p.bytesTotal) : 100;
    return `${p.label}: ${size(p.bytesDone)}/${size(p.bytesTotal)} (${pct}%) at ${(p.bytesPerSecond / 1024 ** 2).toFixed(1)} MiB/s, ${p.blobsDone}/${p.blobsTotal} blobs${p.done ? ", done" : ""}`;
}
