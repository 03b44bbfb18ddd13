/** @module services/room-view: the API's view of a room. */
import { vipLevel } from "../domain/vip.ts";
import { isoWithOffset } from "../lib/zoned-time.ts";
import type { JobRow } from "../store/pbx-jobs.ts";
import type { StoredRoom } from "../store/rooms.ts";
import { nextAttemptOf, type WakeupRow } from "../store/wakeups.ts";
import type { RefusedClaim } from "./phones.ts";

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
  /** Guest voicemail of the current stay (the lamp also counts `new`). */
  voicemail: { new: number; saved: number };
  housekeeping: { status: number; maid: string | null; at: string } | null;
  phone: {
    address: string | null;
    transport: string | null;
    mac: string | null;
    /** Phone events refused for this room, newest first (one room's view only, not the list). */
    refusedClaims?: RefusedClaim[];
  };
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
      // Rows stored before GV N meant "not VIP" still hold the N.
      vip: vipLevel(g.vip),
      sharer: g.sharer,
      group: g.group,
      arrival: g.arrival,
      departure: g.departure,
    })),
    dnd: r.dnd,
    classOfService: r.classOfService,
    messageLamp: r.messageLamp,
    voicemail: { new: r.voiceNew, saved: r.voiceSaved },
    housekeeping: r.housekeeping
      ? { status: r.housekeeping.status, maid: r.housekeeping.maid, at: isoWithOffset(r.housekeeping.at, tz) }
      : null,
    phone: { ...s.phone },
    wakeups: wakeups.map((w) => ({ id: w.id, at: isoWithOffset(w.dueAt, tz), state: w.state })),
    mwi: mwi
      ? { state: mwi.state, attempts: mwi.attempts, lastError: mwi.lastError, at: isoWithOffset(mwi.updatedAt, tz) }
      : null,
  };
}

export interface WakeupView {
  id: number;
  room: string;
  /** The due time (the first call). */
  at: string;
  recurrence: WakeupRow["recurrence"];
  weekdays: number[] | null;
  /** Last date of a recurring wake-up (YYYY-MM-DD), `departure`, or null (no end). */
  until: string | null;
  source: WakeupRow["source"];
  state: WakeupRow["state"];
  /** Calls placed to the guest so far. */
  attempts: number;
  snoozes: number;
  /** When the next call is due (a retry or a snooze moves it); null once the wake-up has ended. */
  nextAttemptAt: string | null;
  /** Due but not calling yet: waiting in the queue for a free port. */
  waitingForPort: boolean;
  /** The guest calls have ended without a wake-up and the front desk is being called about it. */
  escalating: boolean;
  result: string | null;
}

export function wakeupView(w: WakeupRow, tz: string, now: number): WakeupView {
  const open = w.state === "pending" || w.state === "calling";
  const next = nextAttemptOf(w);
  return {
    id: w.id,
    room: w.room,
    at: isoWithOffset(w.dueAt, tz),
    recurrence: w.recurrence,
    weekdays: w.weekdays ?? null,
    until: w.untilDeparture ? "departure" : w.until,
    source: w.source,
    state: w.state,
    attempts: w.attempts,
    snoozes: w.snoozes,
    nextAttemptAt: open ? isoWithOffset(next, tz) : null,
    waitingForPort: w.state === "pending" && next <= now,
    escalating: open && w.pendingResult !== null,
    result: w.result,
  };
}
