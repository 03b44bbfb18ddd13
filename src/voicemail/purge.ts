/**
 * @module voicemail/purge
 * The daily purge of expired voicemail archives, at `voicemail.purgeAt` hotel time, on the injected
 * clock. It also runs once at start (a purge missed while the appliance was off is not left for a
 * day) and, with `voicemail.archiveDays` 0, right after a stay is archived (`kick`, wired to the
 * `voicemailArchived` hook): "0 = delete at check-out". Expiry is by the archive's timestamp, not by
 * when the purge happens to run, so a late or repeated run deletes exactly what is due.
 */
import { errorMessage } from "../lib/errors.ts";
import { nextTimeOfDay } from "../lib/time-of-day.ts";
import type { ServiceContext } from "../services/context.ts";
import { purgeExpiredVoicemail } from "../services/voicemail-staff.ts";

export interface VoicemailPurge {
  /** A stay was archived: with archiveDays 0, purge now (coalesced); otherwise nothing to do. */
  kick(): void;
  /** Runs a purge now; resolves with the messages deleted. */
  runNow(): Promise<number>;
  /** Resolves once no purge is running or queued (tests, shutdown). */
  idle(): Promise<void>;
  stop(): void;
}

export function startVoicemailPurge(ctx: ServiceContext): VoicemailPurge {
  const { clock } = ctx;
  const log = ctx.logger.child({ component: "voicemail-purge" });
  const [hh, mm] = ctx.voicemail.purgeAt.split(":").map(Number);
  let timer: ReturnType<typeof clock.setTimeout> | undefined;
  let stopped = false;
  let running: Promise<number> | undefined;
  let again = false;

  const run = (): Promise<number> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let total = 0;
      do {
        again = false;
        try {
          total += await purgeExpiredVoicemail(ctx);
        } catch (err) {
          // The next run (tomorrow, the next kick or start) tries again; nothing is lost by waiting.
          log.error("voicemail purge failed", { error: errorMessage(err) });
        }
      } while (again && !stopped);
      return total;
    })().finally(() => {
      running = undefined;
    });
    return running;
  };

  const schedule = () => {
    if (stopped) return;
    const at = nextTimeOfDay(clock.now(), hh, mm, ctx.timezone);
    timer = clock.setTimeout(() => {
      void run().finally(schedule);
    }, at - clock.now());
  };

  void run();
  schedule();

  return {
    kick() {
      if (!stopped && ctx.voicemail.archiveDays === 0) void run();
    },
    runNow: run,
    async idle() {
      while (running) await running;
    },
    stop() {
      stopped = true;
      clock.clearTimeout(timer);
    },
  };
}
