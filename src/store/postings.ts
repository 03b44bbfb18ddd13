/** @module store/postings: charges for the PMS (FIAS PS/PA) and the P# counter. */
import { and, asc, desc, eq, gte, inArray, isNull, lte, or, type SQL } from "drizzle-orm";
import type { Queryable } from "./db.ts";
import { getMeta, setMeta } from "./meta.ts";
import { type postingStates, postings } from "./schema/index.ts";

export type PostingRow = typeof postings.$inferSelect;
export type NewPosting = typeof postings.$inferInsert;
export type PostingState = (typeof postingStates)[number];

/** Inserts the posting unless its source made one before; returns the row and whether it is new. */
export async function insertPosting(db: Queryable, p: NewPosting): Promise<{ row: PostingRow; created: boolean }> {
  const [row] = await db.insert(postings).values(p).onConflictDoNothing().returning();
  if (row) return { row, created: true };
  return { row: (await postingBySource(db, p.sourceType, p.sourceRef)) as PostingRow, created: false };
}

export async function postingBySource(db: Queryable, type: PostingRow["sourceType"], ref: string) {
  const [row] = await db
    .select()
    .from(postings)
    .where(and(eq(postings.sourceType, type), eq(postings.sourceRef, ref)));
  return row as PostingRow | undefined;
}

export async function getPosting(db: Queryable, id: number): Promise<PostingRow | undefined> {
  const [row] = await db.select().from(postings).where(eq(postings.id, id));
  return row;
}

export async function listPostingRows(
  db: Queryable,
  q: { room?: string; state?: PostingState; since?: number; limit: number },
): Promise<PostingRow[]> {
  const where: SQL[] = [];
  if (q.room) where.push(eq(postings.room, q.room));
  if (q.state) where.push(eq(postings.state, q.state));
  if (q.since !== undefined) where.push(gte(postings.createdAt, q.since));
  return db
    .select()
    .from(postings)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(postings.id))
    .limit(q.limit);
}

/** The oldest posting that may go now: pending, and not held back by a "retry later" answer. */
export async function nextDuePosting(db: Queryable, now: number): Promise<PostingRow | undefined> {
  const [row] = await db
    .select()
    .from(postings)
    .where(and(eq(postings.state, "pending"), or(isNull(postings.nextAttemptAt), lte(postings.nextAttemptAt, now))))
    .orderBy(asc(postings.id))
    .limit(1);
  return row;
}

/** When the earliest held-back pending posting becomes due, if any. */
export async function nextHeldPostingAt(db: Queryable): Promise<number | undefined> {
  const rows = await db
    .select({ at: postings.nextAttemptAt })
    .from(postings)
    .where(eq(postings.state, "pending"))
    .orderBy(asc(postings.nextAttemptAt));
  for (const r of rows) if (r.at !== null) return r.at;
  return undefined;
}

/** The posting an answer is for: the newest unsettled one with that P#, else (no P#) the one in flight. */
export async function postingForAnswer(db: Queryable, sequence: number | undefined): Promise<PostingRow | undefined> {
  const open = inArray(postings.state, ["pending", "sending", "failed", "uncertain"]);
  const where = sequence === undefined ? eq(postings.state, "sending") : and(open, eq(postings.sequence, sequence));
  const [row] = await db.select().from(postings).where(where).orderBy(desc(postings.id)).limit(1);
  return row;
}

export async function updatePosting(db: Queryable, id: number, set: Partial<NewPosting>, now: number): Promise<void> {
  await db
    .update(postings)
    .set({ ...set, updatedAt: now })
    .where(eq(postings.id, id));
}

/** Postings left `sending` by a stop: now `uncertain` (see services/posting-sender.ts). */
export async function markInterruptedUncertain(db: Queryable, now: number): Promise<PostingRow[]> {
  return db
    .update(postings)
    .set({
      state: "uncertain",
      answerText: "the appliance stopped while waiting for the PMS's answer",
      updatedAt: now,
    })
    .where(eq(postings.state, "sending"))
    .returning();
}

const SEQUENCE_KEY = "pms.postingSequence";
/** FIAS P# is 1–99999999, no leading zeros. */
const SEQUENCE_MAX = 99_999_999;

/** Takes the next P# (persisted in the caller's transaction, so one is never given twice). */
export async function takePostingSequence(db: Queryable): Promise<number> {
  const last = Number((await getMeta(db, SEQUENCE_KEY)) ?? "0");
  const next = Number.isInteger(last) && last >= 1 && last < SEQUENCE_MAX ? last + 1 : 1;
  await setMeta(db, SEQUENCE_KEY, String(next));
  return next;
}
