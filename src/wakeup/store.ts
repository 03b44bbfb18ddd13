/**
 * @module wakeup/store
 * Store helpers the wake-up scheduler needs beyond src/store/wakeups.ts. These are direct drizzle
 * queries on the wakeups table, kept here for this step; they may move into src/store later.
 * Every state change is conditional on the state the scheduler expects, so a wake-up cancelled
 * meanwhile (API, PMS WD/WC) is never claimed or put back to pending.
 */
import { and, asc, eq } from "drizzle-orm";
import type { Queryable } from "../store/db.ts";
import { wakeups } from "../store/schema/index.ts";
import type { WakeupRow } from "../store/wakeups.ts";

/** Pending wake-ups, in due order (ties by id). */
export async function pendingWakeups(db: Queryable): Promise<WakeupRow[]> {
  return db.select().from(wakeups).where(eq(wakeups.state, "pending")).orderBy(asc(wakeups.dueAt), asc(wakeups.id));
}

/** pending → calling; undefined when the wake-up is no longer pending (cancelled, gone). */
export async function claimWakeup(db: Queryable, id: number, now: number): Promise<WakeupRow | undefined> {
  const [r] = await db
    .update(wakeups)
    .set({ state: "calling", updatedAt: now })
    .where(and(eq(wakeups.id, id), eq(wakeups.state, "pending")))
    .returning();
  return r;
}

/** calling → pending with the attempts made so far; false when it is no longer calling (cancelled meanwhile). */
export async function releaseWakeup(db: Queryable, id: number, attempts: number, now: number): Promise<boolean> {
  const r = await db
    .update(wakeups)
    .set({ state: "pending", attempts, updatedAt: now })
    .where(and(eq(wakeups.id, id), eq(wakeups.state, "calling")))
    .returning({ id: wakeups.id });
  return r.length > 0;
}

/** At start-up: calls that were in flight when the appliance went down are pending again. */
export async function resetInterruptedCalls(db: Queryable, now: number): Promise<number> {
  const r = await db
    .update(wakeups)
    .set({ state: "pending", updatedAt: now })
    .where(eq(wakeups.state, "calling"))
    .returning({ id: wakeups.id });
  return r.length;
}
