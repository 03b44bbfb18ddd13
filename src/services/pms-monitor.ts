/**
 * @module services/pms-monitor
 * Link state, the last frames in and out and the last rejected ones, for the API and the console;
 * and the resync request (DR), which survives restarts as a flag until a DE completes the resync.
 */
import { encode } from "../lib/charset.ts";
import { errorMessage } from "../lib/errors.ts";
import { toWallTime } from "../lib/zoned-time.ts";
import { showBytes } from "../pms/fias/frame.ts";
import type { PmsLink, PmsState, PmsTraceEntry } from "../pms/port.ts";
import { writeAudit } from "../store/audit.ts";
import { getMeta, setMeta } from "../store/meta.ts";
import { rejectedInbox } from "../store/pms-queue.ts";
import type { ServiceContext } from "./context.ts";
import { renderPmsAction } from "./pms-outbox.ts";

/** A received frame or record that changed nothing, and why. */
export interface RejectedRecord {
  at: number;
  /** framing: no record could be cut out; parse: not a FIAS record; apply: a record the room model refused. */
  stage: "framing" | "parse" | "apply";
  /** Printable, as in the trace (control bytes as <XX>). */
  text: string;
  reason: string;
}

export const REJECTED_KEPT = 50;

export class PmsMonitor {
  state: PmsState = "down";
  since: number;
  private frames: PmsTraceEntry[] = [];
  private head = 0;
  /** Framing and parse rejects of this run; apply failures are read from the inbox, across restarts. */
  private rejects: RejectedRecord[] = [];
  /** A DR went out on this link session; the PMS is answering it. */
  private resyncRequested = false;
  link: (Pick<PmsLink, "canSend" | "sendMessage"> & Partial<Pick<PmsLink, "peer">>) | undefined;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly traceSize: number,
  ) {
    this.since = ctx.clock.now();
  }

  onTrace(e: PmsTraceEntry): void {
    if (e.error && e.dir === "in") {
      const stage = e.error.startsWith("framing") ? "framing" : "parse";
      this.rejects.push({ at: e.at, stage, text: e.text, reason: e.error });
      if (this.rejects.length > REJECTED_KEPT) this.rejects.shift();
    }
    if (this.frames.length < this.traceSize) this.frames.push(e);
    else {
      this.frames[this.head] = e;
      this.head = (this.head + 1) % this.traceSize;
    }
  }

  onState(s: PmsState): void {
    if (s === this.state) return;
    if (s === "down" || s === "connecting") {
      this.resyncRequested = false;
      // The link lost a DS before its DE (dropped, or the PMS restarted the link): that DE never
      // comes, so the check-outs the resync implied are unknown. Ask again at the next link-up.
      if (this.state === "resync") this.wantResync();
    }
    this.state = s;
    this.since = this.ctx.clock.now();
  }

  /** Queued on the store now, so the link-up's onReady (later on the same store) sees it. */
  private wantResync(): void {
    this.ctx.logger.warn("PMS resync interrupted before its DE; a new one will be requested");
    this.ctx.store
      .tx((tx) => setMeta(tx, "pms.resyncWanted", "1"))
      .catch((err) => this.ctx.logger.error("cannot note the interrupted resync", { error: errorMessage(err) }));
  }

  /** Oldest first. */
  lastFrames(): PmsTraceEntry[] {
    return [...this.frames.slice(this.head), ...this.frames.slice(0, this.head)];
  }

  /** Called when the link can send: asks for the resync a previous unclean stop or a user wanted. */
  async onReady(): Promise<void> {
    try {
      const wanted = await this.ctx.store.read((db) => getMeta(db, "pms.resyncWanted"));
      if (wanted === "1" && !this.resyncRequested) this.sendDr();
    } catch (err) {
      this.ctx.logger.error("cannot check for a pending resync", { error: errorMessage(err) });
    }
  }

  /** Staff asked for a resync: remembered until done, sent now if the link is up. */
  async requestResync(actor: string): Promise<{ sent: boolean }> {
    await this.ctx.store.tx(async (tx) => {
      await setMeta(tx, "pms.resyncWanted", "1");
      await writeAudit(tx, { actor, action: "pms-resync-request" }, this.ctx.clock.now());
    });
    this.resyncRequested = false;
    return { sent: this.sendDr() };
  }

  private sendDr(): boolean {
    if (!this.link?.canSend) return false;
    const at = toWallTime(this.ctx.clock.now(), this.ctx.timezone);
    const dr = renderPmsAction(this.ctx, { kind: "resync-request", at });
    if (!dr) return false;
    const sent = this.link.sendMessage(dr.text);
    if (sent) {
      this.resyncRequested = true;
      this.ctx.logger.info("requested a database resync from the PMS");
    }
    return sent;
  }

  /** The last {@link REJECTED_KEPT} rejected frames and records, oldest first. */
  async rejected(): Promise<RejectedRecord[]> {
    const rows = await this.ctx.store.read((db) => rejectedInbox(db, REJECTED_KEPT));
    const applied = rows.map((r) => ({
      at: r.receivedAt,
      stage: "apply" as const,
      // The inbox keeps the record's bytes as latin1 text: shown as the trace shows frames.
      text: showBytes(encode(r.raw, "latin1")),
      reason: r.error ?? "",
    }));
    return [...this.rejects, ...applied].sort((a, b) => a.at - b.at).slice(-REJECTED_KEPT);
  }

  /** What is known without the store; GET /api/v1/pms adds {@link rejected}. */
  view() {
    return {
      state: this.state,
      since: new Date(this.since).toISOString(),
      peer: this.link?.peer ?? null,
      frames: this.lastFrames().map((f) => ({
        dir: f.dir,
        at: new Date(f.at).toISOString(),
        text: f.text,
        error: f.error,
      })),
    };
  }
}
