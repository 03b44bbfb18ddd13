/**
 * @module lib/loop-lag
 * How late the event loop runs timers: a timer asks for `sampleMs` and the lag is how much later it
 * fired. A loop busy with one long task (a big resync, a synchronous query) shows as lag; a loop
 * blocked for good takes no sample at all, which `healthy` also treats as unhealthy (the sample
 * is stale). Read by the systemd watchdog (lib/watchdog.ts) and GET /metrics.
 */
import { type Clock, monotonicClock, type TimerHandle } from "./clock.ts";

export interface LoopLagOptions {
  /** Monotonic by default: a wall-clock step (NTP at boot) is not lag. */
  clock?: Clock;
  sampleMs?: number;
}

export class LoopLag {
  /** The last sample, in ms. */
  lagMs = 0;
  /** When the last sample was taken (the clock's time); undefined before the first. */
  sampledAt: number | undefined;
  readonly sampleMs: number;
  private readonly clock: Clock;
  private timer: TimerHandle | undefined;
  private peakMs = 0;

  constructor(opts: LoopLagOptions = {}) {
    this.clock = opts.clock ?? monotonicClock;
    this.sampleMs = opts.sampleMs ?? 500;
  }

  start(): this {
    if (!this.timer) this.schedule();
    return this;
  }

  stop(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The largest lag since the last call: a scrape every 15 s would miss a spike between two samples. */
  takePeak(): number {
    const peak = Math.max(this.peakMs, this.lagMs);
    this.peakMs = 0;
    return peak;
  }

  /**
   * The loop ran its last sample recently and that sample was under `maxLagMs`. Right after start,
   * before the first sample, it counts as healthy.
   */
  healthy(maxLagMs: number): boolean {
    const now = this.clock.now();
    const last = this.sampledAt ?? now;
    // A sample overdue by more than maxLagMs is lag the next sample would show.
    if (now - last - this.sampleMs > maxLagMs) return false;
    return this.lagMs <= maxLagMs;
  }

  private schedule(): void {
    const expected = this.clock.now() + this.sampleMs;
    this.timer = this.clock.setTimeout(() => {
      const now = this.clock.now();
      this.lagMs = Math.max(0, now - expected);
      this.peakMs = Math.max(this.peakMs, this.lagMs);
      this.sampledAt = now;
      this.schedule();
    }, this.sampleMs);
    unref(this.timer);
  }
}

/** Sampling alone must not keep a process alive (a CLI command, a test). */
function unref(handle: TimerHandle): void {
  const t = (handle as unknown as { t?: { unref?: () => void } }).t;
  t?.unref?.();
}
