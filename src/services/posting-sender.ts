/**
 * @module services/posting-sender
 * Sends postings to the PMS one at a time (FIAS: one PS in flight, wait for its PA before the next).
 *
 * For each posting: take the next P# (persisted), render the record, mark it `sending` and commit,
 * and only then write it; wait for the PA with that P# (`answerTimeoutMs`, 30 s as FIAS says). The
 * answer is recorded on the posting by the ingest, in the transaction that applies the PA
 * (services/postings.ts `applyPostingAnswer`), and reaches this sender through `answered` (the
 * `postingAnswered` hook). No answer in time, or the link lost the record: the same record, same P#
 * and DA/TI, goes once more when the link can send (a PMS that drops duplicate P#s then books it
 * once); still no answer: `failed`, for staff.
 *
 * Nothing goes while `link.canSend` is false: link down, the link start, after the PMS's LE, or a
 * resync between DS and DE. `linkReady()` (or `kick()`) starts sending again.
 *
 * At most once across a crash: a posting found `sending` at start was written, or about to be, and
 * its answer never recorded; the PMS may or may not have booked it, and FIAS gives no way to ask.
 * `init()` makes it `uncertain`, and it is never resent automatically: staff check the folio and
 * retry it (POST /api/v1/postings/{id}/retry) or leave it. A late PA for it still settles it.
 */
import type { PostingAnswer } from "../domain/pms-events.ts";
import type { TimerHandle } from "../lib/clock.ts";
import { errorMessage } from "../lib/errors.ts";
import type { PmsLink } from "../pms/port.ts";
import { writeAudit } from "../store/audit.ts";
import type { Queryable } from "../store/db.ts";
import {
  getPosting,
  markInterruptedUncertain,
  nextDuePosting,
  nextHeldPostingAt,
  type PostingRow,
  takePostingSequence,
  updatePosting,
} from "../store/postings.ts";
import type { ServiceContext } from "./context.ts";
import { renderPosting } from "./postings.ts";

export interface PostingSenderOptions {
  /** How long to wait for the PMS's answer (FIAS: 30 s by default). */
  answerTimeoutMs?: number;
  /** Identical resends after no answer before the posting fails (the spec's advice: one). */
  resends?: number;
  /**
   * The protocol answers postings (FIAS PA; default true). Mitel's MR has no answer: there the
   * link's delivery verdict (the PMS's ACK) settles the posting as accepted.
   */
  answers?: boolean;
}

type Outcome = { kind: "answer" } | { kind: "delivered" } | { kind: "no-answer"; reason: string };

export class PostingSender {
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private waiting: { sequence: number; settle(o: Outcome): void } | null = null;
  private heldTimer: TimerHandle | undefined;
  private readonly answerTimeoutMs: number;
  private readonly resends: number;
  private readonly answers: boolean;
  /** Postings sent since start (each transmission), for tests and the bench. */
  sent = 0;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly link: Pick<PmsLink, "canSend" | "sendMessage">,
    opts: PostingSenderOptions = {},
  ) {
    this.answerTimeoutMs = opts.answerTimeoutMs ?? 30_000;
    this.resends = opts.resends ?? 1;
    this.answers = opts.answers ?? true;
  }

  /** Before the link starts: postings a stop left waiting for their answer become `uncertain`. */
  async init(): Promise<void> {
    const { store, clock, logger } = this.ctx;
    const rows = await store.tx(async (tx) => {
      const now = clock.now();
      const interrupted = await markInterruptedUncertain(tx, now);
      for (const r of interrupted) {
        await writeAudit(
          tx,
          {
            actor: "system",
            action: "posting-uncertain",
            room: r.room,
            after: { id: r.id, sequence: r.sequence, record: r.record },
          },
          now,
        );
      }
      return interrupted;
    });
    for (const r of rows)
      logger.warn("posting may or may not be booked (the appliance stopped before the PMS answered); staff decide", {
        id: r.id,
        room: r.room,
        sequence: r.sequence,
      });
  }

  /** Look for postings to send (new ones, the link back up, a held one due). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .catch((err) => this.ctx.logger.error("posting sender failed", { error: errorMessage(err) }))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** The link can send again (linked, or a resync ended). */
  linkReady(): void {
    this.kick();
  }

  /**
   * The link went down. A posting waiting for its answer keeps waiting (the PA may come on the next
   * connection); the resend waits for the link.
   */
  linkDown(): void {}

  /** The PMS answered a posting (the ingest recorded it); `postingAnswered` hook. */
  answered(a: PostingAnswer): void {
    const w = this.waiting;
    if (w && (a.sequence === undefined || a.sequence === w.sequence)) w.settle({ kind: "answer" });
    // A late answer may have made a posting pending again (retry later): look once it committed.
    else this.kick();
  }

  /** Resolves when nothing is being sent or waited for. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /**
   * Stops sending. A posting waiting for its answer gets up to `waitMs` for it (an orderly stop);
   * without the answer by then it stays `sending`, and the next start makes it `uncertain`.
   */
  async stop(waitMs = 0): Promise<void> {
    const { clock } = this.ctx;
    this.stopped = true;
    clock.clearTimeout(this.heldTimer);
    if (waitMs > 0 && this.waiting) {
      await new Promise<void>((resolve) => {
        const timer = clock.setTimeout(resolve, waitMs);
        void this.idle().then(() => {
          clock.clearTimeout(timer);
          resolve();
        });
      });
    }
    this.waiting?.settle({ kind: "no-answer", reason: "stopped" });
    await this.idle();
  }

  private async drain(): Promise<void> {
    const { store, clock } = this.ctx;
    while (!this.stopped && this.link.canSend) {
      const row = await store.read((db) => nextDuePosting(db, clock.now()));
      if (!row) return this.scheduleHeld();
      if (!(await this.sendOne(row.id))) return;
    }
  }

  /** Wakes up when the first posting held back by a "retry later" answer is due. */
  private async scheduleHeld(): Promise<void> {
    const { store, clock } = this.ctx;
    const at = await store.read((db) => nextHeldPostingAt(db));
    clock.clearTimeout(this.heldTimer);
    this.heldTimer = undefined;
    if (at === undefined || this.stopped) return;
    this.heldTimer = clock.setTimeout(() => this.kick(), Math.max(0, at - clock.now()));
  }

  /** One transmission and its answer; false when the link took nothing (stop sending for now). */
  private async sendOne(id: number): Promise<boolean> {
    const { store, clock, logger } = this.ctx;
    const out = await store.tx((tx) => this.prepare(tx, id));
    if (!out) return true;
    if ("error" in out) {
      logger.error("posting cannot be sent", { id, error: out.error });
      return true;
    }
    const { sequence, record } = out;
    const outcome = new Promise<Outcome>((resolve) => {
      const timer = clock.setTimeout(
        () => settle({ kind: "no-answer", reason: `no answer (PA) within ${this.answerTimeoutMs / 1000} s` }),
        this.answerTimeoutMs,
      );
      const settle = (o: Outcome) => {
        clock.clearTimeout(timer);
        if (this.waiting?.sequence === sequence) this.waiting = null;
        resolve(o);
      };
      this.waiting = { sequence, settle };
    });
    const taken = this.link.sendMessage(record, (delivered, reason) => {
      if (!delivered) this.waiting?.settle({ kind: "no-answer", reason: `the link gave it up: ${reason ?? "?"}` });
      else if (!this.answers) this.waiting?.settle({ kind: "delivered" });
    });
    if (!taken) {
      // Nothing went out (the link dropped a moment ago): pending again, as it was.
      this.waiting?.settle({ kind: "no-answer", reason: "not taken" });
      await store.tx(async (tx) => {
        const cur = await getPosting(tx, id);
        if (cur?.state === "sending" && cur.sequence === sequence)
          await updatePosting(tx, id, { state: "pending", attempts: cur.attempts - 1 }, clock.now());
      });
      return false;
    }
    this.sent++;
    const o = await outcome;
    if (o.kind === "answer" || this.stopped) return true;
    if (o.kind === "delivered") await store.tx((tx) => this.delivered(tx, id, sequence));
    else await store.tx((tx) => this.unanswered(tx, id, sequence, o.reason));
    return true;
  }

  /** Marks the posting `sending` with its P# and record, committed before a byte is written. */
  private async prepare(
    tx: Queryable,
    id: number,
  ): Promise<{ sequence: number; record: string } | { error: string } | undefined> {
    const now = this.ctx.clock.now();
    const row = await getPosting(tx, id);
    if (row?.state !== "pending") return undefined;
    let { sequence, record } = row;
    if (sequence === null || record === null) {
      sequence = await takePostingSequence(tx);
      record = renderPosting(this.ctx, row, sequence) ?? null;
      if (record === null) {
        const answerText = "the PMS protocol has no message for this posting";
        await updatePosting(tx, id, { state: "failed", answerText }, now);
        return { error: answerText };
      }
    }
    await updatePosting(tx, id, { state: "sending", sequence, record, attempts: row.attempts + 1, sentAt: now }, now);
    return { sequence, record };
  }

  /** A protocol without posting answers: acknowledged by the PMS is as far as anyone can tell. */
  private async delivered(tx: Queryable, id: number, sequence: number): Promise<void> {
    const now = this.ctx.clock.now();
    const row = await getPosting(tx, id);
    if (row?.state !== "sending" || row.sequence !== sequence) return;
    const answerText = "delivered (the PMS protocol has no posting answer)";
    await updatePosting(tx, id, { state: "accepted", answerText, answeredAt: now }, now);
  }

  /** No answer to this transmission: the identical record once more when the link can, then failed. */
  private async unanswered(tx: Queryable, id: number, sequence: number, reason: string): Promise<void> {
    const now = this.ctx.clock.now();
    const row = await getPosting(tx, id);
    // Answered meanwhile (a PA applied just as the timer fired), or settled by staff.
    if (row?.state !== "sending" || row.sequence !== sequence) return;
    const unanswered = row.unanswered + 1;
    const log = { id, room: row.room, sequence, reason };
    if (unanswered > this.resends) {
      const answerText = `${reason}; sent ${unanswered} times`;
      await updatePosting(tx, id, { state: "failed", unanswered, answerText }, now);
      this.ctx.logger.warn("posting failed: the PMS did not answer", log);
      return;
    }
    await updatePosting(tx, id, { state: "pending", unanswered, answerText: reason }, now);
    await writeAudit(tx, possibleDuplicate(row), now);
    this.ctx.logger.warn("posting not answered; the same record goes again", log);
  }
}

/** The audit line a resend leaves: if the PMS booked the first one, the folio may show it twice. */
function possibleDuplicate(row: PostingRow) {
  return {
    actor: "system",
    action: "posting-resend",
    room: row.room,
    after: {
      id: row.id,
      sequence: row.sequence,
      record: row.record,
      note: "possible duplicate if the PMS booked the first",
    },
  };
}
