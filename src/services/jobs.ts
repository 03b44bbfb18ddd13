/** @module services/jobs: PBX job list and manual retry of dead letters. */
import { AppError } from "../lib/errors.ts";
import { writeAudit } from "../store/audit.ts";
import { finishJob, getJob, type JobRow, type JobState, listJobs } from "../store/pbx-jobs.ts";
import type { ServiceContext } from "./context.ts";

export function jobView(j: JobRow) {
  return {
    id: j.id,
    link: j.link,
    op: j.op,
    room: j.room,
    payload: j.payload,
    state: j.state,
    attempts: j.attempts,
    nextAttemptAt: new Date(j.nextAttemptAt).toISOString(),
    lastError: j.lastError,
    createdAt: new Date(j.createdAt).toISOString(),
    updatedAt: new Date(j.updatedAt).toISOString(),
  };
}

export async function getJobs(
  ctx: ServiceContext,
  q: { link?: string; state?: JobState; limit?: number; before?: number },
) {
  const rows = await ctx.store.read((db) => listJobs(db, { ...q, limit: Math.min(q.limit ?? 100, 1000) }));
  return rows.map(jobView);
}

/** A dead or skipped job goes back to pending with a fresh set of retries. */
export async function retryJob(ctx: ServiceContext, actor: string, id: number) {
  const job = await ctx.store.tx(async (tx) => {
    const j = await getJob(tx, id);
    if (!j) throw new AppError("NOT_FOUND", `job ${id} does not exist`);
    if (j.state === "pending") throw new AppError("CONFLICT", `job ${id} is already pending`);
    if (j.state === "done") throw new AppError("CONFLICT", `job ${id} already succeeded`);
    const now = ctx.clock.now();
    await finishJob(tx, id, { state: "pending", attempts: 0, nextAttemptAt: now, lastError: j.lastError }, now);
    await writeAudit(tx, { actor, action: "job-retry", room: j.room, before: { id, state: j.state } }, now);
    return { ...j, state: "pending" as const, attempts: 0, nextAttemptAt: now, updatedAt: now };
  });
  ctx.hooks.pbxJobsQueued();
  return jobView(job);
}
