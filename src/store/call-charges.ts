/**
 * @module store/call-charges
 * What call charging decided about each completed call record (see schema/call-charges.ts), and the
 * facts it decides from: the record, and when the room's current stay began.
 */
import { and, asc, eq, gt, isNull, min } from "drizzle-orm";
import type { Queryable } from "./db.ts";
import { callChargeOutcomes, callCharges, callRecords, stays } from "./schema/index.ts";

export type CallChargeRow = typeof callCharges.$inferSelect;
export type CallChargeOutcome = (typeof callChargeOutcomes)[number];
export { callChargeOutcomes };

export async function findCallRecord(db: Queryable, id: number) {
  const [r] = await db.select().from(callRecords).where(eq(callRecords.id, id));
  return r;
}

export async function findCallCharge(db: Queryable, callRecordId: number): Promise<CallChargeRow | undefined> {
  const [r] = await db.select().from(callCharges).where(eq(callCharges.callRecordId, callRecordId));
  return r;
}

/** Records the decision unless one is there already; returns the decision that stands. */
export async function recordCallCharge(db: Queryable, row: CallChargeRow): Promise<CallChargeRow> {
  const [inserted] = await db.insert(callCharges).values(row).onConflictDoNothing().returning();
  return inserted ?? ((await findCallCharge(db, row.callRecordId)) as CallChargeRow);
}

/** Ids of completed call records with no decision yet, oldest first, after id `after`. */
export async function undecidedCallIds(db: Queryable, after: number, limit: number): Promise<number[]> {
  const rows = await db
    .select({ id: callRecords.id })
    .from(callRecords)
    .leftJoin(callCharges, eq(callCharges.callRecordId, callRecords.id))
    .where(and(eq(callRecords.state, "done"), isNull(callCharges.callRecordId), gt(callRecords.id, after)))
    .orderBy(asc(callRecords.id))
    .limit(limit);
  return rows.map((r) => r.id);
}

/** When the room's current stay began (its earliest active guest's check-in); undefined when vacant. */
export async function currentStayStartedAt(db: Queryable, room: string): Promise<number | undefined> {
  const [r] = await db
    .select({ at: min(stays.checkedInAt) })
    .from(stays)
    .where(and(eq(stays.room, room), eq(stays.active, true)));
  return r?.at ?? undefined;
}
