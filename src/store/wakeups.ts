/**
 * @module store/wakeups
 * Stored wake-up calls (the scheduler that places them is src/wakeup). Every state change the
 * scheduler makes is conditional on the state it expects, so a wake-up cancelled meanwhile (API,
 * PMS WC, check-out) is never claimed or put back to pending. Changes that matter to the front desk
 * also write the wake-up's history (store/wakeup-history.ts) in the same transaction.
 */
import { and, asc, desc, eq, gte, inArray, type SQL, sql } from "drizzle-orm";
import type { Queryable } from "./db.ts";
import { type wakeupRecurrences, type wakeupSources, type wakeupStates, wakeups } from "./schema/index.ts";
import { addWakeupEvents } from "./wakeup-history.ts";

export type WakeupRow = typeof wakeups.$inferSelect;
export type WakeupState = (typeof wakeupStates)[number];
export const openStates = ["pending", "calling"] as const satisfies readonly WakeupState[];

export interface NewWakeup {
  room: string;
  dueAt: number;
  fiasDate: string;
  fiasTime: string;
  recurrence: (typeof wakeupRecurrences)[number];
  source: (typeof wakeupSources)[number];
  weekdays?: number[] | null;
  until?: string | null;
  untilDeparture?: boolean;
}

/** When the next call of a pending wake-up is due. */
export function nextAttemptOf(w: Pick<WakeupRow, "dueAt" | "nextAttemptAt">): number {
  return w.nextAttemptAt ?? w.dueAt;
}

const nextAttempt = sql`coalesce(${wakeups.nextAttemptAt}, ${wakeups.dueAt})`;

/**
 * A wake-up for the same room and the same time is the same wake-up: returns the existing one.
 * `detail` goes into the `scheduled` history event (e.g. the occurrence it follows).
 */
export async function insertWakeup(
  db: Queryable,
  w: NewWakeup,
  now: number,
  detail?: Record<string, unknown>,
): Promise<{ row: WakeupRow; created: boolean }> {
  const [dup] = await db
    .select()
    .from(wakeups)
    .where(and(eq(wakeups.room, w.room), eq(wakeups.dueAt, w.dueAt), inArray(wakeups.state, openStates)));
  if (dup) return { row: dup, created: false };
  const [row] = await db
    .insert(wakeups)
    .values({ ...w, nextAttemptAt: w.dueAt, createdAt: now, updatedAt: now })
    .returning();
  await addWakeupEvents(db, [{ wakeupId: row.id, event: "scheduled", detail: { source: w.source, ...detail } }], now);
  return { row, created: true };
}

/** Open (pending or calling) wake-ups, by due time. */
export async function openWakeups(db: Queryable, room?: string): Promise<WakeupRow[]> {
  const where = room
    ? and(eq(wakeups.room, room), inArray(wakeups.state, openStates))
    : inArray(wakeups.state, openStates);
  return db.select().from(wakeups).where(where).orderBy(asc(wakeups.dueAt), asc(wakeups.id));
}

/** Open wake-ups in the order they will be called: next call first (ties by id, as the scheduler). */
export async function wakeupQueue(db: Queryable, room?: string): Promise<WakeupRow[]> {
  const where = room
    ? and(eq(wakeups.room, room), inArray(wakeups.state, openStates))
    : inArray(wakeups.state, openStates);
  return db.select().from(wakeups).where(where).orderBy(asc(nextAttempt), asc(wakeups.id));
}

/** Wake-ups in the given states due at or after `since`, latest due first. */
export async function wakeupsDueSince(
  db: Queryable,
  q: { states: readonly WakeupState[]; since: number; room?: string; limit: number },
): Promise<WakeupRow[]> {
  const where: SQL[] = [inArray(wakeups.state, q.states), gte(wakeups.dueAt, q.since)];
  if (q.room) where.push(eq(wakeups.room, q.room));
  return db
    .select()
    .from(wakeups)
    .where(and(...where))
    .orderBy(desc(wakeups.dueAt), desc(wakeups.id))
    .limit(q.limit);
}

export async function getWakeup(db: Queryable, id: number): Promise<WakeupRow | undefined> {
  const [r] = await db.select().from(wakeups).where(eq(wakeups.id, id));
  return r;
}

export async function findOpenWakeup(db: Queryable, room: string, dueAt: number): Promise<WakeupRow | undefined> {
  const [r] = await db
    .select()
    .from(wakeups)
    .where(and(eq(wakeups.room, room), eq(wakeups.dueAt, dueAt), inArray(wakeups.state, openStates)));
  return r;
}

/** A change to `cancelled` is written to the history too (PMS WC goes through here). */
export async function updateWakeup(
  db: Queryable,
  id: number,
  set: Partial<Pick<WakeupRow, "state" | "attempts" | "result" | "room">>,
  now: number,
): Promise<void> {
  await db
    .update(wakeups)
    .set({ ...set, updatedAt: now })
    .where(eq(wakeups.id, id));
  if (set.state === "cancelled") await addWakeupEvents(db, [{ wakeupId: id, event: "cancelled" }], now);
}

/** Cancels a pending wake-up; false when it is not pending (any more). */
export async function cancelPendingWakeup(
  db: Queryable,
  id: number,
  now: number,
  detail?: Record<string, unknown>,
): Promise<boolean> {
  const r = await db
    .update(wakeups)
    .set({ state: "cancelled", updatedAt: now })
    .where(and(eq(wakeups.id, id), eq(wakeups.state, "pending")))
    .returning({ id: wakeups.id });
  if (r.length) await addWakeupEvents(db, [{ wakeupId: id, event: "cancelled", detail }], now);
  return r.length > 0;
}

/** Room move: open wake-ups follow the guest. */
export async function moveOpenWakeups(db: Queryable, from: string, to: string, now: number): Promise<number> {
  const r = await db
    .update(wakeups)
    .set({ room: to, updatedAt: now })
    .where(and(eq(wakeups.room, from), inArray(wakeups.state, openStates)))
    .returning({ id: wakeups.id });
  await addWakeupEvents(
    db,
    r.map((w) => ({ wakeupId: w.id, event: "moved", detail: { from, to } })),
    now,
  );
  return r.length;
}

export async function cancelOpenWakeups(db: Queryable, room: string, now: number): Promise<number> {
  const r = await db
    .update(wakeups)
    .set({ state: "cancelled", updatedAt: now })
    .where(and(eq(wakeups.room, room), eq(wakeups.state, "pending")))
    .returning({ id: wakeups.id });
  await addWakeupEvents(
    db,
    r.map((w) => ({ wakeupId: w.id, event: "cancelled" })),
    now,
  );
  return r.length;
}

// ---------------------------------------------------------------- for the scheduler

/** Pending wake-ups in call order: next call first, ties by id. */
export async function pendingWakeups(db: Queryable): Promise<WakeupRow[]> {
  return db.select().from(wakeups).where(eq(wakeups.state, "pending")).orderBy(asc(nextAttempt), asc(wakeups.id));
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

export type Reschedule = Pick<WakeupRow, "attempts" | "tries" | "snoozes" | "nextAttemptAt" | "pendingResult">;

/** calling → pending with the next call planned; false when it is no longer calling (cancelled meanwhile). */
export async function rescheduleWakeup(db: Queryable, id: number, set: Reschedule, now: number): Promise<boolean> {
  const r = await db
    .update(wakeups)
    .set({ ...set, state: "pending", updatedAt: now })
    .where(and(eq(wakeups.id, id), eq(wakeups.state, "calling")))
    .returning({ id: wakeups.id });
  return r.length > 0;
}

/**
 * At start-up: calls that were in flight when the appliance went down are pending again, due at
 * their planned time; the cut call is not counted.
 */
export async function resetInterruptedCalls(db: Queryable, now: number): Promise<number> {
  const r = await db
    .update(wakeups)
    .set({ state: "pending", updatedAt: now })
    .where(eq(wakeups.state, "calling"))
    .returning();
  await addWakeupEvents(
    db,
    r.map((w) => ({
      wakeupId: w.id,
      event: "interrupted",
      attempt: w.pendingResult ? w.tries + 1 : w.attempts + 1,
      detail: w.pendingResult ? { escalation: true } : null,
    })),
    now,
  );
  return r.length;
}
