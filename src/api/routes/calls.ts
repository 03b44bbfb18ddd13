/** @module api/routes/calls: the calls of room extensions the phone system reported (call records). */
import * as v from "valibot";
import { fromWallTime, isIsoDate } from "../../lib/zoned-time.ts";
import { getCallRecords } from "../../services/call-records.ts";
import type { ApiDeps } from "../deps.ts";
import { defineRoute, type Route } from "../registry.ts";
import { limitString, RoomNumber } from "../schemas.ts";
import { parseInstant } from "./wakeups.ts";

const Since = v.pipe(
  v.string(),
  v.check((s) => isIsoDate(s) || parseInstant(s) !== undefined, "expected YYYY-MM-DD or an ISO 8601 date-time"),
  v.metadata({
    description:
      "Calls that started at or after this: a hotel date YYYY-MM-DD (from its first moment) or an ISO 8601 " +
      "date-time with `Z` or an offset",
    examples: ["2026-11-22", "2026-11-22T18:00:00+01:00"],
  }),
);

const CallsQuery = v.object({
  room: v.optional(RoomNumber),
  since: v.optional(Since),
  limit: v.optional(limitString()),
});

const Iso = v.pipe(
  v.string(),
  v.metadata({ format: "date-time", description: "ISO 8601 in the hotel's time zone, with its offset" }),
);

export const CallView = v.object({
  id: v.number(),
  link: v.pipe(v.string(), v.metadata({ description: "The PBX link that reported the call" })),
  callId: v.pipe(v.string(), v.metadata({ description: "The phone system's id of the call (unique per link)" })),
  room: v.string(),
  extension: v.pipe(v.string(), v.metadata({ description: "The room's extension in the call" })),
  direction: v.pipe(
    v.nullable(v.picklist(["in", "out"])),
    v.metadata({ description: "out: the room called; in: the room was called; null when the report does not say" }),
  ),
  number: v.pipe(
    v.nullable(v.string()),
    v.metadata({ description: "The other party: what the room dialled (out), or who called it (in)" }),
  ),
  internal: v.pipe(v.boolean(), v.metadata({ description: "A call between extensions (no trunk)" })),
  startAt: v.nullable(Iso),
  answerAt: v.pipe(v.nullable(Iso), v.metadata({ description: "null when the call was not answered" })),
  talkSeconds: v.number(),
  outcome: v.pipe(
    v.nullable(v.number()),
    v.metadata({ description: "The phone system's outcome code (VOIspeed Table 8: 1 OK, 2 busy, 5 no answer, …)" }),
  ),
  outcomeName: v.pipe(
    v.nullable(v.string()),
    v.metadata({
      description:
        "unknown, ok, busy, rejected, unavailable, no-answer, no-lines, dnd, absent, caller-no-answer, " +
        "caller-busy, caller-rejected, caller-unavailable, caller-no-lines",
    }),
  ),
  trunk: v.pipe(v.nullable(v.string()), v.metadata({ description: "The gateway the call used, as reported" })),
});

export const CallList = v.object({ calls: v.array(CallView) });

/** A `since` bound as epoch ms: a hotel date is its first moment. */
function sinceMs(s: string | undefined, tz: string): number | undefined {
  if (s === undefined) return undefined;
  if (!isIsoDate(s)) return parseInstant(s);
  const [year, month, day] = s.split("-").map(Number);
  return fromWallTime({ year, month, day, hour: 0, minute: 0, second: 0 }, tz);
}

export function callRoutes(deps: ApiDeps): Route[] {
  const { ctx } = deps;
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/calls",
      operationId: "listCalls",
      summary: "Calls of room extensions (call records), latest first",
      description:
        "Completed calls the phone system reported (VOIspeed call reports), one per call, from the room's " +
        "side. Calls still being completed from the PBX's report are not listed yet.",
      tag: "calls",
      roles: ["admin", "installer", "frontdesk"],
      query: CallsQuery,
      responses: { 200: { description: "Calls", schema: CallList } },
      handler: async ({ query }) => ({
        body: {
          calls: await getCallRecords(ctx, {
            room: query.room,
            since: sinceMs(query.since, ctx.timezone),
            limit: query.limit,
          }),
        },
      }),
    }),
  ];
}
