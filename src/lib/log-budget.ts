/**
 * @module log-budget
 * Logging that no input can turn into a disk filler: events a peer can cause at will (a malformed
 * frame, a refused connection, a dropped datagram) are logged per kind of event, the first one of a
 * window at its level with the sample, the rest only counted, and one summary line per window says
 * how many were left out. So each kind costs at most two lines a minute, whatever the rate.
 */
import type { Clock, TimerHandle } from "./clock.ts";
import type { Fields, Logger } from "./logger.ts";

interface Kind {
  /** Start of the current window. */
  since: number;
  /** Events left out in the current window. */
  suppressed: number;
  /** The level and message of the first event, for the summary. */
  level: "info" | "warn" | "error";
  msg: string;
  timer?: TimerHandle;
}

export interface LogBudgetOptions {
  /** Window length; default one minute. */
  windowMs?: number;
}

export class LogBudget {
  private readonly kinds = new Map<string, Kind>();
  private readonly windowMs: number;
  /** Every event seen, logged or not, by kind: for counters in the API. */
  readonly counts = new Map<string, number>();

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock,
    opts: LogBudgetOptions = {},
  ) {
    this.windowMs = opts.windowMs ?? 60_000;
  }

  warn(kind: string, msg: string, fields?: Fields): void {
    this.log("warn", kind, msg, fields);
  }

  info(kind: string, msg: string, fields?: Fields): void {
    this.log("info", kind, msg, fields);
  }

  error(kind: string, msg: string, fields?: Fields): void {
    this.log("error", kind, msg, fields);
  }

  /** Total events of a kind since start. */
  count(kind: string): number {
    return this.counts.get(kind) ?? 0;
  }

  /** Writes the pending summaries now (at stop). */
  flush(): void {
    for (const [name, k] of this.kinds) this.summarize(name, k);
  }

  private log(level: Kind["level"], kind: string, msg: string, fields?: Fields): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    const now = this.clock.now();
    const k = this.kinds.get(kind);
    if (k && now - k.since < this.windowMs) {
      k.suppressed++;
      k.timer ??= this.clock.setTimeout(() => this.summarize(kind, k), k.since + this.windowMs - now);
      return;
    }
    if (k) this.summarize(kind, k);
    this.kinds.set(kind, { since: now, suppressed: 0, level, msg });
    this.logger[level](msg, fields);
  }

  private summarize(kind: string, k: Kind): void {
    this.clock.clearTimeout(k.timer);
    k.timer = undefined;
    if (k.suppressed === 0) return;
    this.logger[k.level](`${k.msg} (${k.suppressed} more not logged)`, {
      kind,
      suppressed: k.suppressed,
      seconds: Math.round((this.clock.now() - k.since) / 1000),
    });
    k.suppressed = 0;
    // The window goes on: the next event in it is counted into the next summary.
  }
}
