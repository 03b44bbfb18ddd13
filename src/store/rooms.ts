/**
 * @module store/rooms
 * Loading and saving the domain Room: one `rooms` row plus the active `stays` rows.
 */
import { and, asc, eq, inArray } from "drizzle-orm";
import type { Guest, Room } from "../domain/room.ts";
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

/** Writes the room row and brings the active stays in line with `after.guests`. */
export async function saveRoom(
  db: Queryable,
  before: Room | undefined,
  after: Room,
  now: number,
  resyncMark?: { id: number; reservation: string },
): Promise<void> {
  const state = {
    extension: after.extension,
    occupied: after.occupied,
    dnd: after.dnd,
    classOfService: after.classOfService,
    messageLamp: after.messageLamp,
    housekeepingStatus: after.housekeeping?.status ?? null,
    housekeepingMaid: after.housekeeping?.maid ?? null,
    housekeepingAt: after.housekeeping?.at ?? null,
    updatedAt: now,
  };
  await db
    .insert(rooms)
    .values({ number: after.number, createdAt: now, ...state })
    .onConflictDoUpdate({ target: rooms.number, set: state });

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
    const marked = resyncMark !== undefined && resyncMark.reservation === g.reservation;
    const seen = marked ? { resyncSeen: resyncMark.id } : {};
    if (!prev) {
      await db.insert(stays).values({ room: after.number, ...guestColumns(g), checkedInAt: now, ...seen });
    } else if (!sameGuest(prev, g) || marked) {
      await db
        .update(stays)
        .set({ ...guestColumns(g), ...seen })
        .where(and(eq(stays.room, after.number), eq(stays.active, true), eq(stays.reservation, g.reservation)));
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
