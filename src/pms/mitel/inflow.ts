/**
 * @module mitel/inflow
 * What one connection's receiving side keeps besides the line state (session.ts): ACKed messages on
 * their way up, the watch on an open GRS cycle, and the garbage budget.
 *
 * An ACKed message goes up a moment later: at our ACK to the PMS's next bid (`release`), or after
 * `holdDeliveryMs`. The appliance stores each message as it gets it, which keeps the event loop busy
 * for a while; done right after our ACK it would delay our answer to the PMS's next ENQ, done after
 * that answer it overlaps the next message's time on the wire (bench/mitel-resync.ts). Order is kept,
 * and a connection that closes hands up what it holds first, so an ACKed message is never dropped.
 */
import type { Clock, TimerHandle } from "../../lib/clock.ts";
import type { MitelMessage } from "./messages.ts";

export interface InflowOptions {
  clock: Clock;
  holdDeliveryMs: number;
  resyncIdleMs: number;
  maxGarbageBytesPerSecond: number;
}

export class Inflow {
  private held: { m: MitelMessage; raw: Uint8Array }[] = [];
  private heldTimer: TimerHandle | undefined;
  private resyncTimer: TimerHandle | undefined;
  private garbage = { start: 0, bytes: 0 };

  constructor(
    private readonly o: InflowOptions,
    private readonly up: (m: MitelMessage, raw: Uint8Array) => void,
    private readonly resyncIdle: () => void,
  ) {}

  /** An ACKed message: up now (holdDeliveryMs 0) or at the next release. */
  deliver(m: MitelMessage, raw: Uint8Array): void {
    if (this.o.holdDeliveryMs <= 0) {
      this.up(m, raw);
      return;
    }
    this.held.push({ m, raw });
    this.heldTimer ??= this.o.clock.setTimeout(() => this.release(), this.o.holdDeliveryMs);
  }

  /** Hands up every message held, in order. */
  release(): void {
    this.o.clock.clearTimeout(this.heldTimer);
    this.heldTimer = undefined;
    for (const h of this.held.splice(0)) this.up(h.m, h.raw);
  }

  /** (Re)starts the GRS cycle's idle watch: `resyncIdle` runs after resyncIdleMs without a message. */
  watchResync(): void {
    this.o.clock.clearTimeout(this.resyncTimer);
    this.resyncTimer = this.o.clock.setTimeout(() => {
      this.resyncTimer = undefined;
      this.resyncIdle();
    }, this.o.resyncIdleMs);
  }

  stopResyncWatch(): void {
    this.o.clock.clearTimeout(this.resyncTimer);
    this.resyncTimer = undefined;
  }

  /** Counts bytes outside frames; true when more than the budget came within a second. */
  garbageOver(n: number): boolean {
    const now = this.o.clock.now();
    const w = this.garbage;
    if (now - w.start >= 1000) {
      w.start = now;
      w.bytes = 0;
    }
    w.bytes += n;
    return w.bytes > this.o.maxGarbageBytesPerSecond;
  }

  /** Hands up what is held, then stops every timer. */
  close(): void {
    this.release();
    this.stopResyncWatch();
  }
}
