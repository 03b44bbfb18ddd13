/**
 * @module sip/rtp/ticker
 * One pacing timer for every RTP stream on a clock. At the top of a wake-up hour 24 prompts start
 * within a millisecond or two, so their frames fall due together: a timer per stream meant 24 timer
 * objects and closures every 20 ms, each timer set only after the sends before it. Here one timer
 * wakes for the earliest deadline and every stream due by then sends, in the order the streams
 * started, so each keeps the same offset within the tick.
 *
 * Streams join a tick by sharing its deadlines exactly: a stream (re)starting its schedule takes
 * the next deadline of a stream already running if one falls in the `ALIGN_MS` before its own
 * (`align`), its second frame going out that much early, once. Near-equal deadlines would instead
 * share a tick only when the timer happened to fire late enough, a millisecond of jitter each time
 * a stream changed sides.
 *
 * A second timer wakes the event loop `PREWAKE_MS` before each tick, and does nothing. Bun starts a
 * collection about once a second on a timer of its own and runs it in the background while the loop
 * sleeps, but what is left of it when the loop's thread wakes is done first, and between ticks
 * nothing else wakes it: measured in bench (h), half of the collections made the next tick a
 * millisecond or more late, for all 24 streams at once. Woken early, the thread does it then.
 *
 * Deadlines stay each stream's own (absolute, base + n × 20 ms: see pacer.ts), so the shared timer
 * firing late never accumulates into drift. One ticker per Clock: production streams share the
 * monotonic clock's, and a test's FakeClock gets its own, advanced like any other timer.
 */
import type { Clock, TimerHandle } from "../../lib/clock.ts";

/** How far before its own deadline a stream may take another's, to share its ticks. */
export const ALIGN_MS = 5;

/** How long before each tick the loop is woken, to finish a collection before the tick (above). */
export const PREWAKE_MS = 2;

/** A stream the ticker paces. */
export interface Paced {
  /** Clock time its next frame is due; `Infinity` when it has none. */
  readonly due: number;
  /** What `due` will be once `tick(now)` has run; no side effects. */
  dueAfter(now: number): number;
  /** Sends the frames due by `now`. Must not throw. */
  tick(now: number): void;
}

const tickers = new WeakMap<Clock, Ticker>();

/** The ticker of `clock`, made on first use. */
export function tickerFor(clock: Clock): Ticker {
  let t = tickers.get(clock);
  if (!t) {
    t = new Ticker(clock);
    tickers.set(clock, t);
  }
  return t;
}

export class Ticker {
  /** Streams in the order they were added; a removed one leaves a hole until the next tick compacts. */
  #streams: (Paced | null)[] = [];
  #live = 0;
  #timer: TimerHandle | undefined;
  #prewake: TimerHandle | undefined;
  /** When the armed timer is due (clock time); `Infinity` when none is armed. */
  #armedFor = Number.POSITIVE_INFINITY;
  #ticking = false;
  /** Bound once: a closure per tick would be garbage 50 times a second. */
  readonly #fire = () => this.#onTimer();
  readonly #woken = () => {
    this.#prewake = undefined;
  };

  constructor(private readonly clock: Clock) {}

  /** Streams being paced. */
  get size(): number {
    return this.#live;
  }

  /** Starts pacing `s`: the timer is moved earlier if `s` is due before it. */
  add(s: Paced): void {
    this.#streams.push(s);
    this.#live++;
    if (!this.#ticking) this.#arm(s.due);
  }

  /**
   * The deadline for a stream whose next frame falls due at `at`: the latest next deadline of the
   * streams already paced in the `ALIGN_MS` before `at`, so it shares their ticks, else `at`.
   */
  align(at: number): number {
    let best = at;
    for (const s of this.#streams) {
      const due = s?.due ?? Number.POSITIVE_INFINITY;
      if (due <= at && due >= at - ALIGN_MS && (best === at || due > best)) best = due;
    }
    return best;
  }

  /** Stops pacing `s`; the timer goes with the last stream. */
  remove(s: Paced): void {
    const i = this.#streams.indexOf(s);
    if (i < 0) return;
    this.#streams[i] = null;
    this.#live--;
    if (this.#live === 0 && !this.#ticking) {
      this.#streams.length = 0;
      this.#disarm();
    }
  }

  #onTimer(): void {
    const now = this.clock.now();
    this.#timer = undefined;
    this.#disarm();
    const streams = this.#streams;
    // The next timer is set before anything is sent: a timer counts from the moment it is set, so
    // one set after 24 sends (~0.5 ms with SRTP) would fire that much later in its millisecond each
    // tick, and jump back a whole one every other tick. Set first, the phase creeps only by the
    // timer's own slack (~0.2 ms).
    let next = Number.POSITIVE_INFINITY;
    for (let i = 0; i < streams.length; i++) {
      const at = streams[i]?.dueAfter(now) ?? next;
      if (at < next) next = at;
    }
    this.#arm(next);
    this.#ticking = true;
    // Streams added by a callback wait for the next tick: their first frame went out on `add`.
    const n = streams.length;
    for (let i = 0; i < n; i++) {
      const s = streams[i];
      if (s && s.due <= now) s.tick(now);
    }
    this.#ticking = false;
    next = Number.POSITIVE_INFINITY;
    let w = 0;
    for (let i = 0; i < streams.length; i++) {
      const s = streams[i];
      if (!s) continue;
      streams[w++] = s;
      if (s.due < next) next = s.due;
    }
    streams.length = w;
    // A stream that stopped leaves an early wake-up behind, which finds nothing due; one added
    // meanwhile, or one whose send failed, may need an earlier one.
    if (w === 0) this.#disarm();
    else this.#arm(next);
  }

  /** Arms the timer for `at` unless it is already due by then. */
  #arm(at: number): void {
    if (at === Number.POSITIVE_INFINITY || at >= this.#armedFor) return;
    this.#disarm();
    this.#armedFor = at;
    const ms = at - this.clock.now();
    this.#timer = this.clock.setTimeout(this.#fire, ms);
    if (ms > PREWAKE_MS + 1) this.#prewake = this.clock.setTimeout(this.#woken, ms - PREWAKE_MS);
  }

  #disarm(): void {
    if (this.#timer) this.clock.clearTimeout(this.#timer);
    if (this.#prewake) this.clock.clearTimeout(this.#prewake);
    this.#timer = undefined;
    this.#prewake = undefined;
    this.#armedFor = Number.POSITIVE_INFINITY;
  }
}
