/**
 * @module api/routes/phone-events
 * Phones telling the appliance where they are. No token (a phone cannot hold one): requests are
 * accepted only from `phones.networks`, and whether one may set a room's phone is the rule in
 * domain/phone.ts (`decidePhoneClaim`). Configure on the phones:
 *   SNOM    action_setup_url / action_log_on_url = http://APPLIANCE/api/v1/phone-events/snom?mac=$mac&ip=$phone_ip&user=$active_user
 *   Yealink action_url.registered = http://APPLIANCE/api/v1/phone-events/yealink?mac=$mac&ip=$ip&user=$active_user
 *   Polycom apps.telNotification.URL = http://APPLIANCE/api/v1/phone-events/polycom (lineRegistrationEvent = 1)
 * A SNOM phone that reports itself gets its room's current state again from every SNOM link
 * (services/snom.ts); its welcome page is served by phone-events-snom.ts.
 */
import type { Context } from "hono";
import * as v from "valibot";
import { AppError } from "../../lib/errors.ts";
import { type PhoneReport, phoneReported } from "../../services/phones.ts";
import { resendSnomRoomState } from "../../services/snom.ts";
import type { ApiDeps } from "../deps.ts";
import { defineRoute, type Route } from "../registry.ts";
import { snomPhoneRoutes } from "./phone-events-snom.ts";

const ActionQuery = v.object({
  mac: v.optional(v.pipe(v.string(), v.maxLength(40))),
  ip: v.optional(v.pipe(v.string(), v.maxLength(64))),
  user: v.optional(v.pipe(v.string(), v.maxLength(64))),
});

const Result = v.object({
  updated: v.boolean(),
  room: v.string(),
  address: v.string(),
  mac: v.nullable(v.string()),
});

/** The client address the runtime put into the request's env (never a header a client could forge). */
export function clientAddress(c: Context): string {
  const a = (c.env as { remoteAddress?: string } | undefined)?.remoteAddress;
  if (!a) throw new AppError("FORBIDDEN", "the client address is unknown");
  return a;
}

/** The text of the first `<tag>…</tag>` in a small XML document (Polycom's telephony events). */
export function xmlText(xml: string, tag: string): string | undefined {
  const open = xml.indexOf(`<${tag}>`);
  if (open < 0) return undefined;
  const start = open + tag.length + 2;
  const end = xml.indexOf(`</${tag}>`, start);
  return end < 0 ? undefined : xml.slice(start, end).trim();
}

const DESCRIPTION =
  "No token: accepted only from the phone networks (`phones.networks`, else 403). A phone sets a room's " +
  "phone only when the request comes from the `ip` it reports and either its MAC is the one the room " +
  "learned (a new IP after DHCP is taken) or the room has learned no MAC yet and `user` is its extension " +
  "(the MAC is then learned). Anything else (another phone for a room, a phone moved to another room, a " +
  "foreign `ip`) is refused with 409 and the reason, changes nothing, and is listed under the room's " +
  "`phone.refusedClaims`; staff confirm such a phone with PUT /api/v1/rooms/{room} and `phone.mac`. " +
  "404 when no room knows the phone.";

const REFUSED = {
  404: { description: "No room knows this phone (NOT_FOUND); audited" },
  409: { description: "The claim was refused, with the reason (CONFLICT); audited and shown on the room" },
};

export function phoneEventRoutes(deps: ApiDeps): Route[] {
  const { ctx } = deps;
  const report = (c: Context, r: Omit<PhoneReport, "source">) => phoneReported(ctx, { ...r, source: clientAddress(c) });
  const get = (vendor: "snom" | "yealink", summary: string) =>
    defineRoute({
      method: "get",
      path: `/api/v1/phone-events/${vendor}`,
      operationId: `${vendor}ActionUrl`,
      summary,
      description: DESCRIPTION,
      tag: "phones",
      roles: "public",
      query: ActionQuery,
      responses: { 200: { description: "Where the room's phone is now", schema: Result }, ...REFUSED },
      handler: async ({ query }, c) => {
        const result = await report(c, { vendor, ...query });
        // A SNOM phone back from a boot (or at a new address) gets its room's state again.
        if (vendor === "snom") await resendSnomRoomState(ctx, result.room);
        return { body: result };
      },
    });
  return [
    get(
      "snom",
      "SNOM action URL (action_setup_url, action_log_on_url): mac, ip, user; the room's state is sent to the phone again",
    ),
    get("yealink", "Yealink action URL (action_url.registered, .setup_completed): mac, ip, user"),
    defineRoute({
      method: "post",
      path: "/api/v1/phone-events/polycom",
      operationId: "polycomTelephonyEvent",
      summary: "Polycom telephony event notification (XML); LineRegistrationEvent moves the room's phone",
      description: `${DESCRIPTION} Other events are acknowledged and ignored.`,
      tag: "phones",
      roles: "public",
      responses: {
        200: {
          description: "Where the room's phone is now, or {ignored: event} for other events",
          schema: v.union([Result, v.object({ ignored: v.string() })]),
        },
        ...REFUSED,
      },
      handler: async (_input, c) => {
        const xml = await c.req.text();
        if (xml.indexOf("<LineRegistrationEvent>") < 0) {
          const event = xml.match(/<PolycomIPPhone>\s*<([A-Za-z]+)/)?.[1] ?? "unknown";
          return { body: { ignored: event } };
        }
        return {
          body: await report(c, {
            vendor: "polycom",
            mac: xmlText(xml, "MACAddress"),
            ip: xmlText(xml, "PhoneIP"),
          }),
        };
      },
    }),
    ...snomPhoneRoutes(deps),
  ];
}
