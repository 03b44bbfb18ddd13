/**
 * @module services/pms-ingest
 * Received PMS records: stored in the inbox first (one commit), applied after (a second commit that
 * also marks them applied). Records arriving together are written together, so a 2,000-room resync
 * costs a handful of commits instead of thousands. A record whose apply fails is marked with the
 * error (GET /api/v1/pms lists it, across restarts), logged once with the frame as received, and
 * never blocks the ones after it.
 */

import type { Charset } from "../lib/charset.ts";
import { decode, encode } from "../lib/charset.ts";
import { errorMessage } from "../lib/errors.ts";
import { LogBudget } from "../lib/log-budget.ts";
import { yieldToEventLoop } from "../lib/yield.ts";
import { showBytes } from "../pms/fias/frame.ts";
import { type FiasRecord, parseRecord } from "../pms/fias/record.ts";
import { insertInbox, markApplied, markAppliedMany, unappliedInbox } from "../store/pms-queue.ts";
import type { ServiceContext } from "./context.ts";
import { applyRecord } from "./pms-apply.ts";
import { loadResyncState, type ResyncState } from "./resync.ts";
import { inRoomTx } from "./room-change.ts";

interface Pending {
  record: FiasRecord;
  raw: string;
  at: number;
  seq?: number;
}

const BATCH = 500;

export class PmsIngest {
  private queue: Pending[] = [];
  private draining: Promise<void> | null = null;
  private resync: ResyncState = { active: false, id: 0 };
  /** Records applied since start, for tests and metrics. */
  applied = 0;
  failed = 0;

  /** Every rejected record is in the inbox and on the API; the log gets a sample and a count. */
  private readonly budget: LogBudget;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly charset: Charset,
  ) {
    this.budget = new LogBudget(ctx.logger, ctx.clock);
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
      const batch: Pending[] = [];
      for (const r of rows) {
        const parsed = parseRecord(encode(r.raw, "latin1"), this.charset);
        if (parsed.ok) batch.push({ record: parsed.record, raw: r.raw, at: r.receivedAt, seq: r.seq });
        else {
          this.budget.warn("pms-not-applied", "PMS record not applied", {
            frame: printable(r.raw),
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

  receive(record: FiasRecord, raw: Uint8Array): void {
    this.queue.push({ record, raw: decode(raw, "latin1"), at: this.ctx.clock.now() });
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
            batch.map((p) => ({ type: p.record.type, raw: p.raw, receivedAt: p.at })),
          ),
        );
        batch.forEach((p, i) => {
          p.seq = seqs[i];
        });
      } catch (err) {
        // Not stored means not received: FIAS has no acknowledgement, the next resync brings it back.
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

  private async apply(batch: Pending[]): Promise<void> {
    if (!batch.length) return;
    const saved = { ...this.resync };
    let ops = 0;
    try {
      await inRoomTx(this.ctx, async (u) => {
        await u.prefetch(roomsOf(batch));
        await u.prefetchReservations(batch.map((p) => p.record.fields["G#"]?.trim() ?? ""));
        for (const p of batch) ops += (await applyRecord(this.ctx, u, p.record, this.resync)).ops;
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

  private async applyOne(p: Pending): Promise<number> {
    const saved = { ...this.resync };
    try {
      const ops = await inRoomTx(this.ctx, async (u) => {
        const r = await applyRecord(this.ctx, u, p.record, this.resync);
        await markApplied(u.tx, p.seq as number, this.ctx.clock.now(), null);
        return r.ops;
      });
      this.applied++;
      return ops;
    } catch (err) {
      this.resync = saved;
      this.failed++;
      const message = errorMessage(err);
      this.budget.warn("pms-not-applied", "PMS record not applied", { frame: printable(p.raw), error: message });
      await this.ctx.store.tx((tx) => markApplied(tx, p.seq as number, this.ctx.clock.now(), message));
      return 0;
    }
  }
}

/** The record as received (the inbox keeps its bytes as latin1 text), as the trace shows frames. */
function printable(raw: string): string {
  return showBytes(encode(raw, "latin1"));
}

/** Rooms a batch touches (RN, and RO for moves), to load them in one go. */
function roomsOf(batch: Pending[]): string[] {
  const out: string[] = [];
  for (const p of batch) {
    const rn = p.record.fields.RN?.trim();
    if (rn) out.push(rn);
    const ro = p.record.fields.RO?.trim();
    if (ro) out.push(ro);
  }
  return out;
}
