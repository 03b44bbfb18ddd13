/** @module services/room-view: the API's view of a room. */
import { isoWithOffset } from "../lib/zoned-time.ts";
import type { JobRow } from "../store/pbx-jobs.ts";
import type { StoredRoom } from "../store/rooms.ts";
import type { WakeupRow } from "../store/wakeups.ts";

export interface RoomView {
  room: string;
  extension: string;
  occupied: boolean;
  guests: {
    reservation: string;
    title: string;
    firstName: string;
    lastName: string;
    language: string;
    vip: string;
    sharer: boolean;
    group: string;
    arrival: string | null;
    departure: string | null;
  }[];
  dnd: boolean;
  classOfService: number;
  messageLamp: number;
  housekeeping: { status: number; maid: string | null; at: string } | null;
  phone: { address: string | null; transport: string | null; mac: string | null };
  wakeups: { id: number; at: string; state: string }[];
  /** The last message-lamp NOTIFY for this room: pending, done, dead (with why) — null before any. */
  mwi: { state: string; attempts: number; lastError: string | null; at: string } | null;
}

export function roomView(s: StoredRoom, wakeups: WakeupRow[], tz: string, mwi?: JobRow): RoomView {
  const r = s.room;
  return {
    room: r.number,
    extension: r.extension,
    occupied: r.occupied,
    guests: r.guests.map((g) => ({
      reservation: g.reservation,
      title: g.title,
      firstName: g.firstName,
      lastName: g.lastName,
      language: g.language,
      vip: g.vip,
      sharer: g.sharer,
      group: g.group,
      arrival: g.arrival,
      departure: g.departure,
    })),
    dnd: r.dnd,
    classOfService: r.classOfService,
    messageLamp: r.messageLamp,
    housekeeping: r.housekeeping
      ? { status: r.housekeeping.status, maid: r.housekeeping.maid, at: isoWithOffset(r.housekeeping.at, tz) }
      : null,
    phone: s.phone,
    wakeups: wakeups.map((w) => ({ id: w.id, at: isoWithOffset(w.dueAt, tz), state: w.state })),
    mwi: mwi
      ? { state: mwi.state, attempts: mwi.attempts, lastError: mwi.lastError, at: isoWithOffset(mwi.updatedAt, tz) }
      : null,
  };
}

export function wakeupView(w: WakeupRow, tz: string) {
  return {
    id: w.id,
    room: w.room,
    at: isoWithOffset(w.dueAt, tz),
    recurrence: w.recurrence,
    source: w.source,
    state: w.state,
    attempts: w.attempts,
    result: w.result,
  };
}
