/**
 * @module store/rooms
 * Loading and saving the domain Room: one `rooms` row plus the active `stays` rows.
 */
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { Guest, Room } from "../domain/room.ts";
import { bulkInsert } from "./bulk.ts";
import type { Queryable } from "./db.ts";
import { rooms, stays } from "./schema/index.ts";

export type RoomRow = typeof rooms.$inferSelect;
type StayRow = typeof stays.$inferSelect;

export interface StoredRoom {
  room: Room;
  phone: { address: string | null; transport: string | null; mac: string | null };
  predefined: boolean;
}

function guestFromRow(s: StayRow): Guest {
  return {
    reservation: s.reservation,
    sharer: s.sharer,
    title: s.title,
    firstName: s.firstName,
    lastName: s.lastName,
    fullName: s.fullName,
    language: s.language,
    vip: s.vip,
    group: s.groupCode,
    arrival: s.arrival,
    departure: s.departure,
  };
}

function guestColumns(g: Guest) {
  return {
    reservation: g.reservation,
    sharer: g.sharer,
    title: g.title,
    firstName: g.firstName,
    lastName: g.lastName,
    fullName: g.fullName,
    language: g.language,
    vip: g.vip,
    groupCode: g.group,
    arrival: g.arrival,
    departure: g.departure,
  };
}

export function roomFromRows(r: RoomRow, guestRows: StayRow[]): StoredRoom {
  return {
    room: {
      number: r.number,
      extension: r.extension,
      occupied: r.occupied,
      dnd: r.dnd,
      classOfService: r.classOfService,
      messageLamp: r.messageLamp,
      voiceNew: r.voiceNew,
      voiceSaved: r.voiceSaved,
      housekeeping:
        r.housekeepingStatus === null
          ? null
          : { status: r.housekeepingStatus, maid: r.housekeepingMaid, at: r.housekeepingAt ?? 0 },
      guests: guestRows.map(guestFromRow),
    },
    phone: { address: r.phoneAddress, transport: r.phoneTransport, mac: r.phoneMac },
    predefined: r.predefined,
  };
}

export async function loadRoom(db: Queryable, number: string): Promise<StoredRoom | undefined> {
  const [r] = await db.select().from(rooms).where(eq(rooms.number, number));
  if (!r) return undefined;
  const g = await db
    .select()
    .from(stays)
    .where(and(eq(stays.room, number), eq(stays.active, true)))
    .orderBy(asc(stays.id));
  return roomFromRows(r, g);
}

export async function listRooms(db: Queryable): Promise<StoredRoom[]> {
  const all = await db.select().from(rooms).orderBy(asc(rooms.number));
  const active = await db.select().from(stays).where(eq(stays.active, true)).orderBy(asc(stays.id));
  const byRoom = new Map<string, StayRow[]>();
  for (const s of active) {
    const list = byRoom.get(s.room);
    if (list) list.push(s);
    else byRoom.set(s.room, [s]);
  }
  return all.map((r) => roomFromRows(r, byRoom.get(r.number) ?? []));
}

export interface RoomWrite {
  before: Room | undefined;
  after: Room;
  /** Reservations of this room listed by the running resync. */
  resyncMark?: { id: number; reservations: ReadonlySet<string> };
}

const CHUNK = 300;

/**
 * Writes room rows and brings their active stays in line with `after.guests`, in as few statements
 * as possible: one multi-row upsert for the rooms, one multi-row insert for new stays, one UPDATE
 * per resync id for the "listed" marks; only guest data changes and check-outs go row by row.
 */
export async function saveRooms(db: Queryable, writes: RoomWrite[], now: number): Promise<void> {
  if (!writes.length) return;
  const roomRows = writes.map(({ after }) => ({
    number: after.number,
    extension: after.extension,
    occupied: after.occupied,
    dnd: after.dnd,
    classOfService: after.classOfService,
    messageLamp: after.messageLamp,
    voiceNew: after.voiceNew,
    voiceSaved: after.voiceSaved,
    housekeepingStatus: after.housekeeping?.status ?? null,
    housekeepingMaid: after.housekeeping?.maid ?? null,
    housekeepingAt: after.housekeeping?.at ?? null,
    createdAt: now,
    updatedAt: now,
  }));
  const updated = sql.raw(
    [
      "extension",
      "occupied",
      "dnd",
      "class_of_service",
      "message_lamp",
      "voice_new",
      "voice_saved",
      "housekeeping_status",
      "housekeeping_maid",
      "housekeeping_at",
      "updated_at",
    ]
      .map((c) => `${c} = excluded.${c}`)
      .join(", "),
  );
  await bulkInsert(db, rooms, roomRows, sql`on conflict(number) do update set ${updated}`);

  const inserts: (typeof stays.$inferInsert)[] = [];
  const marks = new Map<number, [string, string][]>();
  for (const { before, after, resyncMark } of writes) {
    const old = new Map((before?.guests ?? []).map((g) => [g.reservation, g]));
    const gone = [...old.keys()].filter((res) => !after.guests.some((g) => g.reservation === res));
    if (gone.length) {
      await db
        .update(stays)
        .set({ active: false, checkedOutAt: now })
        .where(and(eq(stays.room, after.number), eq(stays.active, true), inArray(stays.reservation, gone)));
    }
    for (const g of after.guests) {
      const prev = old.get(g.reservation);
      const marked = resyncMark?.reservations.has(g.reservation) ?? false;
      if (!prev) {
        inserts.push({
          room: after.number,
          ...guestColumns(g),
          checkedInAt: now,
          resyncSeen: marked && resyncMark ? resyncMark.id : null,
        });
        continue;
      }
      if (!sameGuest(prev, g)) {
        await db
          .update(stays)
          .set(guestColumns(g))
          .where(and(eq(stays.room, after.number), eq(stays.active, true), eq(stays.reservation, g.reservation)));
      }
      if (marked && resyncMark) {
        const list = marks.get(resyncMark.id) ?? [];
        list.push([after.number, g.reservation]);
        marks.set(resyncMark.id, list);
      }
    }
  }
  await bulkInsert(db, stays, inserts);
  for (const [id, pairs] of marks) {
    for (let i = 0; i < pairs.length; i += CHUNK) {
      const values = sql.join(
        pairs.slice(i, i + CHUNK).map(([room, res]) => sql`(${room}, ${res})`),
        sql`, `,
      );
      await db.run(
        sql`update stays set resync_seen = ${id} where active = 1 and (room, reservation) in (values ${values})`,
      );
    }
  }
}

function sameGuest(a: Guest, b: Guest): boolean {
  for (const k of Object.keys(a) as (keyof Guest)[]) if (a[k] !== b[k]) return false;
  return true;
}

export async function updatePhone(
  db: Queryable,
  number: string,
  phone: { address?: string | null; transport?: string | null; mac?: string | null },
  now: number,
): Promise<void> {
  const set: Partial<typeof rooms.$inferInsert> = { updatedAt: now };
  if (phone.address !== undefined) set.phoneAddress = phone.address;
  if (phone.transport !== undefined) set.phoneTransport = phone.transport;
  if (phone.mac !== undefined) set.phoneMac = phone.mac;
  await db.update(rooms).set(set).where(eq(rooms.number, number));
}

export async function markPredefined(db: Queryable, number: string): Promise<void> {
  await db.update(rooms).set({ predefined: true }).where(eq(rooms.number, number));
}

/** The rooms whose phone has this MAC (the MAC → room table): one, or several in an older store. */
export async function roomsByPhoneMac(db: Queryable, mac: string): Promise<string[]> {
  const r = await db.select({ number: rooms.number }).from(rooms).where(eq(rooms.phoneMac, mac)).limit(10);
  return r.map((x) => x.number);
}

/** The rooms in DND and their extensions, by number: all a restart's DND re-assert needs. */
export async function dndRooms(db: Queryable): Promise<{ number: string; extension: string }[]> {
  return db
    .select({ number: rooms.number, extension: rooms.extension })
    .from(rooms)
    .where(eq(rooms.dnd, true))
    .orderBy(asc(rooms.number));
}

/** The room with this extension, if exactly one has it. */
export async function roomByExtension(db: Queryable, extension: string): Promise<string | undefined> {
  const r = await db.select({ number: rooms.number }).from(rooms).where(eq(rooms.extension, extension)).limit(2);
  return r.length === 1 ? r[0].number : undefined;
}

/** Just the phone of a room (the MWI sender asks for every NOTIFY). */
export async function roomPhone(db: Queryable, number: string) {
  const [r] = await db
    .select({ address: rooms.phoneAddress, transport: rooms.phoneTransport })
    .from(rooms)
    .where(eq(rooms.number, number));
  return r;
}
