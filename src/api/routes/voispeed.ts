/**
 * @module api/routes/voispeed
 * What a VOIspeed PBX calls on the appliance (services/voispeed-events.ts): its event notifications
 * and its IVR-script hook. No bearer token (the PBX cannot send one): the link's `notifyKey` is in the
 * URL as `key=`, and only the link's `callbackNetworks` may call. Configure on the PBX:
 *   integration module, notification URL = http://APPLIANCE/api/v1/pbx/voispeed/LINK/events?key=NOTIFYKEY
 *   IVR node "Follow script", URL script = http://APPLIANCE/api/v1/pbx/voispeed/LINK/ivr?key=NOTIFYKEY
 * (VOIspeed appends its parameters to these URLs.)
 */
import type { Context } from "hono";
import * as v from "valibot";
import { AppError } from "../../lib/errors.ts";
import type { EventHandled } from "../../services/voispeed-events.ts";
import type { ApiDeps } from "../deps.ts";
import { defineRoute, type Route } from "../registry.ts";

const LinkParams = v.strictObject({
  link: v.pipe(v.string(), v.minLength(1), v.maxLength(64), v.metadata({ description: "The VOIspeed link's name" })),
});

const param = (description: string) => v.optional(v.pipe(v.string(), v.metadata({ description })));

const KEY = param("The link's `notifyKey` (required: missing or wrong → 403)");

// Documentation only: the handlers read every parameter the PBX sends, named here or not.
const EventQuery = v.object({
  key: KEY,
  event_type: param("2 for user events; the extended (SSN) family's value is not documented"),
  event: param("The event's code (the user and extended families overlap: dispatch is on event_name)"),
  event_name: param(
    "cmd_failed, new_voicemail, incoming_call, outgoing_call, call_disconnect_out, call_disconnect_in, " +
      "call_rejected, lost_call, call_terminated, …",
  ),
  ext: param("User events: the extension the event is about"),
  number: param("User events: the other party"),
  request_id: param("cmd_failed: the id VOIspeed gave the asynchronous request"),
  error_msg: param("cmd_failed: VOIspeed's error text (also read from `error`)"),
  error_code: param("cmd_failed: VOIspeed's error code"),
  call_id: param("call_terminated: the communication id (user events: `callid`, `call_id` or `usercallid`)"),
  outcome: param("call_terminated: the call's outcome (VOIspeed Table 8)"),
});

const IvrQuery = v.object({
  key: KEY,
  ivrid: param("The IVR"),
  nodeid: param("The node; `<ivrid>/<nodeid>` is looked up in the link's ivrNodes"),
  callid: param("The communication"),
  calling: param("The caller's number: the room's extension"),
  called: param("The number dialled"),
  input: param("The digits keyed (a trailing # is ignored)"),
  tag: param("-1, or the tag our previous reply set (counts invalid entries; 100 = end the call)"),
  license_id: param("The PBX's licence (ignored)"),
  domain: param("The PBX tenant (ignored)"),
});

const handledValues: readonly EventHandled[] = [
  "job-reopened",
  "job-dead",
  "job-unknown",
  "voicemail",
  "call-direction",
  "call-record",
  "call-duplicate",
  "not-a-room",
  "counted",
  "ignored",
  "unknown",
];

const EventReply = v.object({
  event: v.nullable(v.string()),
  handled: v.pipe(
    v.picklist(handledValues),
    v.metadata({
      description:
        "job-reopened / job-dead / job-unknown (cmd_failed), voicemail, call-direction, call-record (a call " +
        "record is being completed from the PBX's report), call-duplicate (that call has a record already), " +
        "not-a-room, counted (known, nothing to do), ignored (a required parameter missing), unknown",
    }),
  ),
});

const REFUSED = {
  403: {
    description: "Not from the link's callbackNetworks, or a wrong or missing key (FORBIDDEN); logged without the key",
  },
  404: { description: "No enabled VOIspeed link of that name (NOT_FOUND)" },
};

/** The client address the runtime put into the request's env (undefined for in-process requests). */
function sourceOf(c: Context): string | undefined {
  return (c.env as { remoteAddress?: string } | undefined)?.remoteAddress;
}

export function voispeedRoutes(deps: ApiDeps): Route[] {
  const admit = (c: Context, link: string) => {
    const cb = deps.voispeed;
    if (!cb) throw new AppError("NOT_FOUND", "no VOIspeed link is configured");
    const query = c.req.query();
    return { cb, link: cb.admit(link, sourceOf(c), query.key), query };
  };
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/pbx/voispeed/{link}/events",
      operationId: "voispeedEvent",
      summary: "VOIspeed event notification (user and extended events)",
      description:
        "Called by the PBX's integration module. cmd_failed reopens the PBX job of the failed request; " +
        "new_voicemail is audited for the room; call_terminated, call_disconnect_out/_in, call_rejected and " +
        "lost_call make a call record (once per call, completed from the PBX's call report); anything else " +
        "is counted, and unknown events are logged. Always 200 once admitted.",
      tag: "pbx",
      roles: "public",
      params: LinkParams,
      query: EventQuery,
      responses: { 200: { description: "What the event did", schema: EventReply }, ...REFUSED },
      handler: async ({ params }, c) => {
        const { cb, link, query } = admit(c, params.link);
        return { body: await cb.event(link, query) };
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/pbx/voispeed/{link}/ivr",
      operationId: "voispeedIvrScript",
      summary: "VOIspeed IVR script: housekeeping status, guest wake-up or minibar from the room phone",
      description:
        "Called by an IVR node whose action is Follow script. Answered as text/plain, CR LF separated " +
        "`key=value` lines starting `command=<code>`: `command=1` + `node_key=K` (go to a child node), " +
        "`command=4` + `audio_message=FILE` + `audio_loop=0` + `tag=T` (play a prompt in this node), " +
        "`command=2` + `recipient_number=N` (transfer) or `command=0` (end the call), as the link's " +
        "ivrNodes say for an ok, invalid or failed entry. Bad input is never an HTTP error.",
      tag: "pbx",
      roles: "public",
      params: LinkParams,
      query: IvrQuery,
      responses: {
        200: { description: "The instruction for the IVR node", mediaType: "text/plain" },
        ...REFUSED,
      },
      handler: async ({ params }, c) => {
        const { cb, link, query } = admit(c, params.link);
        const answer = await cb.ivr(link, query);
        return {
          bytes: new TextEncoder().encode(answer.body) as Uint8Array<ArrayBuffer>,
          contentType: "text/plain; charset=utf-8",
        };
      },
    }),
  ];
}
