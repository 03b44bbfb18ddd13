/** @module store/wakeups: stored wake-up calls (the dialer that places them is its own module). */
import { and, asc, eq, inArray } from "drizzle-orm";
import type { Queryable } from "./db.ts";
import { type wakeupSources, wakeups } from "./schema/index.ts";

export type WakeupRow = typeof wakeups.$inferSelect;
const open = ["pending", "calling"] as const;

export interface NewWakeup {
  room: string;
  dueAt: number;
  fiasDate: string;
  fiasTime: string;
  recurrence: "once" | "daily";
  source: (typeof wakeupSources)[number];
}

/** A wake-up for the same room and the same time is the same wake-up: returns the existing one. */
export async function insertWakeup(
  db: Queryable,
  w: NewWakeup,
  now: number,
): Promise<{ row: WakeupRow; created: boolean }> {
  const [dup] = await db
    .select()
    .from(wakeups)
    .where(and(eq(wakeups.room, w.room), eq(wakeups.dueAt, w.dueAt), inArray(wakeups.state, open)));
  if (dup) return { row: dup, created: false };
  const [row] = await db
    .insert(wakeups)
    .values({ ...w, createdAt: now, updatedAt: now })
    .returning();
  return { row, created: true };
}

export async function openWakeups(db: Queryable, room?: string): Promise<WakeupRow[]> {
  const where = room ? and(eq(wakeups.room, room), inArray(wakeups.state, open)) : inArray(wakeups.state, open);
  return db.select().from(wakeups).where(where).orderBy(asc(wakeups.dueAt));
}

export async function getWakeup(db: Queryable, id: number): Promise<WakeupRow | undefined> {
  const [r] = await db.select().from(wakeups).where(eq(wakeups.id, id));
  return r;
}

export async function findOpenWakeup(db: Queryable, room: string, dueAt: number): Promise<WakeupRow | undefined> {
  const [r] = await db
    .select()
    .from(wakeups)
    .where(and(eq(wakeups.room, room), eq(wakeups.dueAt, dueAt), inArray(wakeups.state, open)));
  return r;
}

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
}

/** Room move: open wake-ups follow the guest. */
export async function moveOpenWakeups(db: Queryable, from: string, to: string, now: number): Promise<number> {
  const r = await db
    .update(wakeups)
    .set({ room: to, updatedAt: now })
    .where(and(eq(wakeups.room, from), inArray(wakeups.state, open)))
    .returning({ id: wakeups.id });
  return r.length;
}

export async function cancelOpenWakeups(db: Queryable, room: string, now: number): Promise<number> {
  const r = await db
    .update(wakeups)
    .set({ state: "cancelled", updatedAt: now })
    .where(and(eq(wakeups.room, room), eq(wakeups.state, "pending")))
    .returning({ id: wakeups.id });
  return r.length;
}
