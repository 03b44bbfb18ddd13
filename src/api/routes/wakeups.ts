/** @module api/routes/wakeups: wake-up calls set by staff. */
import * as v from "valibot";
import { cancelWakeup, createWakeup, listWakeups } from "../../services/wakeups.ts";
import type { ApiDeps } from "../deps.ts";
import { defineRoute, type Route } from "../registry.ts";
import { IdParams, RoomNumber, WakeupList, WakeupView } from "../schemas.ts";

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;

/**
 * Milliseconds since the epoch of an ISO 8601 date-time with `Z` or an offset, or undefined when the
 * text is not one or names no real time (2026-02-30, 24:00, +25:00). Fractions of a second are dropped:
 * the PMS and the dialer work in whole seconds.
 */
export function parseInstant(s: string): number | undefined {
  const m = INSTANT.exec(s);
  if (!m) return undefined;
  const [y, mo, d, h, mi] = [m[1], m[2], m[3], m[4], m[5]].map(Number);
  const sec = m[6] === undefined ? 0 : Number(m[6]);
  const local = Date.UTC(y, mo - 1, d, h, mi, sec);
  const t = new Date(local);
  if (t.getUTCFullYear() !== y || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d) return undefined;
  if (h > 23 || mi > 59 || sec > 59) return undefined;
  if (m[7]) return local;
  const oh = Number(m[9]);
  const om = Number(m[10]);
  if (oh > 18 || om > 59) return undefined;
  const off = (oh * 60 + om) * 60_000;
  return m[8] === "+" ? local - off : local + off;
}

const At = v.pipe(
  v.string(),
  v.regex(INSTANT, "expected an ISO 8601 date-time with Z or an offset, e.g. 2026-11-23T07:00:00+01:00"),
  v.check((s) => parseInstant(s) !== undefined, "no such date or time"),
  v.metadata({
    description:
      "When to ring: ISO 8601 date-time with `Z` or an offset (seconds optional, fractions dropped). " +
      "Must be in the future.",
    examples: ["2026-11-23T07:00:00+01:00"],
  }),
  v.transform((s) => parseInstant(s) as number),
);

const CreateWakeupBody = v.strictObject({
  room: RoomNumber,
  at: At,
  recurrence: v.optional(v.picklist(["once", "daily"]), "once"),
});

export function wakeupRoutes(deps: ApiDeps): Route[] {
  const { ctx } = deps;
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/wakeups",
      operationId: "listWakeups",
      summary: "Open (pending or calling) wake-ups, soonest first",
      tag: "wakeups",
      roles: ["admin", "installer", "frontdesk"],
      query: v.object({ room: v.optional(RoomNumber) }),
      responses: { 200: { description: "Open wake-ups", schema: WakeupList } },
      handler: async ({ query }) => ({ body: { wakeups: await listWakeups(ctx, query.room) } }),
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/wakeups",
      operationId: "createWakeup",
      summary: "Set a wake-up call",
      description: "Setting the same room and time again returns the wake-up already set, with 200.",
      tag: "wakeups",
      roles: ["admin", "frontdesk"],
      body: CreateWakeupBody,
      responses: {
        200: { description: "The same wake-up was already set", schema: WakeupView },
        201: { description: "The wake-up was set", schema: WakeupView },
        404: { description: "The room is not defined (NOT_FOUND)" },
      },
      handler: async ({ body, actor }) => {
        const r = await createWakeup(ctx, actor, { ...body, source: "api" });
        return { status: r.created ? 201 : 200, body: r.wakeup };
      },
    }),
    defineRoute({
      method: "delete",
      path: "/api/v1/wakeups/{id}",
      operationId: "cancelWakeup",
      summary: "Cancel a pending wake-up",
      tag: "wakeups",
      roles: ["admin", "frontdesk"],
      params: IdParams,
      responses: {
        200: { description: "The cancelled wake-up", schema: WakeupView },
        409: { description: "The wake-up is no longer pending (CONFLICT)" },
      },
      handler: async ({ params, actor }) => ({ body: await cancelWakeup(ctx, actor, params.id) }),
    }),
  ];
}
