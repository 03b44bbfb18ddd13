/** @module store/messages: PMS text messages by id (XL/XD), for an exact message-lamp count. */
import { and, asc, eq, isNull } from "drizzle-orm";
import type { Queryable } from "./db.ts";
import { pmsMessages } from "./schema/index.ts";

/** True when the message is new (the lamp count goes up). */
export async function addMessage(
  db: Queryable,
  m: { room: string; reservation: string; messageId: string; text: string },
  now: number,
): Promise<boolean> {
  if (m.messageId) {
    const [dup] = await db
      .select({ id: pmsMessages.id })
      .from(pmsMessages)
      .where(
        and(eq(pmsMessages.room, m.room), eq(pmsMessages.messageId, m.messageId), isNull(pmsMessages.retrievedAt)),
      );
    if (dup) return false;
  }
  await db.insert(pmsMessages).values({ ...m, receivedAt: now });
  return true;
}

/** Marks one message (or, without an id, all of the room's) retrieved; returns how many were waiting. */
export async function retrieveMessages(db: Queryable, room: string, messageId: string | undefined, now: number) {
  const where = messageId
    ? and(eq(pmsMessages.room, room), eq(pmsMessages.messageId, messageId), isNull(pmsMessages.retrievedAt))
    : and(eq(pmsMessages.room, room), isNull(pmsMessages.retrievedAt));
  const r = await db.update(pmsMessages).set({ retrievedAt: now }).where(where).returning({ id: pmsMessages.id });
  return r.length;
}

export async function moveMessages(db: Queryable, from: string, to: string): Promise<void> {
  await db
    .update(pmsMessages)
    .set({ room: to })
    .where(and(eq(pmsMessages.room, from), isNull(pmsMessages.retrievedAt)));
}

/** Whether the message id was ever seen for this room (retrieved or not). */
export async function knownMessage(db: Queryable, room: string, messageId: string): Promise<boolean> {
  const [r] = await db
    .select({ id: pmsMessages.id })
    .from(pmsMessages)
    .where(and(eq(pmsMessages.room, room), eq(pmsMessages.messageId, messageId)))
    .limit(1);
  return r !== undefined;
}

export async function pendingMessages(db: Queryable, room: string) {
  return db
    .select()
    .from(pmsMessages)
    .where(and(eq(pmsMessages.room, room), isNull(pmsMessages.retrievedAt)))
    .orderBy(asc(pmsMessages.id));
}
