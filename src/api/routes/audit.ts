/** @module api/routes/audit: who changed what. */
import * as v from "valibot";
import { getAudit } from "../../services/audit.ts";
import type { ApiDeps } from "../deps.ts";
import { defineRoute, type Route } from "../registry.ts";
import { AuditList, idString, limitString, RoomNumber } from "../schemas.ts";

const AuditQuery = v.object({
  room: v.optional(RoomNumber),
  limit: v.optional(limitString()),
  before: v.optional(idString("Only entries with a smaller id (paging)")),
});

export function auditRoutes(deps: ApiDeps): Route[] {
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/audit",
      operationId: "listAudit",
      summary: "Audit entries, newest first",
      tag: "audit",
      roles: ["admin", "installer"],
      query: AuditQuery,
      responses: { 200: { description: "Entries", schema: AuditList } },
      handler: async ({ query }) => ({ body: { entries: await getAudit(deps.ctx, query) } }),
    }),
  ];
}
