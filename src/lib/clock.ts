/**
 * @module clock
 * Time and timers behind one interface so link and transaction state machines can be driven by a
 * fake clock in tests instead of sleeping.
 */

export type TimerHandle = { readonly id: number };

export interface Clock {
  /**
   * Milliseconds: since the epoch for `systemClock` and `FakeClock`; from an arbitrary origin for
   * `monotonicClock`, whose readings only make sense subtracted from one another.
   */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
}

let nextId = 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    return { id: nextId++, t } as TimerHandle;
  },
  clearTimeout(handle) {
    if (handle) clearTimeout((handle as unknown as { t: ReturnType<typeof setTimeout> }).t);
  },
};

/**
 * performance.now() never steps, while Date.now() jumps when NTP or the RTC sets the appliance clock
 * (often seconds or hours at boot): a media pacer on the wall clock would then burst or stall.
 * Delays are rounded up to whole milliseconds because timers truncate fractions and would fire just
 * before a fractional deadline, waking the caller twice per period.
 */
export const monotonicClock: Clock = {
  now: () => performance.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, Math.max(0, Math.ceil(ms)));
    return { id: nextId++, t } as TimerHandle;
  },
  clearTimeout: systemClock.clearTimeout,
};

type Pending = { id: number; at: number; fn: () => void };

/** Manual clock: timers fire only when `advance` moves time past them. */
export class FakeClock implements Clock {
  private current: number;
  private timers: Pending[] = [];

  constructor(start = Date.UTC(2026, 0, 1, 12, 0, 0)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const p = { id: nextId++, at: this.current + Math.max(0, ms), fn };
    this.timers.push(p);
    return { id: p.id };
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (!handle) return;
    this.timers = this.timers.filter((t) => t.id !== handle.id);
  }

  /** Moves time forward, firing due timers in order (timers set by callbacks fire too if due). */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      let next: Pending | undefined;
      for (const t of this.timers) if (t.at <= target && (!next || t.at < next.at)) next = t;
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.current = next.at;
      next.fn();
    }
    this.current = target;
  }

  pendingTimers(): number {
    return this.timers.length;
  }

  /** When the earliest pending timer fires, if any: lets a replay jump straight to the next event. */
  nextTimerAt(): number | undefined {
    let at: number | undefined;
    for (const t of this.timers) if (at === undefined || t.at < at) at = t.at;
    return at;
  }
}
