/**
 * @module services/pms-ingest
 * Received PMS frames: stored in the inbox first (one commit), then turned into PMS events by the
 * protocol adapter and applied (a second commit that also marks them applied). Frames arriving
 * together are written together, so a 2,000-room resync costs a handful of commits instead of
 * thousands. A frame whose events cannot be made or applied is marked with the error (GET
 * /api/v1/pms lists it, across restarts), logged once with the frame as received, and never blocks
 * the ones after it. The inbox keeps the raw frame: a replay after a crash maps it again.
 */

import type { PmsAdapter, PmsEvent } from "../domain/pms-events.ts";
import { type Charset, decode, encode } from "../lib/charset.ts";
import { errorMessage } from "../lib/errors.ts";
import { LogBudget } from "../lib/log-budget.ts";
import { yieldToEventLoop } from "../lib/yield.ts";
import { fiasAdapter } from "../pms/fias/events.ts";
import type { FiasRecord } from "../pms/fias/record.ts";
import { insertInbox, markApplied, markAppliedMany, unappliedInbox } from "../store/pms-queue.ts";
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

  constructor(
    private readonly ctx: ServiceContext,
    adapter: PmsAdapter<F> | Charset,
  ) {
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
    for (;;) {
      const rows = await this.ctx.store.read((db) => unappliedInbox(db, BATCH));
      if (!rows.length) break;
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
    while (this.queue.length) {
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

  private async apply(batch: Pending<F>[]): Promise<void> {
    if (!batch.length) return;
    const saved = { ...this.resync };
    let ops = 0;
    try {
      await inRoomTx(this.ctx, async (u) => {
        const mapped = batch.flatMap((p) => safeEvents(() => this.eventsOf(p)));
        await u.prefetch(roomsOf(mapped));
        await u.prefetchReservations(reservationsOf(mapped));
        for (const p of batch) ops += (await applyEvents(this.ctx, u, this.eventsOf(p), this.resync)).ops;
        await u.flush();
        await markAppliedMany(
          u.tx,
          batch.map((p) => p.seq as number),
          this.ctx.clock.now(),
        );
      });
      this.applied += batch.length;
    } catch {
      // Some record in the batch is bad: apply them one by one so only that one is marked failed.
      this.resync = saved;
      ops = 0;
      for (const p of batch) ops += await this.applyOne(p);
    }
    if (ops) this.ctx.hooks.pbxJobsQueued();
    this.ctx.hooks.pmsOutboxQueued();
  }

  private async applyOne(p: Pending<F>): Promise<number> {
    const saved = { ...this.resync };
    try {
      const ops = await inRoomTx(this.ctx, async (u) => {
        const r = await applyEvents(this.ctx, u, this.eventsOf(p), this.resync);
        await markApplied(u.tx, p.seq as number, this.ctx.clock.now(), null);
        return r.ops;
      });
      this.applied++;
      return ops;
    } catch (err) {
      this.resync = saved;
      this.failed++;
      const message = errorMessage(err);
      this.budget.warn("pms-not-applied", "PMS record not applied", { frame: this.printable(p.raw), error: message });
      await this.ctx.store.tx((tx) => markApplied(tx, p.seq as number, this.ctx.clock.now(), message));
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
