/**
 * @module app/stop
 * The appliance's orderly stop: named steps in order within one time budget. A step that fails or
 * runs out of time is logged and the rest still run; the stop is then unclean (a resync follows).
 */
import { errorMessage } from "../lib/errors.ts";
import type { Logger } from "../lib/logger.ts";
import { settlesWithin } from "../lib/within.ts";

/**
 * systemd kills the process TimeoutStopSec (20 s) after SIGTERM. The stop steps share this much of it,
 * so the store is still closed in time; a step cut short makes the stop unclean (a resync follows).
 */
export const STOP_BUDGET_MS = 15_000;

export type StopStep = [name: string, step: () => Promise<unknown>];

/** Runs every step; true when all finished in time without error. */
export async function runStopSteps(steps: readonly StopStep[], logger: Logger): Promise<boolean> {
  let clean = true;
  const deadline = Date.now() + STOP_BUDGET_MS;
  for (const [name, step] of steps) {
    try {
      // Real time, not the appliance's clock: systemd's timer is what runs out.
      if (!(await settlesWithin(step(), deadline - Date.now()))) {
        clean = false;
        logger.error("stop step did not finish in time; going on", { part: name });
      }
    } catch (err) {
      clean = false;
      logger.error("error while stopping", { part: name, error: errorMessage(err) });
    }
  }
  return clean;
}
