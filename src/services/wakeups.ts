/**
 * @module services/wakeups
 * Stored wake-up calls. The scheduler (src/wakeup) places them and reports the end of each through
 * `recordWakeupResult`, which queues the one WA the PMS gets for that wake-up.
 *
 * A recurring wake-up is one row per occurrence: the scheduler makes the next one when the current
 * one ends. `weekdays` rings only on the listed ISO days; `until` ends the series on a hotel-local
 * date (inclusive), `until: "departure"` on the departure date of the room's guests as the PMS or the
 * desk has it when each next occurrence is made (the departure morning still rings).
 */

import {
  type PmsAction,
  parseWakeupDayKey,
  parseWakeupTimeKey,
  type WakeupResult,
  wakeupDayKey,
  wakeupTimeKey,
} from "../domain/pms-events.ts";
import { isVip } from "../domain/vip.ts";
import { AppError } from "../lib/errors.ts";
import { addDays, fromWallTime, isIsoDate, isoDate, isoWeekday, isoWithOffset, toWallTime } from "../lib/zoned-time.ts";
import { writeAudit } from "../store/audit.ts";
import { loadRoom } from "../store/rooms.ts";
import { addWakeupEvents, type WakeupEventRow, wakeupHistory } from "../store/wakeup-history.ts";
import {
  cancelPendingWakeup,
  getWakeup,
  insertWakeup,
  openStates,
  updateWakeup,
  type WakeupRow,
  type WakeupState,
  wakeupQueue,
  wakeupsDueSince,
} from "../store/wakeups.ts";
import type { ServiceContext } from "./context.ts";
import { enqueuePmsAction } from "./pms-outbox.ts";
import { type WakeupView, wakeupView } from "./room-view.ts";

export type WakeupRecurrence = "once" | "daily" | "weekdays";
export type WakeupListState = "open" | "done" | "failed" | "cancelled" | "all";

export interface WakeupQuery {
  room?: string;
  /**
   * `open` (default): pending and calling, in the order they will be called. Anything else: the
   * wake-ups in that state (every state for `all`) due since `since`, latest due first.
   */
  state?: WakeupListState;
  /** Default: 24 hours ago. Ignored for `open`. */
  since?: number;
  /** Default 100. Ignored for `open`. */
  limit?: number;
}

const DAY = 86_400_000;

/** `room` alone (a string) is the open wake-ups of that room. */
export async function listWakeups(ctx: ServiceContext, query: WakeupQuery | string = {}): Promise<WakeupView[]> {
  const q = typeof query === "string" ? { room: query } : query;
  const now = ctx.clock.now();
  const state = q.state ?? "open";
  const rows = await ctx.store.read((db) => {
    if (state === "open") return wakeupQueue(db, q.room);
    const states: readonly WakeupState[] = state === "all" ? [...openStates, "done", "failed", "cancelled"] : [state];
    return wakeupsDueSince(db, { states, since: q.since ?? now - DAY, room: q.room, limit: q.limit ?? 100 });
  });
  return rows.map((w) => wakeupView(w, ctx.timezone, now));
}

export interface WakeupEventView {
  at: string;
  event: string;
  attempt: number | null;
  detail: Record<string, unknown> | null;
}

function eventView(e: WakeupEventRow, tz: string): WakeupEventView {
  return { at: isoWithOffset(e.at, tz), event: e.event, attempt: e.attempt, detail: e.detail };
}

/** One wake-up with everything that happened to it, oldest first. */
export async function getWakeupDetail(ctx: ServiceContext, id: number) {
  const { w, history } = await ctx.store.read(async (db) => {
    const w = await getWakeup(db, id);
    if (!w) throw new AppError("NOT_FOUND", `wake-up ${id} does not exist`);
    return { w, history: await wakeupHistory(db, id) };
  });
  return {
    ...wakeupView(w, ctx.timezone, ctx.clock.now()),
    history: history.map((e) => eventView(e, ctx.timezone)),
  };
}

export interface CreateWakeupInput {
  room: string;
  /** The first wake-up (ms). For `weekdays`: its time of day, on the first listed day from its date on. */
  at: number;
  recurrence?: WakeupRecurrence;
  /** `weekdays` only: ISO days, 1 = Monday … 7 = Sunday. */
  weekdays?: readonly number[];
  /** Recurring only: the last hotel-local date (YYYY-MM-DD) it rings on, or the guests' departure. */
  until?: string;
  source?: "api" | "phone";
}

/** Checked, sorted, without repeats. */
function normaliseWeekdays(days: readonly number[] | undefined): number[] {
  if (!days?.length) throw new AppError("INVALID", "weekdays: at least one day (1 = Monday … 7 = Sunday) is needed");
  for (const d of days) {
    if (!Number.isInteger(d) || d < 1 || d > 7)
      throw new AppError("INVALID", `weekdays: ${d} is not a day (1 = Monday … 7 = Sunday)`);
  }
  return [...new Set(days)].sort((a, b) => a - b);
}

/** The latest departure date of the room's guests, or undefined when none is known. */
export function departureOf(guests: readonly { departure: string | null }[]): string | undefined {
  let last: string | undefined;
  for (const g of guests) if (g.departure && (!last || g.departure > last)) last = g.departure;
  return last;
}

export async function createWakeup(ctx: ServiceContext, actor: string, input: CreateWakeupInput) {
  const now = ctx.clock.now();
  if (input.at <= now) throw new AppError("INVALID", "at: the wake-up time is in the past");
  const recurrence = input.recurrence ?? "once";
  let weekdays: number[] | null = null;
  if (recurrence === "weekdays") weekdays = normaliseWeekdays(input.weekdays);
  else if (input.weekdays !== undefined)
    throw new AppError("INVALID", "weekdays: only for a wake-up with recurrence weekdays");
  if (recurrence === "once" && input.until !== undefined)
    throw new AppError("INVALID", "until: only for a recurring wake-up (daily or weekdays)");
  const untilDeparture = input.until === "departure";
  const until = input.until !== undefined && !untilDeparture ? input.until : null;
  if (until !== null && !isIsoDate(until))
    throw new AppError("INVALID", `until: expected "departure" or a date YYYY-MM-DD, got ${JSON.stringify(until)}`);

  let dueAt = input.at;
  let local = toWallTime(input.at, ctx.timezone);
  if (weekdays) {
    // The first occurrence is the first listed day from the given date on, at the given time.
    let days = 0;
    while (!weekdays.includes(isoWeekday(addDays(local, days)))) days++;
    if (days) {
      local = addDays(local, days);
      dueAt = fromWallTime(local, ctx.timezone);
    }
  }
  const first = isoDate(local);
  if (until !== null && until < first)
    throw new AppError("INVALID", `until: ${until} is before the first wake-up (${first})`);

  const res = await ctx.store.tx(async (tx) => {
    const room = await loadRoom(tx, input.room);
    if (!room) throw new AppError("NOT_FOUND", `room ${input.room} is not defined`);
    if (untilDeparture) {
      const dep = departureOf(room.room.guests);
      if (!dep) throw new AppError("INVALID", `until: room ${input.room} has no guest with a departure date`);
      if (dep < first)
        throw new AppError("INVALID", `until: the departure (${dep}) is before the first wake-up (${first})`);
    }
    const source = input.source ?? "api";
    const r = await insertWakeup(
      tx,
      {
        room: input.room,
        dueAt,
        fiasDate: wakeupDayKey(local),
        fiasTime: wakeupTimeKey({ ...local, withSeconds: true }),
        recurrence,
        source,
        weekdays,
        until,
        untilDeparture,
      },
      now,
      { by: actor },
    );
    if (r.created) await writeAudit(tx, { actor, action: "wakeup-set", room: input.room, after: r.row }, now);
    return r;
  });
  if (res.created) ctx.hooks.wakeupsChanged();
  return { created: res.created, wakeup: wakeupView(res.row, ctx.timezone, now) };
}

export async function cancelWakeup(ctx: ServiceContext, actor: string, id: number) {
  const now = ctx.clock.now();
  const view = await ctx.store.tx(async (tx) => {
    const w = await getWakeup(tx, id);
    if (!w) throw new AppError("NOT_FOUND", `wake-up ${id} does not exist`);
    if (!(await cancelPendingWakeup(tx, id, now, { by: actor })))
      throw new AppError("CONFLICT", `wake-up ${id} is ${w.state}, it cannot be cancelled`);
    await writeAudit(tx, { actor, action: "wakeup-cancel", room: w.room, before: w }, now);
    return wakeupView({ ...w, state: "cancelled" }, ctx.timezone, now);
  });
  ctx.hooks.wakeupsChanged();
  return view;
}

/** FIAS AS codes a wake-up can end with. */
export type WakeupStatus = WakeupResult;

/**
 * Final outcome of a wake-up. Exactly one WA per wake-up (per occurrence of a recurring one)
 * reaches the PMS: the outbox dedupe key makes a second report a no-op, and a wake-up already ended
 * or cancelled is not reported again.
 */
/** The PMS's wake-up result: its day and time of day as the PMS asked (kept on the row), echoed. */
function wakeupResult(ctx: ServiceContext, w: WakeupRow, status: WakeupStatus): PmsAction {
  const wall = toWallTime(w.dueAt, ctx.timezone);
  return {
    kind: "wakeup-result",
    room: w.room,
    date: parseWakeupDayKey(w.fiasDate) ?? wall,
    time: parseWakeupTimeKey(w.fiasTime) ?? { ...wall, withSeconds: true },
    status,
  };
}

export async function recordWakeupResult(ctx: ServiceContext, id: number, status: WakeupStatus, attempts: number) {
  const queued = await ctx.store.tx(async (tx) => {
    const w = await getWakeup(tx, id);
    if (!w) throw new AppError("NOT_FOUND", `wake-up ${id} does not exist`);
    // The first final result is the one the PMS heard; a late second report must not rewrite history.
    // A cancelled wake-up (PMS WC during its call) is not the PMS's any more: no WA.
    if (w.state === "done" || w.state === "failed" || w.state === "cancelled") return false;
    const now = ctx.clock.now();
    await updateWakeup(tx, id, { state: status === "OK" ? "done" : "failed", result: status, attempts }, now);
    await writeAudit(
      tx,
      { actor: "wakeup", action: "wakeup-result", room: w.room, after: { id, status, attempts } },
      now,
    );
    const wa =
      w.source === "pms" && (await enqueuePmsAction(ctx, tx, wakeupResult(ctx, w, status), `wa:${id}:${w.fiasDate}`));
    await addWakeupEvents(tx, [{ wakeupId: id, event: "reported", detail: { result: status, wa } }], now);
    return wa;
  });
  if (queued) ctx.hooks.pmsOutboxQueued();
  return queued;
}

/** VIP as domain/vip judges it: GV empty, 0 or N is no VIP. */
export function hasVipGuest(guests: readonly { vip: string }[]): boolean {
  return guests.some((g) => isVip(g.vip));
}
