/** @module backoff: exponential reconnect delays with jitter, reset after a good session. */

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor?: number;
  /** 0..1, fraction of the delay randomised to avoid reconnect storms. */
  jitter?: number;
}

export class Backoff {
  private attempt = 0;
  constructor(
    private readonly opts: BackoffOptions,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    const { initialMs, maxMs, factor = 2, jitter = 0.2 } = this.opts;
    const base = Math.min(maxMs, initialMs * factor ** this.attempt);
    this.attempt++;
    const spread = base * jitter;
    return Math.round(base - spread + this.random() * 2 * spread);
  }

  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
