/**
 * @module api/middleware/metrics
 * Counts every answered request for bellhop_api_requests_total. Registered first, so requests that
 * api.allow refuses count too (route `other`). After `next()`, Hono's routePath is the pattern of
 * the last handler that ran: the route's own, or the catch-all of a middleware that answered alone.
 */
import type { MiddlewareHandler } from "hono";
import type { ApiMetrics } from "../metrics.ts";

export function countRequests(metrics: ApiMetrics): MiddlewareHandler {
  return async function countRequest(c, next) {
    await next();
    metrics.countRequest(c.req.routePath, c.req.method, c.res.status);
  };
}
