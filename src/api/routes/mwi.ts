/** @module api/routes/mwi: message-lamp refresh for every known phone. */
import * as v from "valibot";
import { refreshMwi } from "../../services/mwi.ts";
import type { ApiDeps } from "../deps.ts";
import { defineRoute, type Route } from "../registry.ts";

export function mwiRoutes(deps: ApiDeps): Route[] {
  return [
    defineRoute({
      method: "post",
      path: "/api/v1/mwi/refresh",
      operationId: "refreshMwi",
      summary: "Send every room's phone its current message lamp (paced by sip.mwi.ratePerSecond)",
      description:
        "Queues one NOTIFY per room with a known phone address; each outcome shows in the room's `mwi` and " +
        "in `GET /api/v1/pbx/jobs?link=sip-mwi`. `queued` is 0 when SIP is off.",
      tag: "sip",
      roles: ["admin", "installer", "frontdesk"],
      responses: { 202: { description: "Queued", schema: v.object({ queued: v.number() }) } },
      handler: async ({ actor }) => ({ status: 202, body: await refreshMwi(deps.ctx, actor) }),
    }),
  ];
}
