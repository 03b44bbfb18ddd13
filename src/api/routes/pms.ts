/** @module api/routes/pms: the PMS link's state and trace, and the resync request. */
import type { ApiDeps } from "../deps.ts";
import { defineRoute, type Route } from "../registry.ts";
import { PmsView, ResyncReply } from "../schemas.ts";

export function pmsRoutes(deps: ApiDeps): Route[] {
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/pms",
      operationId: "getPms",
      summary: "PMS link state, the last frames in and out, and the last rejected records",
      description:
        "`rejected`: the last 50 frames or records that changed nothing, oldest first, with the stage that " +
        "refused them (`framing`, `parse`: this run only; `apply`: kept across restarts) and the reason.",
      tag: "pms",
      roles: ["admin", "installer"],
      responses: { 200: { description: "Link state and trace, oldest frame first", schema: PmsView } },
      handler: async () => {
        const rejected = await deps.pms.rejected();
        const body = {
          ...deps.pms.view(),
          rejected: rejected.map((r) => ({ ...r, at: new Date(r.at).toISOString() })),
        };
        return { body };
      },
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/pms/resync",
      operationId: "requestResync",
      summary: "Ask the PMS for a database resync",
      description:
        "The request is remembered until a resync completes; `sent` tells whether the request (FIAS DR) went " +
        "out now or waits for the link.",
      tag: "pms",
      roles: ["admin", "installer", "frontdesk"],
      responses: { 202: { description: "Requested", schema: ResyncReply } },
      handler: async ({ actor }) => {
        const r = await deps.pms.requestResync(actor);
        return { status: 202, body: { requested: true, sent: r.sent } };
      },
    }),
  ];
}
