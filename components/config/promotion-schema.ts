// `modelship:promotion`: how `npm run promote` reads a canary's health from Prometheus and what it
// must show before the canary takes the next step. Pure (zod only). Only the promotion CLI uses it;
// `pulumi up` validates it with the rest of the stack config so a typo fails early either way.
//
// Messages omit the path: the formatter prefixes it ("promotion.minSamples must be ...").
import { z } from "zod";

/** Placeholders a query template may use; `{{revision}}` is filled once per revision (stable, canary). */
export const promotionPlaceholders = ["revision", "window", "model", "namespace", "version"] as const;

/**
 * Default queries: the Knative queue-proxy metrics every KServe predictor revision exports in Knative
 * mode (`revision_request_count`, `revision_request_latencies_bucket` in milliseconds). Other setups
 * (Standard mode with a service mesh, a custom exporter) set their own.
 */
export const defaultPromotionQueries = {
    requests: 'sum(increase(revision_request_count{revision_name="{{revision}}"}[{{window}}]))',
    errors: 'sum(increase(revision_request_count{revision_name="{{revision}}",response_code_class="5xx"}[{{window}}]))',
    latencyP95: 'histogram_quantile(0.95, sum by (le) (rate(revision_request_latencies_bucket{revision_name="{{revision}}"}[{{window}}])))',
    latencyP99: 'histogram_quantile(0.99, sum by (le) (rate(revision_request_latencies_bucket{revision_name="{{revision}}"}[{{window}}])))',
} as const;

export const defaultPromotionThresholds = {
    maxErrorRateRatio: 1.5,
    errorRateFloor: 0.001,
    maxLatencyP95Ratio: 1.2,
    maxLatencyP99Ratio: 1.3,
} as const;

/** A Prometheus range duration: `30s`, `10m`, `1h`, `1h30m`. */
export const promDurationPattern = /^([0-9]+(ms|s|m|h|d|w|y))+$/;

const query = (what: string) =>
    z
        .string({ error: `must be a PromQL query string (${what}) with {{revision}} and {{window}} placeholders` })
        .min(1, { error: `must not be empty: a PromQL query (${what})` })
        .refine((q) => q.includes("{{revision}}"), {
            error: `must contain {{revision}}: the query runs once for the stable and once for the canary revision (${what})`,
        })
        .refine((q) => [...q.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)].every((m) => (promotionPlaceholders as readonly string[]).includes(m[1])), {
            error: `uses an unknown placeholder: the known ones are ${promotionPlaceholders.map((p) => `{{${p}}}`).join(", ")}`,
        });

const ratio = (what: string, example: number) =>
    z.number({ error: `must be a number: ${what}, e.g. ${example}` }).min(1, { error: `must be 1 or more (1 allows no regression at all), e.g. ${example}: ${what}` });

export const promotionQueriesSchema = z.strictObject({
    /** Requests served by `{{revision}}` over `{{window}}` (also the sample count). */
    requests: query("requests served over the window").default(defaultPromotionQueries.requests),
    /** Failed requests (5xx) served by `{{revision}}` over `{{window}}`. */
    errors: query("failed requests over the window").default(defaultPromotionQueries.errors),
    latencyP95: query("p95 latency").default(defaultPromotionQueries.latencyP95),
    latencyP99: query("p99 latency").default(defaultPromotionQueries.latencyP99),
    /** Optional model-quality metric (higher is better), checked against thresholds.minQuality. */
    quality: query("a model-quality metric, higher is better").optional(),
});

export const promotionThresholdsSchema = z.strictObject({
    /** Canary error rate / stable error rate may be at most this. */
    maxErrorRateRatio: ratio("the canary's error rate over the stable one's", 1.5).default(defaultPromotionThresholds.maxErrorRateRatio),
    /** Error rates below this count as this in the ratio, so 1 error against a stable 0 is not an infinite regression. */
    errorRateFloor: z
        .number({ error: "must be a number from 0 to 1: error rates below it count as it in the ratio, e.g. 0.001" })
        .min(0, { error: "must be from 0 to 1, e.g. 0.001 (0.1 %)" })
        .max(1, { error: "must be from 0 to 1, e.g. 0.001 (0.1 %)" })
        .default(defaultPromotionThresholds.errorRateFloor),
    maxLatencyP95Ratio: ratio("the canary's p95 latency over the stable one's", 1.2).default(defaultPromotionThresholds.maxLatencyP95Ratio),
    maxLatencyP99Ratio: ratio("the canary's p99 latency over the stable one's", 1.3).default(defaultPromotionThresholds.maxLatencyP99Ratio),
    /** The canary's quality metric must be at least this (absolute). Needs queries.quality. */
    minQuality: z.number({ error: "must be a number: the lowest acceptable value of queries.quality for the canary" }).optional(),
});

export const promotionSchema = z
    .strictObject({
        /** Prometheus base URL (the HTTP API is under `/api/v1`). Needed by `npm run promote` only. */
        prometheusUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL of the Prometheus server, e.g. "http://prometheus.monitoring:9090"' }).optional(),
        /** Observation window, the `{{window}}` of the queries. */
        window: z
            .string({ error: 'must be a Prometheus duration, e.g. "10m"' })
            .regex(promDurationPattern, { error: 'must be a Prometheus duration such as "30s", "10m" or "1h"' })
            .default("10m"),
        /** Requests each revision must have served in the window before anything is decided. */
        minSamples: z
            .number({ error: "must be a whole number of requests, e.g. 100" })
            .int({ error: "must be a whole number of requests, e.g. 100" })
            .min(1, { error: "must be at least 1 (no decision without samples), e.g. 100" })
            .default(100),
        /** Bound on each Prometheus query, in seconds. */
        queryTimeoutSeconds: z
            .number({ error: "must be a number of seconds from 1 to 120, e.g. 10" })
            .min(1, { error: "must be from 1 to 120 seconds" })
            .max(120, { error: "must be from 1 to 120 seconds" })
            .default(10),
        /** What `{{revision}}` stands for, per revision; `{{model}}` and `{{version}}` are filled in. */
        revisionName: z
            .string({ error: 'must be a template such as "{{model}}-predictor-{{version}}"' })
            .min(1, { error: 'must not be empty, e.g. "{{model}}-predictor-{{version}}"' })
            .default("{{model}}-predictor-{{version}}"),
        queries: promotionQueriesSchema.default(promotionQueriesSchema.parse({})),
        thresholds: promotionThresholdsSchema.default(promotionThresholdsSchema.parse({})),
    })
    .superRefine((p, ctx) => {
        if (p.thresholds.minQuality !== undefined && p.queries.quality === undefined) {
            ctx.addIssue({
                code: "custom",
                path: ["queries", "quality"],
                message: "is required when thresholds.minQuality is set: give the PromQL query of the quality metric, or remove minQuality",
            });
        }
        if (p.queries.quality !== undefined && p.thresholds.minQuality === undefined) {
            ctx.addIssue({
                code: "custom",
                path: ["thresholds", "minQuality"],
                message: "is required when queries.quality is set: the lowest acceptable quality, or remove queries.quality",
            });
        }
    });
export type PromotionConfig = z.infer<typeof promotionSchema>;
