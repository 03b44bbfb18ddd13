/**
 * @module services/pms-ingest
 * Received PMS frames: stored in the inbox first (one commit), then turned into PMS events by the
 * protocol adapter and applied (a second commit that also marks them applied). Frames arriving
 * together are written together, so a 2,000-room resync costs a handful of commits instead of
 * thousands. A frame whose events cannot be made or applied is marked with the error (GET
 * /api/v1/pms lists it, across restarts), logged once with the frame as received, and never blocks
 * the ones after it. The inbox keeps the raw frame: a replay after a crash maps it again.
 */

import type { GuestName, MoveWindow } from "../domain/move-window.ts";
import type { PmsAdapter, PmsEvent } from "../domain/pms-events.ts";
import { type Charset, decode, encode } from "../lib/charset.ts";
import type { TimerHandle } from "../lib/clock.ts";
import { errorMessage } from "../lib/errors.ts";
import { LogBudget } from "../lib/log-budget.ts";
import { yieldToEventLoop } from "../lib/yield.ts";
import { fiasAdapter } from "../pms/fias/events.ts";
import type { FiasRecord } from "../pms/fias/record.ts";
import { insertInbox, markApplied, markAppliedMany, unappliedInbox } from "../store/pms-queue.ts";
import { loadRoom } from "../store/rooms.ts";
import type { ServiceContext } from "./context.ts";
import { applyEvents } from "./pms-events-apply.ts";
import { loadResyncState, type ResyncState } from "./resync.ts";
import { inRoomTx } from "./room-change.ts";

interface Pending<F> {
  frame: F;
  raw: string;
  at: number;
  seq?: number;
  /** The adapter's events, or why it made none (applying the frame then fails with that). */
  events?: { ok: true; events: PmsEvent[] } | { ok: false; error: unknown };
}

const BATCH = 500;

/** Events applied together and the received frames they complete (marked applied with them). */
interface Unit<F> {
  done: Pending<F>[];
  events(): PmsEvent[];
}

export interface PmsIngestOptions {
  /**
   * Pairs a check-out and a check-in of the same guest name into a room move (Mitel has no move
   * message: domain/move-window.ts). Absent for FIAS, whose GC carries RO.
   */
  moveWindow?: MoveWindow;
}

export class PmsIngest<F = FiasRecord> {
  private queue: Pending<F>[] = [];
  private draining: Promise<void> | null = null;
  private resync: ResyncState = { active: false, id: 0 };
  /** Records applied since start, for tests and metrics. */
  applied = 0;
  failed = 0;

  /** Every rejected record is in the inbox and on the API; the log gets a sample and a count. */
  private readonly budget: LogBudget;
  private readonly adapter: PmsAdapter<F>;

  private readonly window: MoveWindow | undefined;
  /** Frames with an event the move window holds, oldest first, with the events made of them. */
  private held: { frame: Pending<F>; events: PmsEvent[] }[] = [];
  private windowTimer: TimerHandle | undefined;
  private dueRequested = false;
  private stopped = false;

  constructor(
    private readonly ctx: ServiceContext,
    adapter: PmsAdapter<F> | Charset,
    opts: PmsIngestOptions = {},
  ) {
    this.window = opts.moveWindow;
    // A charset alone means FIAS (the callers before the event model; the appliance passes its adapter).
    this.adapter =
      typeof adapter === "string"
        ? (fiasAdapter({ charset: adapter, splitGuestName: ctx.pms.splitGuestName }) as unknown as PmsAdapter<F>)
        : adapter;
    this.budget = new LogBudget(ctx.logger, ctx.clock);
  }

  /** The frame as received (the inbox keeps its bytes as latin1 text), as the trace shows frames. */
  private printable(raw: string): string {
    return this.adapter.printable(encode(raw, "latin1"));
  }

  get resyncActive(): boolean {
    return this.resync.active;
  }

  /** Loads the resync state and applies records stored but not applied before a crash. */
  async init(): Promise<number> {
    this.resync = await this.ctx.store.tx((tx) => loadResyncState(tx));
    let replayed = 0;
    let after = 0;
    for (;;) {
      const from = after;
      const rows = await this.ctx.store.read((db) => unappliedInbox(db, BATCH, from));
      if (!rows.length) break;
      after = rows[rows.length - 1]?.seq ?? after;
      const batch: Pending<F>[] = [];
      for (const r of rows) {
        const parsed = this.adapter.parse(encode(r.raw, "latin1"));
        if (parsed.ok) batch.push({ frame: parsed.frame, raw: r.raw, at: r.receivedAt, seq: r.seq });
        else {
          this.budget.warn("pms-not-applied", "PMS record not applied", {
            frame: this.printable(r.raw),
            error: parsed.reason,
          });
          await this.ctx.store.tx((tx) => markApplied(tx, r.seq, this.ctx.clock.now(), parsed.reason));
        }
      }
      await this.apply(batch);
      replayed += rows.length;
    }
    if (replayed) this.ctx.logger.info("replayed PMS records stored before an unclean stop", { count: replayed });
    return replayed;
  }

  /** A frame as the link parsed it, with its bytes as received (what the inbox keeps). */
  receive(frame: F, raw: Uint8Array): void {
    this.queue.push({ frame, raw: decode(raw, "latin1"), at: this.ctx.clock.now() });
    this.startDrain();
  }

  /**
   * No more timers: what the move window holds stays unapplied in the inbox, and the next start
   * replays it (its window then starts again).
   */
  stop(): void {
    this.stopped = true;
    this.ctx.clock.clearTimeout(this.windowTimer);
    this.windowTimer = undefined;
  }

  /** Events the move window holds now (status, tests). */
  get holding(): number {
    return this.window?.holding ?? 0;
  }

  private startDrain(): void {
    if (!this.draining) {
      this.draining = this.drain()
        .catch((err) => this.ctx.logger.error("PMS ingest failed", { error: errorMessage(err) }))
        .finally(() => {
          this.draining = null;
        });
    }
  }

  /** Resolves when everything received so far is stored and applied. */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    // Let a burst of records from one socket read gather before the first commit.
    await Promise.resolve();
    while (this.queue.length || this.dueRequested) {
      if (!this.queue.length) {
        this.dueRequested = false;
        await this.applyDue();
        continue;
      }
      const batch = this.queue.splice(0, BATCH);
      try {
        const seqs = await this.ctx.store.tx((tx) =>
          insertInbox(
            tx,
            batch.map((p) => ({ type: this.adapter.typeOf(p.frame), raw: p.raw, receivedAt: p.at })),
          ),
        );
        batch.forEach((p, i) => {
          p.seq = seqs[i];
        });
      } catch (err) {
        // Not stored means not received: the PMS's next resync brings it back.
        this.ctx.logger.error("cannot store PMS records; they are dropped", {
          error: errorMessage(err),
          count: batch.length,
        });
        continue;
      }
      await this.apply(batch);
      await yieldToEventLoop();
    }
  }

  /** The frame's events, made once (a failed batch is applied again frame by frame). */
  private eventsOf(p: Pending<F>): PmsEvent[] {
    if (!p.events) {
      try {
        p.events = { ok: true, events: this.adapter.toEvents(p.frame) };
      } catch (error) {
        p.events = { ok: false, error };
      }
    }
    if (!p.events.ok) throw p.events.error;
    return p.events.events;
  }

  /**
   * The batch as units to apply: each unit's events and the frames it completes. Without a move
   * window a unit is one frame. With one, events pass through it first: a held check-out's frame
   * stays unapplied in the inbox (a crash replays it) until the unit that releases or pairs it.
   * A frame of several events is complete when none of them is held any more.
   */
  private async unitsOf(batch: Pending<F>[]): Promise<Unit<F>[]> {
    const window = this.window;
    if (!window) return batch.map((p) => ({ done: [p], events: () => this.eventsOf(p) }));
    const units: Unit<F>[] = [];
    // Names this batch gave rooms before they are stored (a check-in and a check-out in one burst).
    const names = new Map<string, GuestName | undefined>();
    for (const p of batch) {
      let events: PmsEvent[];
      try {
        events = this.eventsOf(p);
      } catch {
        units.push({ done: [p], events: () => this.eventsOf(p) });
        continue;
      }
      const released: PmsEvent[] = [];
      for (const ev of events) {
        let departing: GuestName | undefined;
        if (ev.kind === "check-out" && !ev.resync)
          departing = names.has(ev.room) ? names.get(ev.room) : await this.departingGuest(ev.room);
        if (ev.kind === "check-in" || (ev.kind === "guest-change" && ev.guest.lastName)) names.set(ev.room, ev.guest);
        else if (ev.kind === "check-out") names.set(ev.room, undefined);
        released.push(...window.push(ev, p.at, departing));
      }
      this.held.push({ frame: p, events });
      units.push({ done: this.completed(), events: () => released });
    }
    return units;
  }

  /** Frames none of whose events the window still holds, taken off the held list. */
  private completed(): Pending<F>[] {
    const window = this.window;
    const done: Pending<F>[] = [];
    this.held = this.held.filter((h) => {
      if (window && h.events.some((ev) => window.isHeld(ev))) return true;
      done.push(h.frame);
      return false;
    });
    return done;
  }

  private async departingGuest(room: string): Promise<GuestName | undefined> {
    const r = await this.ctx.store.read((db) => loadRoom(db, room));
    const g = r?.room.guests[0];
    return g ? { lastName: g.lastName, firstName: g.firstName } : undefined;
  }

  /** Applies what the move window let go at `now` (its timer). */
  private async applyDue(): Promise<void> {
    const window = this.window;
    if (!window) return;
    const released = window.due(this.ctx.clock.now());
    const done = this.completed();
    if (released.length || done.length) await this.applyUnits([{ done, events: () => released }]);
  }

  private armWindowTimer(): void {
    const due = this.window?.nextDue();
    this.ctx.clock.clearTimeout(this.windowTimer);
    this.windowTimer = undefined;
    if (due === undefined || this.stopped) return;
    this.windowTimer = this.ctx.clock.setTimeout(
      () => {
        this.windowTimer = undefined;
        this.dueRequested = true;
        this.startDrain();
      },
      Math.max(0, due - this.ctx.clock.now()),
    );
  }

  private async apply(batch: Pending<F>[]): Promise<void> {
    if (!batch.length) return;
    await this.applyUnits(await this.unitsOf(batch));
  }

  private async applyUnits(units: Unit<F>[]): Promise<void> {
    const saved = { ...this.resync };
    let ops = 0;
    let frames = 0;
    try {
      await inRoomTx(this.ctx, async (u) => {
        const mapped = units.flatMap((unit) => safeEvents(unit.events));
        await u.prefetch(roomsOf(mapped));
        await u.prefetchReservations(reservationsOf(mapped));
        for (const unit of units) ops += (await applyEvents(this.ctx, u, unit.events(), this.resync)).ops;
        await u.flush();
        const seqs = units.flatMap((unit) => unit.done.map((p) => p.seq as number));
        frames = seqs.length;
        await markAppliedMany(u.tx, seqs, this.ctx.clock.now());
      });
      this.applied += frames;
    } catch {
      // Some record in the batch is bad: apply them one by one so only that one is marked failed.
      this.resync = saved;
      ops = 0;
      for (const unit of units) ops += await this.applyOne(unit);
    }
    if (ops) this.ctx.hooks.pbxJobsQueued();
    this.ctx.hooks.pmsOutboxQueued();
    this.armWindowTimer();
  }

  private async applyOne(unit: Unit<F>): Promise<number> {
    const saved = { ...this.resync };
    try {
      const ops = await inRoomTx(this.ctx, async (u) => {
        const r = await applyEvents(this.ctx, u, unit.events(), this.resync);
        for (const p of unit.done) await markApplied(u.tx, p.seq as number, this.ctx.clock.now(), null);
        return r.ops;
      });
      this.applied += unit.done.length;
      return ops;
    } catch (err) {
      this.resync = saved;
      this.failed += Math.max(1, unit.done.length);
      const message = errorMessage(err);
      for (const p of unit.done) {
        this.budget.warn("pms-not-applied", "PMS record not applied", { frame: this.printable(p.raw), error: message });
        await this.ctx.store.tx((tx) => markApplied(tx, p.seq as number, this.ctx.clock.now(), message));
      }
      return 0;
    }
  }
}

function safeEvents(fn: () => PmsEvent[]): PmsEvent[] {
  try {
    return fn();
  } catch {
    return [];
  }
}

/** Rooms a batch touches (moves: both), to load them in one go. */
function roomsOf(events: PmsEvent[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    if ("room" in e && e.room) out.push(e.room);
    if (e.kind === "guest-change" && e.fromRoom) out.push(e.fromRoom);
  }
  return out;
}

/** Reservations a batch names, to find the rooms holding them in one go. */
function reservationsOf(events: PmsEvent[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    if (e.kind === "check-in" || e.kind === "guest-change") out.push(e.guest.reservation);
    else if (e.kind === "check-out") out.push(e.reservation ?? "");
    else if (e.kind === "message-waiting" || e.kind === "message-deleted") out.push(e.reservation);
  }
  return out;
}
