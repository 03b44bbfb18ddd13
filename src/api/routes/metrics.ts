/**
 * @module api/routes/metrics
 * GET /metrics (Prometheus text, api/metrics.ts): an admin or installer token, or none when
 * `metrics.public` is true. `metrics.listen` serves the same text on a listener of its own
 * (metricsOnlyApi), for a scraper that holds no token.
 */
import { Hono } from "hono";
import { errorMessage } from "../../lib/errors.ts";
import type { ApiDeps } from "../deps.ts";
import { apiMetrics, METRICS_CONTENT_TYPE } from "../metrics.ts";
import { defineRoute, type Route } from "../registry.ts";

export function metricsRoutes(deps: ApiDeps): Route[] {
  return [
    defineRoute({
      method: "get",
      path: "/metrics",
      operationId: "getMetrics",
      summary: "Prometheus metrics (text format 0.0.4), every name prefixed bellhop_",
      description:
        "PMS link state and records in/out, PMS outbox depth, PBX jobs by link and state, PBX links up, SIP " +
        "registrations by state, calls in progress, wake-ups by state and due, MWI NOTIFYs sent/failed, API " +
        "requests by route and status, event-loop lag, resident memory. Public when `metrics.public` is true.",
      tag: "system",
      roles: deps.metrics?.public ? "public" : ["admin", "installer"],
      responses: { 200: { description: "The metrics", mediaType: "text/plain" } },
      handler: async () => ({
        bytes: new TextEncoder().encode(await apiMetrics(deps).render()),
        contentType: METRICS_CONTENT_TYPE,
      }),
    }),
  ];
}

/** The `metrics.listen` listener: GET /metrics without a token, 404 for anything else. */
export function metricsOnlyApi(deps: ApiDeps): Hono {
  const app = new Hono();
  app.get("/metrics", async (c) =>
    c.body(await apiMetrics(deps).render(), 200, { "Content-Type": METRICS_CONTENT_TYPE, "Cache-Control": "no-store" }),
  );
  app.notFound((c) => c.text("only GET /metrics is served here\n", 404));
  app.onError((err, c) => {
    deps.ctx.logger.error("metrics scrape failed", { error: errorMessage(err) });
    return c.text("metrics unavailable\n", 500);
  });
  return app;
}
