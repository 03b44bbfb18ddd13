/**
 * @module sim/pms/inbox
 * The records the simulator received, and `waitFor` over them: a pattern is matched against records
 * not yet consumed by an earlier wait — including those that arrived before the call — and each
 * record satisfies at most one wait. Timeouts run on the simulator's clock.
 */
import type { Clock, TimerHandle } from "../../lib/clock.ts";
import { type FiasRecord, formatRecord } from "../../pms/fias/record.ts";
import { type Matcher, type RecordMatch, toMatcher } from "./match.ts";

export interface ReceivedRecord {
  record: FiasRecord;
  /** Milliseconds since the epoch, on the simulator's clock. */
  at: number;
  /** Which connection it came on (1 for the first). */
  connection: number;
}

interface Waiter {
  matcher: Matcher;
  resolve: (rec: FiasRecord) => void;
  reject: (err: Error) => void;
  timer: TimerHandle;
}

export class Inbox {
  /** Every record received, in order, across connections. */
  readonly received: ReceivedRecord[] = [];
  private taken: boolean[] = [];
  /** Every received record before this index was consumed by a waitFor. */
  private cursor = 0;
  private waiters: Waiter[] = [];

  constructor(private readonly clock: Clock) {}

  /** Stores a record; `deliver` then hands it to a waiting `waitFor`. Returns its index. */
  add(entry: ReceivedRecord): number {
    return this.received.push(entry) - 1;
  }

  deliver(index: number): void {
    const record = this.received[index].record;
    const waiter = this.waiters.find((w) => w.matcher.test(record));
    if (!waiter) return;
    this.waiters = this.waiters.filter((w) => w !== waiter);
    this.clock.clearTimeout(waiter.timer);
    waiter.resolve(this.take(index));
  }

  waitFor(match: RecordMatch, timeoutMs: number): Promise<FiasRecord> {
    const matcher = toMatcher(match);
    for (let i = this.cursor; i < this.received.length; i++) {
      if (!this.taken[i] && matcher.test(this.received[i].record)) return Promise.resolve(this.take(i));
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        matcher,
        resolve,
        reject,
        timer: this.clock.setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(
            new Error(`waitFor ${matcher.describe}: no match within ${timeoutMs} ms; ${this.describeUnconsumed()}`),
          );
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  rejectAll(err: Error): void {
    for (const w of this.waiters.splice(0)) {
      this.clock.clearTimeout(w.timer);
      w.reject(err);
    }
  }

  private take(index: number): FiasRecord {
    this.taken[index] = true;
    while (this.taken[this.cursor]) this.cursor++;
    return this.received[index].record;
  }

  private describeUnconsumed(): string {
    const pending: string[] = [];
    for (let i = this.received.length - 1; i >= this.cursor && pending.length < 5; i--) {
      if (!this.taken[i]) pending.unshift(formatRecord(this.received[i].record));
    }
    return pending.length ? `latest unconsumed: ${pending.join(" ")}` : "nothing unconsumed received";
  }
}
