/**
 * @module wakeup/scheduler
 * Places the stored wake-up calls when they are due, through a {@link WakeupDialer}.
 *
 * Timing comes only from the injected clock (`ctx.clock`): one timer is armed for the next due
 * attempt or the next poll of the store, whichever comes first. croner is not used here, on purpose:
 * its scheduler keeps its own real-time timers and cannot be driven by an injected clock, and its
 * next-run calculation puts a time in the spring-forward gap at the first valid minute (02:30 →
 * 03:00), while a one-off wake-up from the PMS (FIAS DA/TI through `fromWallTime`) rings an hour
 * later (02:30 → 03:30). One rule for both matters more to a hotel than the library: the one
 * calendar computation needed (the next day a recurring wake-up rings, same local time) is done
 * with `fromWallTime` in the hotel's zone, the same function the PMS path uses.
 *
 * - New wake-ups are found by polling the store every `pollSeconds` (and at once after `poke()`).
 * - Due calls are placed in order of their next attempt (ties by id), one by one while
 *   `dialer.freePorts()` > 0: never more calls in flight than the dialer has ports; the rest wait
 *   and go as ports free up.
 * - The next attempt time is stored (`next_attempt_at`), so a restart keeps a planned retry or
 *   snooze. A call in flight when the appliance stopped is pending again at start-up, due at its
 *   planned time (so at once), and the cut attempt is not counted.
 * - What an ended call means (retry, snooze, escalation, result) is decided in outcome.ts. During
 *   an escalation the guest's result waits in `pending_result`; the WA follows the desk call.
 * - Ending goes through `recordWakeupResult`, the one place that queues the WA (exactly one per
 *   wake-up). A recurring wake-up first creates its next occurrence (weekdays, until, departure),
 *   so a crash between the two cannot lose the series (the insert is idempotent).
 * - Start-up (and any scan): a pending wake-up first seen more than `lateMinutes` past its next
 *   attempt ends NR (or the result it was escalating) without a call: missed while the appliance
 *   was down, or, created after the start, set already that late (`missed` says which). Less late,
 *   it is called. One that waits in the queue until it is that late (SIP off, every port busy) ends
 *   the same way at the next scan (`no-port`), so the PMS hears of it rather than nothing.
 * - A wake-up cancelled while its call was in flight (PMS WC) is not reported: no WA.
 * - Every step is in the wake-up's history (store/wakeup-history.ts); the dialer's progress
 *   events (placed, ringing, answered, key) too.
 */

import * as v from "valibot";
import { wakeupSchema } from "../config/schema.ts";
import type { Clock, TimerHandle } from "../lib/clock.ts";
import type { Logger } from "../lib/logger.ts";
import { isoWithOffset } from "../lib/zoned-time.ts";
import type { ServiceContext } from "../services/context.ts";
import { hasVipGuest, recordWakeupResult, type WakeupStatus } from "../services/wakeups.ts";
import { loadRoom } from "../store/rooms.ts";
import { addWakeupEvents, type NewWakeupEvent, type WakeupEventType } from "../store/wakeup-history.ts";
import {
  claimWakeup,
  getWakeup,
  nextAttemptOf,
  pendingWakeups,
  type Reschedule,
  rescheduleWakeup,
  resetInterruptedCalls,
  type WakeupRow,
} from "../store/wakeups.ts";
import { callFor } from "./call-for.ts";
import type { WakeupCall, WakeupCallEvent, WakeupCallOutcome, WakeupDialer } from "./dialer.ts";
import { scheduleNextOccurrence } from "./next-occurrence.ts";
import { decideDeskCall, decideGuestCall, missedWakeup, type OutcomePolicy } from "./outcome.ts";

/** `config.wakeup` as written in the config file: keys left out take their defaults. */
export type WakeupSchedulerConfig = v.InferInput<typeof wakeupSchema>;

export interface WakeupSchedulerOptions {
  ctx: ServiceContext;
  dialer: WakeupDialer;
  /** The `wakeup` section of the configuration (rings, menuRepeats, keyWaitSeconds are the dialer's). */
  config?: WakeupSchedulerConfig;
}

interface Entry {
  id: number;
  /** When the next attempt is due. */
  nextAt: number;
}

const MINUTE = 60_000;

const progressEvent: Record<WakeupCallEvent["type"], WakeupEventType> = {
  placed: "placed",
  ringing: "ringing",
  answered: "answered",
  key: "key",
};

export class WakeupScheduler {
  private readonly ctx: ServiceContext;
  private readonly dialer: WakeupDialer;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly lateMs: number;
  private readonly policy: OutcomePolicy;
  private readonly snoozeLimit: number;
  private readonly escalation: { extension: string | null; vipOnly: boolean; retries: number; language: string };
  private readonly pollMs: number;

  /** Known pending wake-ups not in flight. */
  private readonly queue = new Map<number, Entry>();
  private readonly inFlight = new Set<number>();
  /** Outcome handling and history writes under way. */
  private readonly work = new Set<Promise<void>>();
  private pumping: Promise<void> | undefined;
  private again = false;
  private scanWanted = false;
  private lastScan = Number.NEGATIVE_INFINITY;
  private timer: TimerHandle | undefined;
  private running = false;
  /** When start() ran: wake-ups created before were stored while the appliance was down. */
  private startedAt = 0;

  constructor(opts: WakeupSchedulerOptions) {
    const c = v.parse(wakeupSchema, opts.config ?? {});
    this.ctx = opts.ctx;
    this.dialer = opts.dialer;
    this.clock = opts.ctx.clock;
    this.log = opts.ctx.logger.child({ module: "wakeup" });
    this.lateMs = c.lateMinutes * MINUTE;
    this.snoozeLimit = c.snoozeLimit;
    this.escalation = c.escalation;
    this.policy = {
      retries: c.retries,
      retryMs: c.retryIntervalMinutes * MINUTE,
      snoozeMs: c.snoozeMinutes * MINUTE,
      snoozeLimit: c.snoozeLimit,
      answeredWithoutKey: c.answeredWithoutKey,
      escalation: c.escalation,
    };
    this.pollMs = c.pollSeconds * 1000;
  }

  /** Loads the pending wake-ups (ending those missed while down) and places the due ones. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.startedAt = this.clock.now();
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

  /**
   * After `stop()`, once the calls were hung up: waits (at most `timeoutMs`) for their outcomes to
   * be recorded, so a shutdown does not lose an answered call's result.
   */
  async settle(timeoutMs: number): Promise<void> {
    const until = this.clock.now() + timeoutMs;
    while (this.inFlight.size > 0 && this.clock.now() < until) {
      await new Promise<void>((r) => this.clock.setTimeout(r, 20));
    }
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

  /** Keeps `whenIdle` waiting for p; failures are logged, never thrown. */
  private track(p: Promise<unknown>, what: string, id: number): void {
    const w: Promise<void> = p
      .then(() => undefined)
      .catch((err) => this.log.error(what, { id, error: String(err) }))
      .finally(() => this.work.delete(w));
    this.work.add(w);
  }

  private async scan(): Promise<void> {
    this.lastScan = this.clock.now();
    const rows = await this.ctx.store.read((db) => pendingWakeups(db));
    const now = this.clock.now();
    const seen = new Set<number>();
    for (const row of rows) {
      seen.add(row.id);
      if (this.inFlight.has(row.id)) continue;
      const nextAt = nextAttemptOf(row);
      if (now - nextAt >= this.lateMs) {
        // Too late to wake anyone, also when it waited in the queue for a port that never came free.
        const queued = this.queue.delete(row.id);
        const { message, ...detail } = missedWakeup(row, nextAt, now, this.startedAt, queued);
        this.log.warn(message, { id: row.id, room: row.room, dueAt: row.dueAt, ...detail });
        await this.ctx.store.tx((tx) => addWakeupEvents(tx, [{ wakeupId: row.id, event: "missed", detail }], now));
        await this.finish(row, (row.pendingResult as WakeupStatus | null) ?? "NR", row.attempts);
        continue;
      }
      if (this.queue.has(row.id)) continue;
      if (row.pendingResult && !this.escalation.extension) {
        // Escalating when the appliance stopped, and the front-desk extension is gone from the config.
        await this.finish(row, row.pendingResult as WakeupStatus, row.attempts);
        continue;
      }
      this.queue.set(row.id, { id: row.id, nextAt });
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
          return { row, call: await callFor(tx, row, { escalation: this.escalation, snoozeLimit: this.snoozeLimit }) };
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
        const { attempts, tries, snoozes, nextAttemptAt, pendingResult } = claimed.row;
        const back = { attempts, tries, snoozes, nextAttemptAt, pendingResult };
        await this.ctx.store.tx((tx) => rescheduleWakeup(tx, e.id, back, this.clock.now()));
        this.inFlight.delete(e.id);
        this.queue.set(e.id, e);
        return;
      }
      this.place(claimed.row, claimed.call);
    }
  }

  private place(row: WakeupRow, call: WakeupCall): void {
    const escalation = call.kind === "escalation";
    const attempt = escalation ? row.tries + 1 : row.attempts + 1;
    this.log.info(escalation ? "wake-up escalation call" : "wake-up call", { id: row.id, room: row.room, attempt });
    call.onEvent = (ev) => {
      const detail: Record<string, unknown> = escalation ? { escalation: true } : {};
      if (ev.type === "placed") detail.port = ev.port;
      if (ev.type === "key") detail.digit = ev.digit;
      if (ev.type === "answered" && ev.media) detail.media = ev.media;
      const event = { wakeupId: row.id, event: progressEvent[ev.type], attempt, detail };
      // Stamped now: the write may wait behind other store work.
      const at = this.clock.now();
      this.track(
        this.ctx.store.tx((tx) => addWakeupEvents(tx, [event], at)),
        "wake-up history not written",
        row.id,
      );
    };
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
      const recorded = this.onOutcome(row, call.kind, r.outcome, r.detail).finally(() => {
        this.inFlight.delete(row.id);
        if (this.running) this.requestPump(false);
      });
      this.track(recorded, "wake-up outcome not recorded", row.id);
    });
  }

  /** Applies what a call's outcome means (outcome.ts) to the store and the queue. */
  private async onOutcome(row: WakeupRow, call: WakeupCall["kind"], outcome: WakeupCallOutcome, detail?: string) {
    const now = this.clock.now();
    const iso = (ms: number) => this.iso(ms);
    const desk = call === "escalation";
    const d = desk
      ? decideDeskCall(row, outcome, detail, now, this.policy, iso)
      : decideGuestCall(row, outcome, detail, now, this.policy, iso);
    const attempt = desk ? row.tries + 1 : row.attempts + 1;
    this.log.info(desk ? "wake-up escalation call ended" : "wake-up call ended", {
      id: row.id,
      room: row.room,
      attempt,
      outcome,
      detail,
    });
    if (d.kind === "again") return this.reschedule(row, d.next, d.done, d.planned);
    if (d.kind === "failed" && (await this.escalates(row.room)))
      return this.reschedule(row, d.escalate, d.done, [d.escalated]);
    await this.ctx.store.tx((tx) => addWakeupEvents(tx, d.done, now));
    await this.finish(row, d.kind === "failed" ? d.result : d.status, d.attempts);
  }

  /** calling → pending with the next call planned; `planned` is written only if it still is ours. */
  private async reschedule(
    row: WakeupRow,
    next: Reschedule,
    done: NewWakeupEvent[],
    planned: NewWakeupEvent[],
  ): Promise<void> {
    const now = this.clock.now();
    const back = await this.ctx.store.tx(async (tx) => {
      await addWakeupEvents(tx, done, now);
      const ok = await rescheduleWakeup(tx, row.id, next, now);
      if (ok) await addWakeupEvents(tx, planned, now);
      return ok;
    });
    if (back) this.queue.set(row.id, { id: row.id, nextAt: next.nextAttemptAt ?? now });
    else this.log.info("wake-up cancelled during its call", { id: row.id });
  }

  private async escalates(room: string): Promise<boolean> {
    if (!this.escalation.extension) return false;
    if (!this.escalation.vipOnly) return true;
    const r = await this.ctx.store.read((db) => loadRoom(db, room));
    return r ? hasVipGuest(r.room.guests) : false;
  }

  /** Ends a wake-up (next occurrence first), unless it was cancelled meanwhile. */
  private async finish(row: WakeupRow, status: WakeupStatus, attempts: number): Promise<void> {
    const cur = await this.ctx.store.read((db) => getWakeup(db, row.id));
    if (!cur || cur.state === "cancelled") {
      this.log.info("wake-up cancelled, not reported", { id: row.id });
      return;
    }
    if (
      cur.recurrence !== "once" &&
      (await scheduleNextOccurrence(this.ctx, cur, this.clock.now(), this.log)) &&
      this.running
    )
      this.requestPump(true);
    await recordWakeupResult(this.ctx, row.id, status, attempts);
  }

  private iso(ms: number): string {
    return isoWithOffset(ms, this.ctx.timezone);
  }
}
