/** @module api/routes/health: liveness for monitoring, and the API document. No token needed. */
import { dirname } from "node:path";
import * as v from "valibot";
import { readLastUpdate } from "../../store/update-state.ts";
import type { ApiDeps } from "../deps.ts";
import { defineRoute, type Route } from "../registry.ts";
import { Health } from "../schemas.ts";

/** The last update's outcome (`bellhop update apply`, or the boot check), read from `<data>/update/last.json`. */
const LastUpdateView = v.object({
  id: v.string(),
  result: v.picklist(["updated", "rolled-back", "rollback-failed"]),
  from: v.string(),
  to: v.string(),
  startedAt: v.string(),
  finishedAt: v.string(),
  reason: v.nullable(v.string()),
  by: v.picklist(["apply", "boot-check"]),
});
const HealthWithUpdate = v.object({ ...Health.entries, update: v.nullable(LastUpdateView) });

export function healthRoutes(deps: ApiDeps, openapi: () => unknown): Route[] {
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/health",
      operationId: "getHealth",
      summary: "Liveness and PMS link state",
      tag: "system",
      roles: "public",
      responses: { 200: { description: "The appliance is up", schema: HealthWithUpdate } },
      handler: () => ({
        body: {
          status: "ok",
          version: deps.version,
          uptimeSeconds: Math.max(0, Math.floor((deps.ctx.clock.now() - deps.startedAt) / 1000)),
          pms: { state: deps.pms.state },
          api: { requestsRefused: deps.counters.requestsRefused },
          update: readLastUpdate(dirname(deps.ctx.store.file)),
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
