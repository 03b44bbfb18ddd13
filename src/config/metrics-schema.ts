/**
 * @module config/metrics-schema
 * `metrics`: who may read GET /metrics (Prometheus text). On the API listener it needs an admin or
 * installer token unless `public` is true; `listen` adds a listener of its own that serves only
 * /metrics, without a token, for a scraper on a management network (nothing listens while it is null).
 */
import * as v from "valibot";

const hostPort = v.pipe(
  v.string(),
  v.check((s) => {
    const i = s.lastIndexOf(":");
    const digits = s.slice(i + 1);
    if (i <= 0 || !/^[0-9]{1,5}$/.test(digits)) return false;
    return Number(digits) <= 65535 && s.slice(0, i).trim() === s.slice(0, i);
  }, "expected HOST:PORT, e.g. 127.0.0.1:9464"),
);

export const metricsSchema = v.strictObject({
  /** GET /metrics on the API listener without a token (the counts name no guest, but show the hotel's activity). */
  public: v.optional(v.boolean(), false),
  /** A separate HOST:PORT serving only GET /metrics, tokenless; null = none. */
  listen: v.optional(v.nullable(hostPort), null),
});

export type MetricsConfig = v.InferOutput<typeof metricsSchema>;
