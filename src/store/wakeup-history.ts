/** @module store/wakeup-history: what happened to each wake-up, attempt by attempt. */
import { asc, eq } from "drizzle-orm";
import type { Queryable } from "./db.ts";
import { wakeupEvents, type wakeupEventTypes, wakeups } from "./schema/index.ts";

export type WakeupEventType = (typeof wakeupEventTypes)[number];
export type WakeupEventRow = typeof wakeupEvents.$inferSelect;

export interface NewWakeupEvent {
  wakeupId: number;
  event: WakeupEventType;
  attempt?: number | null;
  detail?: Record<string, unknown> | null;
}

export async function addWakeupEvents(db: Queryable, events: readonly NewWakeupEvent[], now: number): Promise<void> {
  if (!events.length) return;
  await db.insert(wakeupEvents).values(
    events.map((e) => ({
      wakeupId: e.wakeupId,
      at: now,
      event: e.event,
      attempt: e.attempt ?? null,
      detail: e.detail ?? null,
    })),
  );
}

/** One wake-up's history, or that of every wake-up now in a room (a moved one's follows it), oldest first. */
export async function wakeupHistory(db: Queryable, of: number | { room: string }): Promise<WakeupEventRow[]> {
  if (typeof of === "number")
    return db.select().from(wakeupEvents).where(eq(wakeupEvents.wakeupId, of)).orderBy(asc(wakeupEvents.id));
  const rows = await db
    .select({ e: wakeupEvents })
    .from(wakeupEvents)
    .innerJoin(wakeups, eq(wakeups.id, wakeupEvents.wakeupId))
    .where(eq(wakeups.room, of.room))
    .orderBy(asc(wakeupEvents.id));
  return rows.map((r) => r.e);
}
