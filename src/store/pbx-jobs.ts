/** @module store/pbx-jobs: the persisted outbox of PBX-link actions. */
import { and, asc, count, desc, eq, gt, inArray, lt, lte, max, min, type SQL, sql } from "drizzle-orm";
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

export interface JobUpdate {
  state: JobState;
  attempts?: number;
  nextAttemptAt?: number;
  lastError?: string | null;
  externalRef?: string | null;
  lateRetryMs?: number | null;
}

export async function finishJob(db: Queryable, id: number, set: JobUpdate, now: number): Promise<void> {
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

/** The done job of a link whose accepted op the far end knows by `externalRef` (a late failure names it). */
export async function doneJobByRef(db: Queryable, link: string, externalRef: string): Promise<JobRow | undefined> {
  const [r] = await db
    .select()
    .from(pbxJobs)
    .where(and(eq(pbxJobs.link, link), eq(pbxJobs.externalRef, externalRef), eq(pbxJobs.state, "done")))
    .orderBy(desc(pbxJobs.id))
    .limit(1);
  return r;
}

const roomKey = sql<string>`coalesce(${pbxJobs.room}, '')`;

/** Done jobs of a link and room (null = the jobs without a room) newer than `afterId`, oldest first. */
export async function laterDoneJobs(
  db: Queryable,
  link: string,
  room: string | null,
  afterId: number,
): Promise<number[]> {
  const rows = await db
    .select({ id: pbxJobs.id })
    .from(pbxJobs)
    .where(
      and(eq(pbxJobs.link, link), sql`${roomKey} = ${room ?? ""}`, eq(pbxJobs.state, "done"), gt(pbxJobs.id, afterId)),
    )
    .orderBy(asc(pbxJobs.id));
  return rows.map((r) => r.id);
}

/**
 * The oldest pending job below `beforeId` of each of these rooms of a link (room key: the room, ""
 * for none). While a job runs it is the oldest pending one of its room, unless an older one was
 * reopened meanwhile.
 */
export async function oldestPendingByRoom(
  db: Queryable,
  link: string,
  rooms: readonly string[],
  beforeId: number,
): Promise<Map<string, number>> {
  if (!rooms.length) return new Map();
  const rows = await db
    .select({ room: roomKey, id: min(pbxJobs.id) })
    .from(pbxJobs)
    .where(
      and(
        lt(pbxJobs.id, beforeId),
        eq(pbxJobs.link, link),
        eq(pbxJobs.state, "pending"),
        inArray(roomKey, [...new Set(rooms)]),
      ),
    )
    .groupBy(roomKey);
  const out = new Map<string, number>();
  for (const r of rows) if (r.id !== null) out.set(r.room, r.id);
  return out;
}
