/**
 * @module api/routes/cti
 * The 24U Phone Companion compatible CTI server's HTTP side (cti/companion.ts):
 * - the action URLs `MonitorStart E` sets on E's SNOM phone call back here, no token (a phone cannot
 *   hold one): accepted only from the IP of E's phone as the CTI server knows it (phones file, else
 *   the room's phone), and turned into STLI events on the channels monitoring E. Set by MonitorStart:
 *     action_incoming_url = http://APPLIANCE/api/v1/cti/snom/E/incoming?remote=$remote&call=$call-id
 *     (outgoing, connected, disconnected, missed, hold, unhold alike; dnd-on, dnd-off without a query)
 * - `GET /api/v1/cti`: channels, monitors, refusals and the phones file, for installers.
 * Both answer 404 while `companion.listen` is null.
 */
import type { Context } from "hono";
import * as v from "valibot";
import { CALLBACK_PATH } from "../../cti/callback-url.ts";
import { PHONE_EVENTS } from "../../cti/phone-control.ts";
import { AppError } from "../../lib/errors.ts";
import type { ApiDeps } from "../deps.ts";
import { defineRoute, type Route } from "../registry.ts";

const CallbackParams = v.strictObject({
  ext: v.pipe(
    v.string(),
    v.regex(/^[A-Za-z0-9*#+_.-]{1,32}$/, "expected an extension"),
    v.metadata({ description: "The monitored phone's extension" }),
  ),
  event: v.pipe(v.picklist(PHONE_EVENTS), v.metadata({ description: "The phone event (which action URL)" })),
});

const CallbackQuery = v.object({
  remote: v.optional(
    v.pipe(
      v.string(),
      v.maxLength(256),
      v.metadata({ description: "SNOM $remote: the other party (a SIP URI or number)" }),
    ),
  ),
  call: v.optional(v.pipe(v.string(), v.maxLength(256), v.metadata({ description: "SNOM $call-id: the call" }))),
});

const CallbackReply = v.object({
  delivered: v.pipe(v.number(), v.metadata({ description: "Channels the event was written to (0: nobody monitors)" })),
});

const DropCounts = v.object({
  refused: v.number(),
  channels: v.number(),
  flood: v.number(),
  "slow-reader": v.number(),
});

const Status = v.object({
  listen: v.string(),
  port: v.nullable(v.number()),
  channels: v.array(
    v.object({ remote: v.string(), connectedAt: v.number(), greeted: v.boolean(), monitored: v.array(v.string()) }),
  ),
  monitoredExtensions: v.number(),
  dropped: DropCounts,
  commandsRefused: v.number(),
  callbacks: v.object({ accepted: v.number(), refused: v.number() }),
  eventsDelivered: v.number(),
  phonesFile: v.nullable(
    v.object({ path: v.string(), phones: v.number(), loadedAt: v.nullable(v.number()), error: v.nullable(v.string()) }),
  ),
});

/** The client address the runtime put into the request's env (undefined for in-process requests). */
function sourceOf(c: Context): string | undefined {
  return (c.env as { remoteAddress?: string } | undefined)?.remoteAddress;
}

export function ctiRoutes(deps: ApiDeps): Route[] {
  const cti = () => {
    if (!deps.cti) throw new AppError("NOT_FOUND", "the CTI server is off (companion.listen)");
    return deps.cti;
  };
  return [
    defineRoute({
      method: "get",
      path: `${CALLBACK_PATH}/{ext}/{event}`,
      operationId: "ctiSnomActionUrl",
      summary: "A monitored SNOM phone's action URL: becomes an STLI event on the channels monitoring it",
      description:
        "Set on the phone by the CTI command MonitorStart. No token: accepted only from the extension's " +
        "phone (the phones file's IP, else the room's phone), else 403 (counted). incoming → Delivered, " +
        "outgoing → Originated, connected → Established, disconnected / missed → ConnectionCleared, " +
        "hold → Held, unhold → Retrieved, dnd-on / dnd-off → DoNotDisturb. 404 while the CTI server is " +
        "off or when no phone is known for the extension.",
      tag: "cti",
      roles: "public",
      params: CallbackParams,
      query: CallbackQuery,
      responses: {
        200: { description: "The event was handled", schema: CallbackReply },
        403: { description: "Not from the extension's phone (FORBIDDEN); counted" },
        404: { description: "The CTI server is off, or no phone is known for the extension (NOT_FOUND)" },
      },
      handler: async ({ params, query }, c) => ({
        body: await cti().phoneCallback(
          params.ext,
          params.event,
          {
            ...(query.remote !== undefined ? { remote: query.remote } : {}),
            ...(query.call !== undefined ? { callId: query.call } : {}),
          },
          sourceOf(c),
        ),
      }),
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/cti",
      operationId: "ctiStatus",
      summary: "The CTI server: channels and what each monitors, refusals, the phones file",
      tag: "cti",
      roles: ["admin", "installer"],
      responses: {
        200: { description: "Status", schema: Status },
        404: { description: "The CTI server is off (companion.listen is null)" },
      },
      handler: () => ({ body: cti().status() }),
    }),
  ];
}
