/** @module store/pbx-jobs: the persisted outbox of PBX-link actions. */
import { and, asc, count, desc, eq, inArray, lte, max, min, type SQL, sql } from "drizzle-orm";
import { bulkInsert } from "./bulk.ts";
import type { Queryable } from "./db.ts";
import { type jobStates, pbxJobs } from "./schema/index.ts";

export type JobRow = typeof pbxJobs.$inferSelect;
export type JobState = (typeof jobStates)[number];

export interface NewJob {
  link: string;
  op: string;
  room: string | null;
  payload: unknown;
}

export async function insertJobs(db: Queryable, jobs: NewJob[], now: number): Promise<void> {
  await bulkInsert(
    db,
    pbxJobs,
    jobs.map((j) => ({ ...j, state: "pending" as const, nextAttemptAt: now, createdAt: now, updatedAt: now })),
  );
}

/**
 * Due jobs, oldest first; only the oldest pending job of each room (per link) can be due, so a
 * room's ops stay in order, and a room waiting for a retry holds up no other room however many
 * ops it has queued behind it.
 */
export async function dueJobs(db: Queryable, link: string, now: number, limit: number): Promise<JobRow[]> {
  const heads = db
    .select({ id: min(pbxJobs.id) })
    .from(pbxJobs)
    .where(and(eq(pbxJobs.link, link), eq(pbxJobs.state, "pending")))
    .groupBy(sql`coalesce(${pbxJobs.room}, '')`);
  return db
    .select()
    .from(pbxJobs)
    .where(and(inArray(pbxJobs.id, heads), lte(pbxJobs.nextAttemptAt, now)))
    .orderBy(asc(pbxJobs.id))
    .limit(limit);
}

export async function nextDueAt(db: Queryable, link: string): Promise<number | undefined> {
  const [r] = await db
    .select({ at: pbxJobs.nextAttemptAt })
    .from(pbxJobs)
    .where(and(eq(pbxJobs.link, link), eq(pbxJobs.state, "pending")))
    .orderBy(asc(pbxJobs.nextAttemptAt))
    .limit(1);
  return r?.at;
}

export async function finishJob(
  db: Queryable,
  id: number,
  set: { state: JobState; attempts?: number; nextAttemptAt?: number; lastError?: string | null },
  now: number,
): Promise<void> {
  await db
    .update(pbxJobs)
    .set({ ...set, updatedAt: now })
    .where(eq(pbxJobs.id, id));
}

export async function listJobs(db: Queryable, q: { link?: string; state?: JobState; limit: number; before?: number }) {
  const where: SQL[] = [];
  if (q.link) where.push(eq(pbxJobs.link, q.link));
  if (q.state) where.push(eq(pbxJobs.state, q.state));
  if (q.before) where.push(lte(pbxJobs.id, q.before - 1));
  return db
    .select()
    .from(pbxJobs)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(pbxJobs.id))
    .limit(q.limit);
}

export async function getJob(db: Queryable, id: number): Promise<JobRow | undefined> {
  const [r] = await db.select().from(pbxJobs).where(eq(pbxJobs.id, id));
  return r;
}

export async function jobCounts(db: Queryable): Promise<{ link: string; state: string; n: number }[]> {
  return db
    .select({ link: pbxJobs.link, state: pbxJobs.state, n: count() })
    .from(pbxJobs)
    .where(inArray(pbxJobs.state, ["pending", "dead"]))
    .groupBy(pbxJobs.link, pbxJobs.state);
}

/** The newest job of one link per room (e.g. each room's last MWI NOTIFY). */
export async function latestJobPerRoom(db: Queryable, link: string, room?: string): Promise<JobRow[]> {
  const newest = db
    .select({ id: max(pbxJobs.id) })
    .from(pbxJobs)
    .where(room === undefined ? eq(pbxJobs.link, link) : and(eq(pbxJobs.link, link), eq(pbxJobs.room, room)))
    .groupBy(pbxJobs.room);
  return db.select().from(pbxJobs).where(inArray(pbxJobs.id, newest));
}
