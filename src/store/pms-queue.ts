/** @module store/pms-queue: the PMS inbox (received records) and outbox (records to send). */
import { and, asc, desc, eq, gt, inArray, isNotNull, isNull, sql } from "drizzle-orm";
import { bulkInsert } from "./bulk.ts";
import type { Queryable } from "./db.ts";
import { pmsInbox, pmsOutbox } from "./schema/index.ts";

export type InboxRow = typeof pmsInbox.$inferSelect;
export type OutboxRow = typeof pmsOutbox.$inferSelect;

/** Stores received records; returns their sequence numbers in the order given. */
export async function insertInbox(
  db: Queryable,
  rows: { type: string; raw: string; receivedAt: number }[],
): Promise<number[]> {
  const seqs: number[] = [];
  for (let i = 0; i < rows.length; i += 1000) {
    const part = rows.slice(i, i + 1000);
    await bulkInsert(db, pmsInbox, part);
    // One INSERT gives consecutive AUTOINCREMENT keys, and the appliance is the only writer.
    const [{ last }] = await db.all<{ last: number }>(sql`select last_insert_rowid() as last`);
    for (let k = part.length - 1; k >= 0; k--) seqs.push(last - k);
  }
  return seqs;
}

export async function markApplied(db: Queryable, seq: number, now: number, error: string | null): Promise<void> {
  await db.update(pmsInbox).set({ appliedAt: now, error }).where(eq(pmsInbox.seq, seq));
}

export async function markAppliedMany(db: Queryable, seqs: number[], now: number): Promise<void> {
  for (let i = 0; i < seqs.length; i += 500) {
    await db
      .update(pmsInbox)
      .set({ appliedAt: now, error: null })
      .where(inArray(pmsInbox.seq, seqs.slice(i, i + 500)));
  }
}

/** Received records that could not be applied (marked with the reason), newest first. */
export async function rejectedInbox(db: Queryable, limit: number): Promise<InboxRow[]> {
  return db.select().from(pmsInbox).where(isNotNull(pmsInbox.error)).orderBy(desc(pmsInbox.seq)).limit(limit);
}

/** Rows not applied yet, oldest first, after `afterSeq` (a replay pages past rows it still holds). */
export async function unappliedInbox(db: Queryable, limit: number, afterSeq = 0): Promise<InboxRow[]> {
  return db
    .select()
    .from(pmsInbox)
    .where(and(isNull(pmsInbox.appliedAt), gt(pmsInbox.seq, afterSeq)))
    .orderBy(asc(pmsInbox.seq))
    .limit(limit);
}

/** Queues a record for the PMS; with a dedupe key a second queueing of the same action is a no-op. */
export async function enqueueOutbox(
  db: Queryable,
  r: { type: string; record: string; dedupeKey?: string | null },
  now: number,
): Promise<boolean> {
  const res = await db
    .insert(pmsOutbox)
    .values({ type: r.type, record: r.record, dedupeKey: r.dedupeKey ?? null, createdAt: now })
    .onConflictDoNothing()
    .returning({ id: pmsOutbox.id });
  return res.length > 0;
}

export async function pendingOutbox(db: Queryable, limit: number): Promise<OutboxRow[]> {
  return db.select().from(pmsOutbox).where(eq(pmsOutbox.state, "pending")).orderBy(asc(pmsOutbox.id)).limit(limit);
}

export async function setOutboxState(db: Queryable, id: number, state: OutboxRow["state"], now: number): Promise<void> {
  await db
    .update(pmsOutbox)
    .set({ state, sentAt: state === "sent" ? now : null })
    .where(eq(pmsOutbox.id, id));
}

/**
 * Rows left in `sending` by a crash were written to the socket or not; FIAS has no acknowledgement
 * to tell. They are counted as sent: a doubled WA or posting is worse for the hotel than a lost one
 * that the resync after an unclean stop brings back into view.
 */
export async function settleInterruptedSends(db: Queryable, now: number): Promise<number> {
  const r = await db
    .update(pmsOutbox)
    .set({ state: "sent", sentAt: now })
    .where(and(eq(pmsOutbox.state, "sending")))
    .returning({ id: pmsOutbox.id });
  return r.length;
}
