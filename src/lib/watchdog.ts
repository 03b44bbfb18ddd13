/**
 * @module lib/watchdog
 * The service manager's side of the appliance (systemd Type=notify, WatchdogSec=): READY=1 once the
 * appliance is up, then WATCHDOG=1 from a timer on the event loop, but only while that loop is
 * healthy (LoopLag). A blocked loop runs no timer, and a loop lagging more than half the watchdog
 * period is counted as blocked: either way the feeding stops and systemd restarts the process.
 * How a notification reaches systemd is the runtime's business (runtime/notify.ts).
 */
import type { Clock, TimerHandle } from "./clock.ts";
import { systemClock } from "./clock.ts";
import { errorMessage } from "./errors.ts";
import type { Logger } from "./logger.ts";
import type { LoopLag } from "./loop-lag.ts";

/** sd_notify(3) as the runtime offers it. */
export interface ServiceNotifier {
  /** Sends the assignments (`READY=1`, `WATCHDOG=1`, `STATUS=…`) in one notification. */
  notify(...assignments: string[]): Promise<void>;
  /** The watchdog period systemd set for this process (WATCHDOG_USEC), in ms; undefined = none. */
  readonly watchdogMs: number | undefined;
}

export interface SupervisionOptions {
  notifier: ServiceNotifier;
  lag: Pick<LoopLag, "healthy" | "lagMs">;
  logger: Logger;
  clock?: Clock;
  /** Feed this often; default a third of the watchdog period (sd_watchdog_enabled(3) says half at most). */
  intervalMs?: number;
  /** Lag above which the loop counts as blocked; default half the watchdog period. */
  maxLagMs?: number;
}

export interface Supervision {
  /** STOPPING=1: the stop that follows is not a hang. */
  stopping(): void;
  stop(): void;
  /** Feeds sent and skipped (lag, or the previous notification still under way). */
  readonly fed: number;
  readonly skipped: number;
}

/** Announces readiness and starts feeding the watchdog when systemd asked for one. */
export function superviseWithSystemd(opts: SupervisionOptions): Supervision {
  const { notifier, lag, logger } = opts;
  const clock = opts.clock ?? systemClock;
  const send = (...a: string[]) =>
    notifier
      .notify(...a)
      .catch((err) => logger.error("systemd notification failed", { state: a.join(" "), error: errorMessage(err) }));
  void send("READY=1", "STATUS=running");

  const period = notifier.watchdogMs;
  let timer: TimerHandle | undefined;
  let inFlight = false;
  let wasHealthy = true;
  const state = { fed: 0, skipped: 0 };
  if (period !== undefined && period > 0) {
    const intervalMs = opts.intervalMs ?? Math.max(50, Math.floor(period / 3));
    const maxLagMs = opts.maxLagMs ?? period / 2;
    const tick = () => {
      timer = clock.setTimeout(tick, intervalMs);
      const healthy = lag.healthy(maxLagMs);
      if (healthy !== wasHealthy) {
        wasHealthy = healthy;
        if (healthy) logger.info("event loop healthy again: watchdog fed");
        else logger.error("event loop lagging: watchdog not fed", { lagMs: Math.round(lag.lagMs), maxLagMs });
      }
      // A notification still under way (systemd-notify waits for systemd to take it) is not doubled up.
      if (!healthy || inFlight) {
        state.skipped++;
        return;
      }
      inFlight = true;
      state.fed++;
      send("WATCHDOG=1").finally(() => {
        inFlight = false;
      });
    };
    timer = clock.setTimeout(tick, intervalMs);
    logger.info("systemd watchdog fed from the event loop", { periodMs: period, intervalMs, maxLagMs });
  }

  return {
    stopping() {
      void send("STOPPING=1");
    },
    stop() {
      clock.clearTimeout(timer);
      timer = undefined;
    },
    get fed() {
      return state.fed;
    },
    get skipped() {
      return state.skipped;
    },
  };
}
