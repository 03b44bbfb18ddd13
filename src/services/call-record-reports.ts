/**
 * @module services/call-record-reports
 * Completing a call record from the phone system's own report (call-records.ts keeps the rows and
 * retries): which report an end-of-call event is read from, the call's row in it, and the call as the
 * room saw it.
 *
 * Decisions where the seed is silent (S1 = the VOIspeed integration guide):
 * - The call id is the communication id: SSN `call_id` = `get_call_report` `<id>` = user report
 *   `<callid>`. S1 names no call id parameter for user events: `call_id` (or `callid`) is read as the
 *   communication's, `usercallid` as the user's own (a report row's `local_id`); a user report row is
 *   matched by either, and without any id the newest row of the extension's report is taken. The row
 *   is stored under the report's communication id, so both families meet on one row.
 * - The room's side: the calling party is a room (a User entity, type 0, or no type given) → `out`,
 *   the other party is what it dialled; else the called or connected party is a room → `in`, the
 *   other party is the caller. A room-to-room call is recorded once, for the calling room, `internal`.
 * - Times: `YYYY-MM-DD hh:mm:ss` in the hotel's zone (the PBX's local time), or an ISO 8601
 *   date-time with an offset, or epoch seconds. No `answer_time` in `get_call_report`: an answered
 *   call (outcome 1) was answered at start + ring + queue time, and talked `talk_time` (0 for a call
 *   into an IVR, whose time is `ivr_time`). The user report has `answer_time`, and `duration` is the
 *   user's talk (it has no talk_time; as the simulator reads the seed).
 * - Direction in the user report: `direction` read as out/outgoing/uscente or in/incoming/entrante
 *   (its values are undocumented), else the call's earlier incoming_call / outgoing_call event, else
 *   unknown (null).
 * - Trunk: `gateway_out` for an outgoing call, `gateway_in` for an incoming one, else whichever is
 *   set (S1's descriptions of the two look swapped).
 */
import { errorMessage } from "../lib/errors.ts";
import { fromWallTime } from "../lib/zoned-time.ts";
import type { CallFacts, CallRecordRow } from "../store/call-records.ts";
import type { ServiceContext } from "./context.ts";
import { roomForExtension } from "./ivr.ts";

/**
 * A `get_call_report` row, as the VOIspeed driver reads it (pbx/voispeed/wire.ts `CallReportRow` has
 * this shape and more): texts trimmed, numbers undefined when missing.
 */
export interface CallReportFacts {
  id: string;
  startTime: string;
  duration: number | undefined;
  outcome: number | undefined;
  callingType: number | undefined;
  callingNumber: string;
  calledType: number | undefined;
  calledNumber: string;
  connectedType: number | undefined;
  connectedNumber: string;
  ringTime: number | undefined;
  ivrTime: number | undefined;
  talkTime: number | undefined;
  queueTime: number | undefined;
  gatewayIn: string;
  gatewayOut: string;
  internal: boolean | undefined;
}

/** A `get_user_call_report` row (pbx/voispeed/wire.ts `UserCallReportRow`). */
export interface UserCallReportFacts {
  id: string;
  /** The communication's id (the extended events' `call_id`). */
  callId: string;
  startTime: string;
  answerTime: string;
  duration: number | undefined;
  outcome: number | undefined;
  direction: string;
  myNumber: string;
  remoteNumber: string;
  /** entity_call_id */
  localId: string;
}

/** The PBX's call reports (the VOIspeed driver's client). */
export interface CallReportSource {
  /** `get_call_report` rows that may hold communication `callId`; the row whose `id` is it is taken. */
  callReport(link: string, callId: string): Promise<readonly CallReportFacts[]>;
  /** `get_user_call_report` rows of extension `ext` (recent calls; any order). */
  userCallReport(link: string, ext: string): Promise<readonly UserCallReportFacts[]>;
}

/** What an end-of-call event said, kept on the pending row. */
export interface CallEndHint {
  /** `ssn`: extended event (call id = communication); `user`: a user event about `ext`. */
  family: "ssn" | "user";
  event: string;
  /** The id the event carried, if any. */
  callId?: string;
  /**
   * A user event's id is the communication's (`call_id`), not the user's own (`usercallid`): its
   * record is read from get_call_report first (it names the trunk), the user report second.
   */
  communication?: boolean;
  ext?: string;
  number?: string;
  /** From an earlier incoming_call / outgoing_call of the same call. */
  direction?: "in" | "out";
  outcome?: number;
}

/** What reading the reports gave: the call (undefined facts: no room in it) or why to ask again later. */
export type ReportReading =
  | { found: true; facts: CallFacts | undefined; callId: string }
  | { found: false; why: string };

/**
 * Reads the call of a pending row: from `get_call_report` for an SSN event and for a user event that
 * names the communication, else (or when that report is unavailable or names no room) from the
 * user's `get_user_call_report`.
 */
export async function readCallReport(
  ctx: ServiceContext,
  reports: CallReportSource,
  row: CallRecordRow,
  hint: CallEndHint,
): Promise<ReportReading> {
  let found: { facts: CallFacts | undefined; callId: string } | undefined;
  if (hint.family === "ssn" || (hint.communication && hint.callId)) {
    try {
      const rows = await reports.callReport(row.link, row.callId);
      const r = rows.find((x) => text(x.id) === row.callId);
      if (r) found = { facts: await factsFromCallReport(ctx, r), callId: text(r.id) };
    } catch (err) {
      // A user event's call can still be read from the user's report (the extended services may
      // not be enabled in the module).
      if (hint.family === "ssn") return { found: false, why: `call report: ${errorMessage(err)}` };
    }
    // The user event named a room the extended report did not: the user's report decides.
    if (hint.family === "user" && found && !found.facts) found = undefined;
  }
  if (!found && hint.family === "user") {
    try {
      const rows = await reports.userCallReport(row.link, hint.ext ?? row.extension ?? "");
      const r = pickUserRow(rows, hint.callId, ctx.timezone);
      if (r) found = { facts: await factsFromUserReport(ctx, r, hint, row), callId: text(r.callId) };
    } catch (err) {
      return { found: false, why: `call report: ${errorMessage(err)}` };
    }
  }
  if (!found) return { found: false, why: `the call report has no call ${hint.callId ?? "(no id)"} yet` };
  return { found: true, ...found };
}

/** A `get_call_report` row from the room's side; undefined when no room is in the call. */
async function factsFromCallReport(ctx: ServiceContext, r: CallReportFacts): Promise<CallFacts | undefined> {
  // A party is a room's phone only as a User entity (type 0) or when the report gives no type.
  const asRoom = async (number: string, type: number | undefined) =>
    number && (type === undefined || type === 0) ? await roomForExtension(ctx, number) : undefined;
  const calling = text(r.callingNumber);
  const called = text(r.calledNumber);
  const connected = text(r.connectedNumber);
  const callingRoom = await asRoom(calling, r.callingType);
  const connectedRoom = callingRoom ? undefined : await asRoom(connected, r.connectedType);
  const calledRoom = callingRoom || connectedRoom ? undefined : await asRoom(called, r.calledType);
  const outcome = whole(r.outcome);
  const startAt = reportTime(r.startTime, ctx.timezone);
  const answered = outcome === 1;
  const answerAt =
    answered && startAt !== null ? startAt + ((whole(r.ringTime) ?? 0) + (whole(r.queueTime) ?? 0)) * 1000 : null;
  const talkSeconds = whole(r.talkTime) ?? (answered ? (whole(r.duration) ?? 0) : 0);
  const base = { startAt, answerAt, talkSeconds, outcome };
  if (callingRoom) {
    const otherRoom = (await asRoom(connected, r.connectedType)) ?? (await asRoom(called, r.calledType));
    return {
      ...base,
      room: callingRoom,
      extension: calling,
      direction: "out",
      number: called || connected || null,
      internal: r.internal === true || otherRoom !== undefined,
      trunk: gateway(r.gatewayOut) ?? gateway(r.gatewayIn),
    };
  }
  const room = connectedRoom ?? calledRoom;
  if (!room) return undefined;
  return {
    ...base,
    room,
    extension: connectedRoom ? connected : called,
    direction: "in",
    number: calling || null,
    internal: r.internal === true,
    trunk: gateway(r.gatewayIn) ?? gateway(r.gatewayOut),
  };
}

/** A `get_user_call_report` row: the user is the room the event named. */
async function factsFromUserReport(
  ctx: ServiceContext,
  r: UserCallReportFacts,
  hint: CallEndHint,
  row: CallRecordRow,
): Promise<CallFacts | undefined> {
  const extension = text(r.myNumber) || hint.ext || row.extension || "";
  const room = row.room ?? (extension ? await roomForExtension(ctx, extension) : undefined);
  if (!room) return undefined;
  const number = text(r.remoteNumber) || hint.number || null;
  const outcome = whole(r.outcome) ?? hint.outcome ?? null;
  const startAt = reportTime(r.startTime, ctx.timezone);
  const answerAt = reportTime(r.answerTime, ctx.timezone);
  const answered = answerAt !== null || outcome === 1;
  // A user's report gives the user's talk as `duration` (no talk_time there).
  const talkSeconds = answered ? (whole(r.duration) ?? 0) : 0;
  const otherIsRoom = number !== null && number.length <= 20 && (await roomForExtension(ctx, number)) !== undefined;
  return {
    room,
    extension,
    direction: direction(r.direction) ?? hint.direction ?? null,
    number,
    internal: otherIsRoom,
    startAt,
    answerAt,
    talkSeconds,
    outcome,
    trunk: null,
  };
}

/** The user report row of the call: by `callid` or `local_id`, else (no id in the event) the newest. */
function pickUserRow(
  rows: readonly UserCallReportFacts[],
  callId: string | undefined,
  tz: string,
): UserCallReportFacts | undefined {
  if (callId) return rows.find((r) => text(r.callId) === callId || text(r.localId) === callId);
  let best: UserCallReportFacts | undefined;
  let bestKey = -Infinity;
  for (const r of rows) {
    const id = text(r.id);
    const key = reportTime(r.startTime, tz) ?? (/^\d{1,15}$/.test(id) ? Number(id) : -Infinity);
    if (key > bestKey) {
      best = r;
      bestKey = key;
    }
  }
  return best ?? rows[0];
}

function text(s: string | undefined): string {
  return (s ?? "").trim();
}

/** A whole, non-negative count or code; null for anything else. */
function whole(n: number | undefined): number | null {
  return n !== undefined && Number.isInteger(n) && n >= 0 ? n : null;
}

/** A gateway field that names one: not empty, not 0. */
function gateway(s: string | undefined): string | null {
  const t = text(s);
  return t === "" || t === "0" || t === "-1" ? null : t.slice(0, 64);
}

function direction(s: string | undefined): "in" | "out" | undefined {
  const t = text(s).toLowerCase();
  if (/^(out|outgoing|outbound|uscente|o)$/.test(t)) return "out";
  if (/^(in|incoming|inbound|entrante|i)$/.test(t)) return "in";
  return undefined;
}

const WALL = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/;

/**
 * A report time as epoch ms: `YYYY-MM-DD hh:mm[:ss]` in the hotel's zone, an ISO 8601 date-time with
 * `Z` or an offset, epoch seconds (10 digits) or milliseconds (13); null for empty, 0 or anything else.
 */
export function reportTime(s: string | undefined, tz: string): number | null {
  const t = text(s);
  if (t === "" || t === "0") return null;
  if (/^\d{9,10}$/.test(t)) return Number(t) * 1000;
  if (/^\d{12,13}$/.test(t)) return Number(t);
  const m = WALL.exec(t);
  if (m) {
    const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number);
    const second = m[6] === undefined ? 0 : Number(m[6]);
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return null;
    return fromWallTime({ year, month, day, hour, minute, second }, tz);
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(t)) {
    const ms = Date.parse(t);
    return Number.isNaN(ms) ? null : ms;
  }
  return null;
}
