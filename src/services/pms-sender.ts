/**
 * @module services/pms-sender
 * Drains the PMS outbox in order whenever the link can send. A row is marked `sending` (committed)
 * before it is written and `sent` once the link reports it delivered, so a crash between the two
 * never sends it twice (at most once); a row the link gave up on (serial retries spent) goes back
 * to `pending` and is sent again after the next link-up (at least once while the process lives).
 */
import { errorMessage } from "../lib/errors.ts";
import type { PmsLink } from "../pms/port.ts";
import { pendingOutbox, setOutboxState, settleInterruptedSends } from "../store/pms-queue.ts";
import type { ServiceContext } from "./context.ts";
import { isPmsMessage } from "./pms-outbox.ts";

export class PmsSender {
  private running: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly link: Pick<PmsLink, "canSend" | "sendMessage">,
  ) {}

  /** Sends one row and waits for the link's verdict (at once over TCP FIAS, the PMS's ACK over serial). */
  private deliver(text: string): Promise<{ delivered: boolean; reason?: string }> {
    return new Promise((resolve) => {
      const accepted = this.link.sendMessage(text, (delivered, reason) => resolve({ delivered, reason }));
      if (!accepted) resolve({ delivered: false });
    });
  }

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
        if (!isPmsMessage(this.ctx, row.record)) {
          logger.error("PMS outbox row is not a message of the protocol; dropped", { id: row.id, type: row.type });
          await store.tx((tx) => setOutboxState(tx, row.id, "dropped", clock.now()));
          continue;
        }
        await store.tx((tx) => setOutboxState(tx, row.id, "sending", clock.now()));
        const outcome = await this.deliver(row.record);
        await store.tx((tx) => setOutboxState(tx, row.id, outcome.delivered ? "sent" : "pending", clock.now()));
        if (!outcome.delivered) {
          if (outcome.reason)
            logger.warn("PMS record not acknowledged; kept for the next link-up", {
              id: row.id,
              type: row.type,
              reason: outcome.reason,
            });
          return;
        }
      }
    }
  }
}
