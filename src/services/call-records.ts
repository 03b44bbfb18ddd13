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
 * Reading the reports and the decisions on what they mean: call-record-reports.ts.
 */

import type { TimerHandle } from "../lib/clock.ts";
import { errorMessage } from "../lib/errors.ts";
import { isoWithOffset } from "../lib/zoned-time.ts";
import {
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
import { type CallEndHint, type CallReportSource, readCallReport } from "./call-record-reports.ts";
import type { ServiceContext } from "./context.ts";
import { roomForExtension } from "./ivr.ts";

export {
  type CallEndHint,
  type CallReportFacts,
  type CallReportSource,
  reportTime,
  type UserCallReportFacts,
} from "./call-record-reports.ts";

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
    const found = await readCallReport(ctx, this.reports, row, hint);
    if (!found.found) return this.postpone(row, found.why);
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
