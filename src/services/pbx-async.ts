/**
 * @module services/pbx-async
 * A PBX op that the phone system accepted and then failed to carry out. VOIspeed answers
 * `outcome 0` + `request_id` ("validated, will run later"); the job is done then, with that id as its
 * external reference. If running it fails, VOIspeed sends a `cmd_failed` event naming the id, and the
 * endpoint that receives it calls `failPbxJobLater`:
 * - the job is reopened as the link's policy says for that attempt (stamped on the row by the runner:
 *   retry after `intervalSeconds`, doubling with `retryBackoff`), or becomes a dead letter once its
 *   retries are used, with the phone system's error text;
 * - reopened, it runs again before the room's later jobs on that link, and those of them that were
 *   done already run again after it, so the phone system ends in the state of the room's newest op
 *   (a failed "DND on" retried after a successful "DND off" would otherwise leave DND on);
 * - the runner is kicked.
 * A reference no done job carries is "unknown": a failure reported twice, for a job already reopened
 * or re-run, or for a request that was not ours. The runner commits a reference the moment the op
 * returns, but the event may still overtake that commit by a hair, so an unknown reference is looked
 * up again for a short grace period (1 s) before the answer is "unknown".
 */
import { errorMessage } from "../lib/errors.ts";
import { doneJobByRef, finishJob, type JobRow, laterDoneJobs } from "../store/pbx-jobs.ts";
import type { ServiceContext } from "./context.ts";

export type LateFailureOutcome = "reopened" | "dead" | "unknown";

export interface LateFailureOptions {
  /** How long an unknown reference is looked for again (real time); default 1000 ms. */
  graceMs?: number;
}

export const LATE_FAILURE_GRACE_MS = 1000;
const LOOK_AGAIN_MS = 50;

interface Applied {
  outcome: LateFailureOutcome;
  job?: JobRow;
  requeued?: number[];
}

/**
 * Reopens (or dead-letters) the job of `link` whose accepted op the far end knows as `externalRef`,
 * because it failed afterwards with `error` (the phone system's text). See the module comment.
 */
export async function failPbxJobLater(
  ctx: ServiceContext,
  link: string,
  externalRef: string,
  error: string,
  opts: LateFailureOptions = {},
): Promise<LateFailureOutcome> {
  const ref = externalRef.trim();
  const reason = error.trim() || "no reason given";
  if (!ref) return "unknown";
  const grace = Math.max(0, opts.graceMs ?? LATE_FAILURE_GRACE_MS);
  const started = Date.now();
  let applied: Applied;
  for (;;) {
    applied = await ctx.store.tx((tx) => apply(tx, ctx.clock.now(), link, ref, reason));
    if (applied.outcome !== "unknown" || Date.now() - started >= grace) break;
    await new Promise((r) => setTimeout(r, Math.min(LOOK_AGAIN_MS, grace)));
  }
  const { outcome, job } = applied;
  if (!job) {
    ctx.logger.info("late PBX failure for a reference no done job carries", { link, ref, error: reason });
    return outcome;
  }
  ctx.logger.warn("PBX op failed after it was accepted", {
    link,
    job: job.id,
    op: job.op,
    room: job.room,
    ref,
    error: reason,
    outcome,
    ...(applied.requeued?.length ? { runAgain: applied.requeued } : {}),
  });
  if (outcome === "reopened") {
    try {
      ctx.hooks.pbxJobsQueued();
    } catch (err) {
      ctx.logger.error("PBX runner kick failed", { error: errorMessage(err) });
    }
  }
  return outcome;
}

async function apply(
  tx: Parameters<Parameters<ServiceContext["store"]["tx"]>[0]>[0],
  now: number,
  link: string,
  ref: string,
  reason: string,
): Promise<Applied> {
  const job = await doneJobByRef(tx, link, ref);
  if (!job) return { outcome: "unknown" };
  const lastError = `${reason} (failed after the PBX accepted it as ${ref})`;
  const cleared = { externalRef: null, lateRetryMs: null };
  if (job.lateRetryMs === null) {
    await finishJob(tx, job.id, { state: "dead", lastError, ...cleared }, now);
    return { outcome: "dead", job };
  }
  await finishJob(tx, job.id, { state: "pending", nextAttemptAt: now + job.lateRetryMs, lastError, ...cleared }, now);
  const requeued = await laterDoneJobs(tx, link, job.room, job.id);
  for (const id of requeued) {
    await finishJob(
      tx,
      id,
      {
        state: "pending",
        attempts: 0,
        nextAttemptAt: now,
        lastError: `done, runs again after job ${job.id} of the room, which failed after it was accepted`,
        ...cleared,
      },
      now,
    );
  }
  return { outcome: "reopened", job, requeued };
}
