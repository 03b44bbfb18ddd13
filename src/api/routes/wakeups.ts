/** @module api/routes/wakeups: wake-up calls set by staff, the queue, and each one's history. */
import * as v from "valibot";
import { AppError } from "../../lib/errors.ts";
import { isIsoDate } from "../../lib/zoned-time.ts";
import { cancelWakeup, createWakeup, getWakeupDetail, listWakeups } from "../../services/wakeups.ts";
import type { ApiDeps } from "../deps.ts";
import { defineRoute, type Route } from "../registry.ts";
import { IdParams, limitString, RoomNumber, WakeupDetail, WakeupList, WakeupView } from "../schemas.ts";

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

const Since = v.pipe(
  v.string(),
  v.regex(INSTANT, "expected an ISO 8601 date-time with Z or an offset, e.g. 2026-11-23T00:00:00+01:00"),
  v.check((s) => parseInstant(s) !== undefined, "no such date or time"),
  v.metadata({
    description: "With a state other than open: wake-ups due at or after this instant (default: 24 hours ago)",
  }),
  v.transform((s) => parseInstant(s) as number),
);

const ListQuery = v.object({
  room: v.optional(RoomNumber),
  state: v.optional(
    v.pipe(
      v.picklist(["open", "done", "failed", "cancelled", "all"]),
      v.metadata({
        description:
          "open (default): pending and calling, in the order they will be called. done, failed, cancelled, " +
          "all: the wake-ups in that state (any state for all) due since `since`, latest due first",
      }),
    ),
  ),
  since: v.optional(Since),
  limit: v.optional(limitString()),
});

const Weekday = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(7));

const CreateWakeupBody = v.pipe(
  v.strictObject({
    room: RoomNumber,
    at: At,
    recurrence: v.optional(
      v.pipe(
        v.picklist(["once", "daily", "weekdays"]),
        v.metadata({
          description:
            "once (default); daily; weekdays: on the days in `weekdays`. A recurring wake-up rings at the " +
            "same hotel-local time each day it rings on, across DST changes",
        }),
      ),
      "once",
    ),
    weekdays: v.optional(
      v.pipe(
        v.array(Weekday, "expected a list of ISO days, 1 = Monday … 7 = Sunday"),
        v.minLength(1, "at least one day is needed"),
        v.metadata({
          description:
            "recurrence weekdays only, and then required: ISO days, 1 = Monday … 7 = Sunday. The first call is " +
            "on the first of these days from the date of `at` on",
          examples: [[1, 2, 3, 4, 5]],
        }),
      ),
    ),
    until: v.optional(
      v.pipe(
        v.string(),
        v.check((s) => s === "departure" || isIsoDate(s), 'expected "departure" or a date YYYY-MM-DD'),
        v.metadata({
          description:
            "Recurring only: the last hotel-local date it rings on (YYYY-MM-DD), or `departure`: the departure " +
            "date of the room's guests, looked up each day (the departure morning still rings)",
          examples: ["departure", "2026-11-30"],
        }),
      ),
    ),
  }),
  v.forward(
    v.check((b) => b.recurrence !== "weekdays" || b.weekdays !== undefined, "required when recurrence is weekdays"),
    ["weekdays"],
  ),
  v.forward(
    v.check((b) => b.recurrence === "weekdays" || b.weekdays === undefined, "only with recurrence weekdays"),
    ["weekdays"],
  ),
  v.forward(
    v.check(
      (b) => b.recurrence !== "once" || b.until === undefined,
      "only for a recurring wake-up (daily or weekdays)",
    ),
    ["until"],
  ),
);

export function wakeupRoutes(deps: ApiDeps): Route[] {
  const { ctx } = deps;
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/wakeups",
      operationId: "listWakeups",
      summary: "Wake-ups: the open ones in call order (the queue), or recent ones by state",
      description:
        "The default list is the queue the front desk watches: pending and calling wake-ups, next call first, " +
        "with `waitingForPort` set on those due but still waiting for a free port. `state` lists the recent ones " +
        "instead (`since` and `limit` apply only then).",
      tag: "wakeups",
      roles: ["admin", "installer", "frontdesk"],
      query: ListQuery,
      responses: { 200: { description: "Wake-ups", schema: WakeupList } },
      handler: async ({ query }) => {
        const state = query.state ?? "open";
        if (state === "open") {
          const field = query.since !== undefined ? "since" : query.limit !== undefined ? "limit" : undefined;
          if (field) throw new AppError("INVALID", `query.${field}: only with state done, failed, cancelled or all`);
        }
        return { body: { wakeups: await listWakeups(ctx, { ...query, state }) } };
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/wakeups/{id}",
      operationId: "getWakeup",
      summary: "One wake-up with its history: every call, key, snooze, retry, escalation and the report",
      tag: "wakeups",
      roles: ["admin", "installer", "frontdesk"],
      params: IdParams,
      responses: { 200: { description: "The wake-up", schema: WakeupDetail } },
      handler: async ({ params }) => ({ body: await getWakeupDetail(ctx, params.id) }),
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
