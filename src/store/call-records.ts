/**
 * @module store/call-records
 * Calls of room extensions reported by the phone system. A row is made `pending` when an end-of-call
 * event arrives (unique by link and call id, so an event that arrives twice changes nothing) and
 * completed from the PBX's call report; only `done` rows are calls.
 */
import { and, asc, count, desc, eq, gte, lte, ne, type SQL } from "drizzle-orm";
import type { Queryable } from "./db.ts";
import { callRecords } from "./schema/index.ts";

export type CallRecordRow = typeof callRecords.$inferSelect;

/** What a call report says about a call, from the room's side. */
export interface CallFacts {
  room: string;
  extension: string;
  direction: "in" | "out" | null;
  number: string | null;
  internal: boolean;
  startAt: number | null;
  answerAt: number | null;
  talkSeconds: number;
  outcome: number | null;
  trunk: string | null;
}

export interface PendingCall {
  link: string;
  callId: string;
  room?: string | null;
  extension?: string | null;
  hint: unknown;
}

/** A pending row for the call; false when the link already has a row with that call id. */
export async function insertPendingCall(db: Queryable, c: PendingCall, now: number): Promise<boolean> {
  const rows = await db
    .insert(callRecords)
    .values({
      link: c.link,
      callId: c.callId,
      state: "pending",
      room: c.room ?? null,
      extension: c.extension ?? null,
      hint: c.hint ?? null,
      nextAttemptAt: now,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoNothing()
    .returning({ id: callRecords.id });
  return rows.length > 0;
}

export async function findCall(db: Queryable, link: string, callId: string): Promise<CallRecordRow | undefined> {
  const [r] = await db
    .select()
    .from(callRecords)
    .where(and(eq(callRecords.link, link), eq(callRecords.callId, callId)));
  return r;
}

/** Pending rows whose next attempt is due, oldest first. */
export async function dueCalls(db: Queryable, now: number, limit: number): Promise<CallRecordRow[]> {
  return db
    .select()
    .from(callRecords)
    .where(and(eq(callRecords.state, "pending"), lte(callRecords.nextAttemptAt, now)))
    .orderBy(asc(callRecords.nextAttemptAt), asc(callRecords.id))
    .limit(limit);
}

/** When the next pending row is due; undefined when none is pending. */
export async function nextCallDueAt(db: Queryable): Promise<number | undefined> {
  const [r] = await db
    .select({ at: callRecords.nextAttemptAt })
    .from(callRecords)
    .where(eq(callRecords.state, "pending"))
    .orderBy(asc(callRecords.nextAttemptAt))
    .limit(1);
  return r?.at;
}

/**
 * Completes a pending row with the report's facts, under the report's own call id. When another row
 * of the link holds that id already (the same call announced by another event family, or with
 * another id), this row is dropped instead: "duplicate".
 */
export async function completeCall(
  db: Queryable,
  row: Pick<CallRecordRow, "id" | "link" | "attempts">,
  callId: string,
  facts: CallFacts,
  now: number,
): Promise<"done" | "duplicate"> {
  const [other] = await db
    .select({ id: callRecords.id })
    .from(callRecords)
    .where(and(eq(callRecords.link, row.link), eq(callRecords.callId, callId), ne(callRecords.id, row.id)));
  if (other) {
    await db.delete(callRecords).where(eq(callRecords.id, row.id));
    return "duplicate";
  }
  await db
    .update(callRecords)
    .set({
      ...facts,
      callId,
      state: "done",
      attempts: row.attempts + 1,
      lastError: null,
      updatedAt: now,
    })
    .where(eq(callRecords.id, row.id));
  return "done";
}

/** Another try later (`failed` instead when `nextAttemptAt` is undefined: no more tries). */
export async function postponeCall(
  db: Queryable,
  id: number,
  set: { attempts: number; nextAttemptAt?: number; lastError: string },
  now: number,
): Promise<void> {
  await db
    .update(callRecords)
    .set({
      attempts: set.attempts,
      lastError: set.lastError,
      updatedAt: now,
      ...(set.nextAttemptAt === undefined ? { state: "failed" as const } : { nextAttemptAt: set.nextAttemptAt }),
    })
    .where(eq(callRecords.id, id));
}

export async function deleteCall(db: Queryable, id: number): Promise<void> {
  await db.delete(callRecords).where(eq(callRecords.id, id));
}

/** Completed calls, latest start first. */
export async function listCalls(
  db: Queryable,
  q: { room?: string; since?: number; limit: number },
): Promise<CallRecordRow[]> {
  const where: SQL[] = [eq(callRecords.state, "done")];
  if (q.room !== undefined) where.push(eq(callRecords.room, q.room));
  if (q.since !== undefined) where.push(gte(callRecords.startAt, q.since));
  return db
    .select()
    .from(callRecords)
    .where(and(...where))
    .orderBy(desc(callRecords.startAt), desc(callRecords.id))
    .limit(q.limit);
}

/** Rows by state, for the appliance's counters. */
export async function countCalls(db: Queryable, state: CallRecordRow["state"]): Promise<number> {
  const [r] = await db.select({ n: count() }).from(callRecords).where(eq(callRecords.state, state));
  return r?.n ?? 0;
}
