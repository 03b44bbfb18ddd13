/**
 * @module services/pms-sender
 * Drains the PMS outbox in order whenever the link can send. A row is marked `sending` (committed)
 * before it is written and `sent` after, so a crash between the two never sends it twice.
 */
import { errorMessage } from "../lib/errors.ts";
import { recordFromText } from "../pms/fias/record.ts";
import type { PmsLink } from "../pms/port.ts";
import { pendingOutbox, setOutboxState, settleInterruptedSends } from "../store/pms-queue.ts";
import type { ServiceContext } from "./context.ts";

export class PmsSender {
  private running: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly link: Pick<PmsLink, "canSend" | "send">,
  ) {}

  async init(): Promise<void> {
    const n = await this.ctx.store.tx((tx) => settleInterruptedSends(tx, this.ctx.clock.now()));
    if (n) this.ctx.logger.warn("PMS records interrupted by an unclean stop counted as sent", { count: n });
  }

  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .catch((err) => this.ctx.logger.error("PMS outbox drain failed", { error: errorMessage(err) }))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    const { store, clock, logger } = this.ctx;
    while (this.link.canSend) {
      const rows = await store.read((db) => pendingOutbox(db, 50));
      if (!rows.length) return;
      for (const row of rows) {
        if (!this.link.canSend) return;
        let rec: ReturnType<typeof recordFromText>;
        try {
          rec = recordFromText(row.record);
        } catch (err) {
          logger.error("PMS outbox row is not a valid record; dropped", { id: row.id, error: errorMessage(err) });
          await store.tx((tx) => setOutboxState(tx, row.id, "dropped", clock.now()));
          continue;
        }
        await store.tx((tx) => setOutboxState(tx, row.id, "sending", clock.now()));
        const ok = this.link.send(rec);
        await store.tx((tx) => setOutboxState(tx, row.id, ok ? "sent" : "pending", clock.now()));
        if (!ok) return;
      }
    }
  }
}
