/**
 * @module store/voicemail
 * Guest voicemail rows: the messages of each room's current stay (`archived_at` null), the archive of
 * departed stays, and the per-room box (the guest's PIN). Archiving and moving a box are single
 * UPDATEs so they commit with the PMS record that caused them.
 */
import { and, asc, eq, gte, inArray, isNotNull, isNull, lte, ne, type SQL, sql } from "drizzle-orm";
import type { Queryable } from "./db.ts";
import { type VoicemailCodec, type VoicemailState, voicemailBoxes, voicemailMessages } from "./schema/index.ts";

export type VoicemailRow = typeof voicemailMessages.$inferSelect;

export async function insertVoicemail(db: Queryable, row: typeof voicemailMessages.$inferInsert): Promise<void> {
  await db.insert(voicemailMessages).values(row);
}

export async function getVoicemail(db: Queryable, id: string): Promise<VoicemailRow | undefined> {
  const [r] = await db.select().from(voicemailMessages).where(eq(voicemailMessages.id, id));
  return r;
}

/** The room's current stay, in the order a guest hears it: new first, then saved (oldest first within). */
export async function currentVoicemail(db: Queryable, room: string): Promise<VoicemailRow[]> {
  const rows = await db
    .select()
    .from(voicemailMessages)
    .where(and(eq(voicemailMessages.room, room), isNull(voicemailMessages.archivedAt)))
    .orderBy(asc(voicemailMessages.receivedAt), asc(voicemailMessages.id));
  const rank: Record<VoicemailState, number> = { new: 0, saved: 1, deleted: 2, recording: 3 };
  return rows.sort((a, b) => rank[a.state] - rank[b.state]);
}

/** New and saved messages of the room's current stay: what the room's counts must say. */
export async function voicemailCounts(db: Queryable, room: string): Promise<{ new: number; saved: number }> {
  const rows = await db
    .select({ state: voicemailMessages.state, n: sql<number>`count(*)` })
    .from(voicemailMessages)
    .where(and(eq(voicemailMessages.room, room), isNull(voicemailMessages.archivedAt)))
    .groupBy(voicemailMessages.state);
  const of = (s: VoicemailState) => Number(rows.find((r) => r.state === s)?.n ?? 0);
  return { new: of("new"), saved: of("saved") };
}

/** New and saved counts of every room's current stay (rooms without such messages absent). */
export async function voicemailCountsByRoom(db: Queryable): Promise<Map<string, { new: number; saved: number }>> {
  const rows = await db
    .select({ room: voicemailMessages.room, state: voicemailMessages.state, n: sql<number>`count(*)` })
    .from(voicemailMessages)
    .where(and(isNull(voicemailMessages.archivedAt), inArray(voicemailMessages.state, ["new", "saved"])))
    .groupBy(voicemailMessages.room, voicemailMessages.state);
  const out = new Map<string, { new: number; saved: number }>();
  for (const r of rows) {
    const c = out.get(r.room) ?? { new: 0, saved: 0 };
    if (r.state === "new") c.new = Number(r.n);
    else c.saved = Number(r.n);
    out.set(r.room, c);
  }
  return out;
}

/**
 * Rooms whose stored counts (`voice_new`, `voice_saved`) differ from their current stay's new and
 * saved messages, in one query: the start-up reconcile runs it on every start, and loading every
 * room and stay to compare them cost ~100 ms of the start with 2,000 rooms.
 */
export async function roomsWithWrongVoiceCounts(db: Queryable): Promise<string[]> {
  const rows = await db.all<{ number: string }>(sql`
    select r.number as number from rooms r
    left join (
      select room, sum(state = 'new') as n, sum(state = 'saved') as s from voicemail_messages
      where archived_at is null and state in ('new', 'saved') group by room
    ) c on c.room = r.number
    where r.voice_new != coalesce(c.n, 0) or r.voice_saved != coalesce(c.s, 0)
    order by r.number`);
  return rows.map((r) => String(r.number));
}

export async function updateVoicemail(
  db: Queryable,
  id: string,
  set: Partial<{ state: VoicemailState; durationMs: number; soundMs: number; codec: VoicemailCodec }>,
): Promise<void> {
  await db.update(voicemailMessages).set(set).where(eq(voicemailMessages.id, id));
}

export async function deleteVoicemail(db: Queryable, ids: readonly string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) {
    await db.delete(voicemailMessages).where(inArray(voicemailMessages.id, ids.slice(i, i + 500)));
  }
}

/**
 * Ends the room's stay for its messages (every state, a recording in progress too: it belongs to the
 * guest who left). Returns the rows archived.
 */
export async function archiveRoomVoicemail(db: Queryable, room: string, now: number): Promise<VoicemailRow[]> {
  return db
    .update(voicemailMessages)
    .set({ archivedAt: now })
    .where(and(eq(voicemailMessages.room, room), isNull(voicemailMessages.archivedAt)))
    .returning();
}

/** A room move: the current stay's messages follow the guest. */
export async function moveRoomVoicemail(db: Queryable, from: string, to: string): Promise<number> {
  const r = await db
    .update(voicemailMessages)
    .set({ room: to })
    .where(and(eq(voicemailMessages.room, from), isNull(voicemailMessages.archivedAt)))
    .returning({ id: voicemailMessages.id });
  return r.length;
}

export interface ArchiveQuery {
  room?: string;
  /** Check-out times (archived_at), inclusive. */
  from?: number;
  to?: number;
}

/** Archived messages (a row being recorded excluded), by room, then check-out, then arrival. */
export async function archivedVoicemail(db: Queryable, q: ArchiveQuery): Promise<VoicemailRow[]> {
  const where: SQL[] = [isNotNull(voicemailMessages.archivedAt), ne(voicemailMessages.state, "recording")];
  if (q.room !== undefined) where.push(eq(voicemailMessages.room, q.room));
  if (q.from !== undefined) where.push(gte(voicemailMessages.archivedAt, q.from));
  if (q.to !== undefined) where.push(lte(voicemailMessages.archivedAt, q.to));
  return db
    .select()
    .from(voicemailMessages)
    .where(and(...where))
    .orderBy(
      asc(voicemailMessages.room),
      asc(voicemailMessages.archivedAt),
      asc(voicemailMessages.receivedAt),
      asc(voicemailMessages.id),
    );
}

/** Archived rows whose stay ended at or before `cutoff`: due for the purge. */
export async function expiredVoicemail(db: Queryable, cutoff: number): Promise<VoicemailRow[]> {
  return db
    .select()
    .from(voicemailMessages)
    .where(and(isNotNull(voicemailMessages.archivedAt), lte(voicemailMessages.archivedAt, cutoff)));
}

export async function allVoicemail(db: Queryable): Promise<VoicemailRow[]> {
  return db.select().from(voicemailMessages).orderBy(asc(voicemailMessages.receivedAt));
}

// ---------------------------------------------------------------- the box (PIN)

export async function pinHashOf(db: Queryable, room: string): Promise<string | null> {
  const [r] = await db
    .select({ pinHash: voicemailBoxes.pinHash })
    .from(voicemailBoxes)
    .where(eq(voicemailBoxes.room, room));
  return r?.pinHash ?? null;
}

export async function setPinHash(db: Queryable, room: string, pinHash: string | null, now: number): Promise<void> {
  await db
    .insert(voicemailBoxes)
    .values({ room, pinHash, updatedAt: now })
    .onConflictDoUpdate({ target: voicemailBoxes.room, set: { pinHash, updatedAt: now } });
}

/** The next stay sets its own PIN. */
export async function resetBox(db: Queryable, room: string): Promise<void> {
  await db.delete(voicemailBoxes).where(eq(voicemailBoxes.room, room));
}

/**
 * A room move takes the box along. A destination that already has a PIN (guests staying there) keeps
 * it: theirs is the box the moved messages now join.
 */
export async function moveBox(db: Queryable, from: string, to: string, now: number): Promise<void> {
  const pin = await pinHashOf(db, from);
  await resetBox(db, from);
  if (pin !== null && (await pinHashOf(db, to)) === null) await setPinHash(db, to, pin, now);
}
