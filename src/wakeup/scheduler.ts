/**
 * @module wakeup/scheduler
 * Places the stored wake-up calls when they are due, through a {@link WakeupDialer}.
 *
 * Timing comes only from the injected clock (`ctx.clock`): one timer is armed for the next due
 * attempt or the next poll of the store, whichever comes first. croner is not used here: it keeps
 * its own real-time timers and cannot be driven by an injected clock, and the one calendar
 * computation needed (the next day of a daily wake-up, same local time across DST) is done with
 * `fromWallTime`/`toWallTime` in the hotel's zone.
 *
 * - New wake-ups are found by polling the store every `pollMs` (and at once after `poke()`).
 * - Due attempts are placed in due order (ties by id), one by one while `dialer.freePorts()` > 0:
 *   never more calls in flight than the dialer has ports; the rest wait and go as ports free up.
 * - A wake-up is "calling" while its call is in flight. no-answer/busy/failed puts it back to
 *   pending with `attempts` + 1 and a next attempt `retryIntervalMinutes` later, until `retries`
 *   retries are used; then it ends NR (no answer) / BY (busy) / UR (failed). answered/confirmed end
 *   it OK. Ending goes through `recordWakeupResult` (the one place that queues the WA).
 * - A daily wake-up that ends (any result) creates the next day's occurrence at the same local time
 *   first, so a crash between the two cannot lose the series (the insert is idempotent).
 * - Start-up (and any scan): a pending wake-up found already past due by less than `lateMinutes` is
 *   called; one more late than that was missed while the appliance was down and ends NR.
 * - Retry due times live in memory only (the schema has no column for them). `attempts` is stored,
 *   so after a restart mid-retry the count continues, but the next attempt is placed at once rather
 *   than at its planned time. A call in flight when the appliance stopped is pending again at
 *   start-up and that attempt is not counted.
 * - A wake-up cancelled while its call was in flight (PMS WD) is not reported: no WA.
 */

import type { Clock, TimerHandle } from "../lib/clock.ts";
import type { Logger } from "../lib/logger.ts";
import { fromWallTime, toWallTime, type WallTime } from "../lib/zoned-time.ts";
import { fiasDate, fiasTime, parseFiasDateTime } from "../pms/fias/datetime.ts";
import type { ServiceContext } from "../services/context.ts";
import { recordWakeupResult, type WakeupStatus } from "../services/wakeups.ts";
import { loadRoom } from "../store/rooms.ts";
import { getWakeup, insertWakeup, type WakeupRow } from "../store/wakeups.ts";
import type { WakeupCall, WakeupCallOutcome, WakeupDialer } from "./dialer.ts";
import { claimWakeup, pendingWakeups, releaseWakeup, resetInterruptedCalls } from "./store.ts";

export interface WakeupSchedulerOptions {
  ctx: ServiceContext;
  dialer: WakeupDialer;
  /** A wake-up found this many minutes past due (or more) is not called any more: it ends NR. */
  lateMinutes?: number;
  /** Attempts after the first one. */
  retries?: number;
  retryIntervalMinutes?: number;
  /** How often the store is read for new or cancelled wake-ups. */
  pollMs?: number;
}

interface Entry {
  id: number;
  dueAt: number;
  /** When the next attempt is due: dueAt for the first one, later for retries. */
  nextAt: number;
}

const MINUTE = 60_000;

/** FIAS AS code for the last failed attempt. */
export function failureStatus(outcome: WakeupCallOutcome): WakeupStatus {
  return outcome === "busy" ? "BY" : outcome === "no-answer" ? "NR" : "UR";
}

/**
 * The occurrence after `row` of a daily wake-up: same hotel-local time on the following day (DST
 * handled by the zone), moved on day by day until it is after `after`.
 */
export function nextDailyOccurrence(
  row: Pick<WakeupRow, "dueAt" | "fiasDate" | "fiasTime">,
  tz: string,
  after: number,
): { dueAt: number; wall: WallTime } {
  let wall: WallTime = parseFiasDateTime(row.fiasDate, row.fiasTime) ?? toWallTime(row.dueAt, tz);
  for (;;) {
    const d = new Date(Date.UTC(wall.year, wall.month - 1, wall.day + 1));
    wall = { ...wall, year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
    const dueAt = fromWallTime(wall, tz);
    if (dueAt > after) return { dueAt, wall };
  }
}

export class WakeupScheduler {
  private readonly ctx: ServiceContext;
  private readonly dialer: WakeupDialer;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly lateMs: number;
  private readonly retries: number;
  private readonly retryMs: number;
  private readonly pollMs: number;

  /** Known pending wake-ups not in flight. */
  private readonly queue = new Map<number, Entry>();
  private readonly inFlight = new Set<number>();
  /** Outcome handling under way (after a call ended). */
  private readonly work = new Set<Promise<void>>();
  private pumping: Promise<void> | undefined;
  private again = false;
  private scanWanted = false;
  private lastScan = Number.NEGATIVE_INFINITY;
  private timer: TimerHandle | undefined;
  private running = false;

  constructor(opts: WakeupSchedulerOptions) {
    this.ctx = opts.ctx;
    this.dialer = opts.dialer;
    this.clock = opts.ctx.clock;
    this.log = opts.ctx.logger.child({ module: "wakeup" });
    this.lateMs = (opts.lateMinutes ?? 30) * MINUTE;
    this.retries = opts.retries ?? 2;
    this.retryMs = (opts.retryIntervalMinutes ?? 5) * MINUTE;
    this.pollMs = opts.pollMs ?? 15_000;
  }

  /** Loads the pending wake-ups (ending those missed while down) and places the due ones. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const n = await this.ctx.store.tx((tx) => resetInterruptedCalls(tx, this.clock.now()));
    if (n) this.log.warn("wake-up calls interrupted by the last stop are pending again", { count: n });
    this.requestPump(true);
    await this.pumping;
  }

  /** Stops placing calls. Calls in flight still have their outcome recorded. */
  async stop(): Promise<void> {
    this.running = false;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.whenIdle();
  }

  /** Reads the store now (a wake-up was created or cancelled). */
  poke(): void {
    if (this.running) this.requestPump(true);
  }

  /** Calls in flight right now. */
  callsInFlight(): number {
    return this.inFlight.size;
  }

  /**
   * Resolves when no scan/dispatch and no outcome handling is running (calls still in flight do not
   * count). Returns true when it was idle already.
   */
  async whenIdle(): Promise<boolean> {
    let idle = true;
    while (this.pumping || this.work.size) {
      idle = false;
      await Promise.all([this.pumping, ...this.work]);
    }
    return idle;
  }

  private requestPump(scan: boolean): void {
    if (scan) this.scanWanted = true;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = this.pump();
  }

  private async pump(): Promise<void> {
    try {
      do {
        this.again = false;
        if (this.scanWanted) {
          this.scanWanted = false;
          await this.scan();
        }
        await this.dispatchDue();
      } while (this.again && this.running);
    } catch (e) {
      this.log.error("wake-up scheduling failed", { error: String(e) });
    } finally {
      this.pumping = undefined;
      this.arm();
    }
  }

  /** One timer: the next due attempt in the future, or the next poll. */
  private arm(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.running) return;
    const now = this.clock.now();
    let at = this.lastScan + this.pollMs;
    for (const e of this.queue.values()) if (e.nextAt > now && e.nextAt < at) at = e.nextAt;
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = undefined;
        this.requestPump(this.clock.now() >= this.lastScan + this.pollMs);
      },
      Math.max(0, at - now),
    );
  }

  private async scan(): Promise<void> {
    this.lastScan = this.clock.now();
    const rows = await this.ctx.store.read((db) => pendingWakeups(db));
    const now = this.clock.now();
    const seen = new Set<number>();
    for (const row of rows) {
      seen.add(row.id);
      if (this.queue.has(row.id) || this.inFlight.has(row.id)) continue;
      if (now - row.dueAt >= this.lateMs) {
        // Missed while the appliance was down (or stopped): too late to wake anyone.
        this.log.warn("wake-up missed while the appliance was down", { id: row.id, room: row.room, dueAt: row.dueAt });
        await this.finish(row, "NR", row.attempts);
        continue;
      }
      // attempts > 0: a restart mid-retry; the retry's planned time was in memory, so it goes now.
      this.queue.set(row.id, { id: row.id, dueAt: row.dueAt, nextAt: row.attempts > 0 ? now : row.dueAt });
    }
    // Cancelled (or ended elsewhere) meanwhile.
    for (const id of [...this.queue.keys()]) if (!seen.has(id)) this.queue.delete(id);
  }

  private nextDue(now: number): Entry | undefined {
    let best: Entry | undefined;
    for (const e of this.queue.values()) {
      if (e.nextAt > now) continue;
      if (!best || e.nextAt < best.nextAt || (e.nextAt === best.nextAt && e.id < best.id)) best = e;
    }
    return best;
  }

  private async dispatchDue(): Promise<void> {
    while (this.running) {
      const now = this.clock.now();
      const e = this.nextDue(now);
      if (!e || this.dialer.freePorts() <= 0) return;
      this.queue.delete(e.id);
      this.inFlight.add(e.id);
      let claimed: { row: WakeupRow; call: WakeupCall } | undefined;
      try {
        claimed = await this.ctx.store.tx(async (tx) => {
          const row = await claimWakeup(tx, e.id, now);
          if (!row) return undefined;
          const room = await loadRoom(tx, row.room);
          const language = room?.room.guests.find((g) => g.language)?.language;
          const call: WakeupCall = { id: row.id, room: row.room, kind: "wakeup", snoozeAllowed: true };
          if (room) call.extension = room.room.extension;
          if (language) call.language = language;
          return { row, call };
        });
      } catch (err) {
        this.inFlight.delete(e.id);
        this.queue.set(e.id, e);
        throw err;
      }
      if (!claimed) {
        // Cancelled meanwhile.
        this.inFlight.delete(e.id);
        continue;
      }
      if (this.dialer.freePorts() <= 0 || !this.running) {
        // The port went to something else while the wake-up was being claimed: back in the queue.
        await this.ctx.store.tx((tx) => releaseWakeup(tx, e.id, claimed.row.attempts, this.clock.now()));
        this.inFlight.delete(e.id);
        this.queue.set(e.id, e);
        return;
      }
      this.place(e, claimed.row, claimed.call);
    }
  }

  private place(e: Entry, row: WakeupRow, call: WakeupCall): void {
    this.log.info("wake-up call", { id: row.id, room: row.room, attempt: row.attempts + 1 });
    let p: Promise<{ outcome: WakeupCallOutcome; detail?: string }>;
    try {
      p = this.dialer.call(call);
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(
      (r) => r,
      (err) => ({ outcome: "failed" as const, detail: String(err) }),
    ).then((r) => {
      const w = this.onOutcome(e, row, r.outcome, r.detail)
        .catch((err) => {
          this.log.error("wake-up outcome not recorded", { id: row.id, error: String(err) });
        })
        .finally(() => {
          this.work.delete(w);
          this.inFlight.delete(row.id);
          if (this.running) this.requestPump(false);
        });
      this.work.add(w);
    });
  }

  private async onOutcome(e: Entry, row: WakeupRow, outcome: WakeupCallOutcome, detail?: string): Promise<void> {
    const attempts = row.attempts + 1;
    this.log.info("wake-up call ended", { id: row.id, room: row.room, attempt: attempts, outcome, detail });
    if (outcome === "answered" || outcome === "confirmed") return this.finish(row, "OK", attempts);
    if (attempts > this.retries) return this.finish(row, failureStatus(outcome), attempts);
    const now = this.clock.now();
    const back = await this.ctx.store.tx((tx) => releaseWakeup(tx, row.id, attempts, now));
    if (back) this.queue.set(row.id, { ...e, nextAt: now + this.retryMs });
    else this.log.info("wake-up cancelled during its call", { id: row.id });
  }

  /** Ends a wake-up (next daily occurrence first), unless it was cancelled meanwhile. */
  private async finish(row: WakeupRow, status: WakeupStatus, attempts: number): Promise<void> {
    const cur = await this.ctx.store.read((db) => getWakeup(db, row.id));
    if (!cur || cur.state === "cancelled") {
      this.log.info("wake-up cancelled, not reported", { id: row.id });
      return;
    }
    if (cur.recurrence === "daily") {
      const now = this.clock.now();
      const next = nextDailyOccurrence(cur, this.ctx.timezone, now);
      await this.ctx.store.tx((tx) =>
        insertWakeup(
          tx,
          {
            room: cur.room,
            dueAt: next.dueAt,
            fiasDate: fiasDate(next.wall),
            fiasTime: fiasTime(next.wall),
            recurrence: "daily",
            source: cur.source,
          },
          now,
        ),
      );
      if (this.running) this.requestPump(true);
    }
    await recordWakeupResult(this.ctx, row.id, status, attempts);
  }
}
