/**
 * @module token-bucket
 * A rate limiter: `ratePerSecond` tokens a second, bursts up to `burst`. `take()` resolves when a
 * token is free, waiting on the injected clock.
 */
import type { Clock } from "./clock.ts";

export class TokenBucket {
  private tokens: number;
  private last: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly clock: Clock,
    private readonly ratePerSecond: number,
    private readonly burst = Math.max(1, ratePerSecond / 10),
  ) {
    this.tokens = this.burst;
    this.last = clock.now();
  }

  /** Waits for a token; callers are served in order. */
  take(): Promise<void> {
    this.queue = this.queue.then(() => this.wait());
    return this.queue;
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
    this.last = now;
  }

  private async wait(): Promise<void> {
    this.refill();
    if (this.tokens < 1) {
      const ms = ((1 - this.tokens) / this.ratePerSecond) * 1000;
      await new Promise<void>((r) => this.clock.setTimeout(r, ms));
      this.refill();
    }
    this.tokens -= 1;
  }
}
