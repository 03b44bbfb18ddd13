/**
 * @module services/call-records
 * Calls of room extensions, stored once each from the phone system's own call reports.
 *
 * An end-of-call event (VOIspeed SSN `call_terminated`, or a user event `call_disconnect_out`/`_in`,
 * `call_rejected`, `lost_call`) makes a `pending` row, unique by link and call id, so an event that
 * arrives twice (or the same call announced by both event families) is one row. The row is then
 * completed from the PBX's report (`get_call_report` for an SSN event, and for a user event that
 * names the communication; else `get_user_call_report`) through a `CallReportSource` the appliance
 * injects (the link's driver): the report,
 * not the event, says who called whom, when, for how long and over which trunk. A report without
 * the call yet (the PBX may write it just after the event) is asked again after 5 s, 30 s, 2 min,
 * 10 min and 1 h; then the row is `failed` with the reason and never listed. Pending rows survive a
 * restart and are completed after it. A call that turns out to involve no room is dropped.
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

import type { TimerHandle } from "../lib/clock.ts";
import { errorMessage } from "../lib/errors.ts";
import { fromWallTime, isoWithOffset } from "../lib/zoned-time.ts";
import {
  type CallFacts,
  type CallRecordRow,
  completeCall,
  countCalls,
  deleteCall,
  dueCalls,
  findCall,
  insertPendingCall,
  listCalls,
  nextCallDueAt,
  postponeCall,
} from "../store/call-records.ts";
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

/** VOIspeed Table 8, call outcome, as words for the API. */
export const CALL_OUTCOMES = [
  "unknown",
  "ok",
  "busy",
  "rejected",
  "unavailable",
  "no-answer",
  "no-lines",
  "dnd",
  "absent",
  "caller-no-answer",
  "caller-busy",
  "caller-rejected",
  "caller-unavailable",
  "caller-no-lines",
] as const;

export function outcomeName(code: number | null): string | null {
  if (code === null) return null;
  return CALL_OUTCOMES[code] ?? `code-${code}`;
}

/** Delays before the 2nd, 3rd, … attempt to read a call's report. */
export const REPORT_RETRY_DELAYS_MS = [5_000, 30_000, 120_000, 600_000, 3_600_000] as const;

/** Direction hints from incoming_call / outgoing_call kept in memory, at most this many. */
const MAX_DIRECTION_HINTS = 2000;

export interface CallRecorderOptions {
  /** The PBX's call reports; without it rows stay pending until they fail ("no call report source"). */
  reports?: CallReportSource;
  retryDelaysMs?: readonly number[];
}

export interface CallRecorderCounters {
  /** End-of-call events seen. */
  events: number;
  /** Events for a call that has a row already, and rows merged into another at completion. */
  duplicates: number;
  recorded: number;
  /** Calls that turned out to involve no room (dropped). */
  notRoom: number;
  /** Rows given up on. */
  failed: number;
}

export type CallEndResult = "pending" | "duplicate" | "not-a-room";

export class CallRecorder {
  readonly counters: CallRecorderCounters = { events: 0, duplicates: 0, recorded: 0, notRoom: 0, failed: 0 };
  private reports: CallReportSource | undefined;
  private readonly delays: readonly number[];
  private readonly directions = new Map<string, "in" | "out">();
  private running: Promise<void> | null = null;
  private again = false;
  private timer: TimerHandle | undefined;
  private stopped = false;
  private seq = 0;

  constructor(
    private readonly ctx: ServiceContext,
    opts: CallRecorderOptions = {},
  ) {
    this.reports = opts.reports;
    this.delays = opts.retryDelaysMs ?? REPORT_RETRY_DELAYS_MS;
  }

  /** Sets the report source once the driver's client exists. */
  setReports(reports: CallReportSource | undefined): void {
    this.reports = reports;
    this.kick();
  }

  /** An incoming_call / outgoing_call: the direction of a call the report may not tell. */
  noteDirection(link: string, callId: string, direction: "in" | "out"): void {
    const k = `${link}\n${callId}`;
    this.directions.delete(k);
    this.directions.set(k, direction);
    if (this.directions.size > MAX_DIRECTION_HINTS) {
      const oldest = this.directions.keys().next().value;
      if (oldest !== undefined) this.directions.delete(oldest);
    }
  }

  /** An end-of-call event: a pending row (once per call id), completed in the background. */
  async noteCallEnded(link: string, hint: CallEndHint): Promise<CallEndResult> {
    const { ctx } = this;
    this.counters.events++;
    let room: string | undefined;
    if (hint.family === "user") {
      room = hint.ext ? await roomForExtension(ctx, hint.ext) : undefined;
      if (!room) {
        this.counters.notRoom++;
        return "not-a-room";
      }
    }
    const direction = hint.callId ? this.directions.get(`${link}\n${hint.callId}`) : undefined;
    const full: CallEndHint = direction && !hint.direction ? { ...hint, direction } : hint;
    // Without a call id (S1 names none for user events) every event is its own row until its report
    // names the call; completion then merges the copies.
    const callId = hint.callId || `~${hint.ext ?? ""}@${ctx.clock.now()}#${++this.seq}`;
    const inserted = await ctx.store.tx(async (tx) => {
      if (await findCall(tx, link, callId)) return false;
      return insertPendingCall(
        tx,
        { link, callId, room: room ?? null, extension: hint.family === "user" ? (hint.ext ?? null) : null, hint: full },
        ctx.clock.now(),
      );
    });
    if (!inserted) {
      this.counters.duplicates++;
      return "duplicate";
    }
    this.kick();
    return "pending";
  }

  /** Looks for due rows now (after an event, at start, when a retry is due). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .catch((err) => {
        this.ctx.logger.error("call records: completing failed", { error: errorMessage(err) });
        this.schedule(this.ctx.clock.now() + 60_000);
      })
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Completes the rows a stop or crash left pending. */
  start(): void {
    this.stopped = false;
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.ctx.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.idle();
  }

  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async pendingCount(): Promise<number> {
    return this.ctx.store.read((db) => countCalls(db, "pending"));
  }

  private async drain(): Promise<void> {
    const { store, clock } = this.ctx;
    for (;;) {
      if (this.stopped) return;
      const rows = await store.read((db) => dueCalls(db, clock.now(), 20));
      if (!rows.length) break;
      for (const row of rows) {
        if (this.stopped) return;
        await this.complete(row);
      }
    }
    const next = await store.read((db) => nextCallDueAt(db));
    if (next !== undefined) this.schedule(next);
  }

  private schedule(at: number): void {
    if (this.stopped) return;
    this.ctx.clock.clearTimeout(this.timer);
    this.timer = this.ctx.clock.setTimeout(
      () => {
        this.timer = undefined;
        this.kick();
      },
      Math.max(0, at - this.ctx.clock.now()),
    );
  }

  private async complete(row: CallRecordRow): Promise<void> {
    const { ctx } = this;
    const hint = (row.hint ?? { family: "ssn", event: "?" }) as CallEndHint;
    if (!this.reports) return this.postpone(row, "no call report source (the VOIspeed driver is not running)");
    let found: { facts: CallFacts | undefined; callId: string } | undefined;
    if (hint.family === "ssn" || (hint.communication && hint.callId)) {
      try {
        const rows = await this.reports.callReport(row.link, row.callId);
        const r = rows.find((x) => text(x.id) === row.callId);
        if (r) found = { facts: await this.factsFromCallReport(r), callId: text(r.id) };
      } catch (err) {
        // A user event's call can still be read from the user's report (the extended services may
        // not be enabled in the module).
        if (hint.family === "ssn") return this.postpone(row, `call report: ${errorMessage(err)}`);
      }
      // The user event named a room the extended report did not: the user's report decides.
      if (hint.family === "user" && found && !found.facts) found = undefined;
    }
    if (!found && hint.family === "user") {
      try {
        const rows = await this.reports.userCallReport(row.link, hint.ext ?? row.extension ?? "");
        const r = pickUserRow(rows, hint.callId, ctx.timezone);
        if (r) found = { facts: await this.factsFromUserReport(r, hint, row), callId: text(r.callId) };
      } catch (err) {
        return this.postpone(row, `call report: ${errorMessage(err)}`);
      }
    }
    if (!found) return this.postpone(row, `the call report has no call ${hint.callId ?? "(no id)"} yet`);
    const { facts } = found;
    if (!facts) {
      this.counters.notRoom++;
      await ctx.store.tx((tx) => deleteCall(tx, row.id));
      return;
    }
    const callId = found.callId || row.callId;
    const r = await ctx.store.tx((tx) => completeCall(tx, row, callId, facts, ctx.clock.now()));
    if (r === "duplicate") this.counters.duplicates++;
    else {
      this.counters.recorded++;
      ctx.hooks.callRecordCompleted?.(row.id);
    }
  }

  private async postpone(row: CallRecordRow, why: string): Promise<void> {
    const { ctx } = this;
    const attempts = row.attempts + 1;
    const delay = this.delays[attempts - 1];
    const now = ctx.clock.now();
    await ctx.store.tx((tx) =>
      postponeCall(
        tx,
        row.id,
        { attempts, lastError: why, nextAttemptAt: delay === undefined ? undefined : now + delay },
        now,
      ),
    );
    if (delay === undefined) {
      this.counters.failed++;
      ctx.logger.warn("call record given up: no call report for the call", {
        link: row.link,
        callId: row.callId,
        attempts,
        error: why,
      });
    }
  }

  /** A `get_call_report` row from the room's side; undefined when no room is in the call. */
  private async factsFromCallReport(r: CallReportFacts): Promise<CallFacts | undefined> {
    const { ctx } = this;
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
  private async factsFromUserReport(
    r: UserCallReportFacts,
    hint: CallEndHint,
    row: CallRecordRow,
  ): Promise<CallFacts | undefined> {
    const { ctx } = this;
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

/** A completed call as the API shows it. */
export function callView(r: CallRecordRow, tz: string) {
  return {
    id: r.id,
    link: r.link,
    callId: r.callId,
    room: r.room ?? "",
    extension: r.extension ?? "",
    direction: r.direction,
    number: r.number,
    internal: r.internal,
    startAt: r.startAt === null ? null : isoWithOffset(r.startAt, tz),
    answerAt: r.answerAt === null ? null : isoWithOffset(r.answerAt, tz),
    talkSeconds: r.talkSeconds,
    outcome: r.outcome,
    outcomeName: outcomeName(r.outcome),
    trunk: r.trunk,
  };
}

/** Completed calls, latest first: of one room, started at or after `since`, at most `limit` (100). */
export async function getCallRecords(ctx: ServiceContext, q: { room?: string; since?: number; limit?: number }) {
  const rows = await ctx.store.read((db) =>
    listCalls(db, { room: q.room, since: q.since, limit: Math.min(q.limit ?? 100, 1000) }),
  );
  return rows.map((r) => callView(r, ctx.timezone));
}
