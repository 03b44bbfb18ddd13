/** @module api/routes/health: liveness for monitoring, and the API document. No token needed. */
import * as v from "valibot";
import type { ApiDeps } from "../deps.ts";
import { defineRoute, type Route } from "../registry.ts";
import { Health } from "../schemas.ts";

export function healthRoutes(deps: ApiDeps, openapi: () => unknown): Route[] {
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/health",
      operationId: "getHealth",
      summary: "Liveness and PMS link state",
      tag: "system",
      roles: "public",
      responses: { 200: { description: "The appliance is up", schema: Health } },
      handler: () => ({
        body: {
          status: "ok",
          version: deps.version,
          uptimeSeconds: Math.max(0, Math.floor((deps.ctx.clock.now() - deps.startedAt) / 1000)),
          pms: { state: deps.pms.state },
          api: { requestsRefused: deps.counters.requestsRefused },
        },
      }),
    }),
    defineRoute({
      method: "get",
      path: "/openapi.json",
      operationId: "getOpenApi",
      summary: "This API's OpenAPI 3.1 document",
      tag: "system",
      roles: "public",
      responses: { 200: { description: "The document", schema: v.record(v.string(), v.unknown()) } },
      handler: () => ({ body: openapi() }),
    }),
  ];
}
