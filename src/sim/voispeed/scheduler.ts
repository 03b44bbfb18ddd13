/**
 * @module sim/voispeed/scheduler
 * Accepted asynchronous requests: a request_id at once, the work after a delay, and a cmd_failed user
 * event (`ext`, `request_id`, `error_msg`) when it fails, by an injected fault or for real. Faults are
 * matched when the request is accepted, so "the next N" counts requests in arrival order.
 */
import { errorMessage } from "../../lib/errors.ts";
import { sleep } from "./http.ts";
import { SimFailure } from "./model.ts";
import type { Notifier } from "./notify.ts";

/** An accepted asynchronous request and what became of it. */
export interface SimCommand {
  requestId: string;
  service: string;
  ext: string;
  status: "pending" | "done" | "failed";
  error?: string;
}

export class Scheduler {
  readonly commands: SimCommand[] = [];
  delayMs: number;
  private readonly pending = new Set<Promise<void>>();
  private readonly faults: { match: string; error: string }[] = [];
  private lastRequestId = 0;

  constructor(
    private readonly notifier: Notifier,
    private readonly now: () => number,
    delayMs: number,
  ) {
    this.delayMs = delayMs;
  }

  /** The next `count` accepted commands of this service, or for this extension, fail. */
  failNext(serviceOrExt: string, count: number, error: string): void {
    for (let i = 0; i < count; i++) this.faults.push({ match: serviceOrExt, error });
  }

  accept(service: string, ext: string, run: () => Promise<void> | void): string {
    const requestId = this.nextRequestId();
    const cmd: SimCommand = { requestId, service, ext, status: "pending" };
    this.commands.push(cmd);
    const i = this.faults.findIndex((f) => f.match === service || (ext !== "" && f.match === ext));
    const injected = i >= 0 ? this.faults.splice(i, 1)[0].error : null;
    const p: Promise<void> = sleep(this.delayMs)
      .then(async () => {
        if (injected !== null) throw new SimFailure(injected);
        await run();
        cmd.status = "done";
      })
      .catch((err) => {
        cmd.status = "failed";
        cmd.error = err instanceof SimFailure ? err.message : `internal error: ${errorMessage(err)}`;
        this.notifier.user("cmd_failed", ext, { request_id: requestId, error_msg: cmd.error });
      })
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
    return requestId;
  }

  /** Resolves when every accepted command has run and every event has been delivered. */
  async idle(): Promise<void> {
    do {
      await Promise.all([...this.pending]);
      await this.notifier.idle();
    } while (this.pending.size);
  }

  private nextRequestId(): string {
    // ~14 digits like the seed's 15652770917203: epoch seconds and a counter, always increasing.
    this.lastRequestId = Math.max(this.lastRequestId + 1, Math.floor(this.now() / 1000) * 10000);
    return String(this.lastRequestId);
  }
}
