/**
 * @module sim/mitel/hotel
 * The generated hotel (sim/pms/hotel.ts) as a Mitel PMS states it: per occupied room CHK1, the first
 * guest's name (NAM1 "SURNAME,FIRST", upper case), the station restriction (RST, the FIAS CS level)
 * and, when set, DND1 and MW 1. A GRS cycle is GRS, those, END.
 */
import type { MitelMessage, MitelName } from "../../pms/mitel/messages.ts";
import type { Guest, Hotel, Room } from "../pms/hotel.ts";

export function mitelName(g: Pick<Guest, "last" | "first">): MitelName {
  return { last: g.last.toUpperCase(), first: g.first.toUpperCase() };
}

/** The messages stating one occupied room, after its check-in. */
export function roomMessages(hotel: Hotel, room: string): MitelMessage[] {
  const guest = hotel.guests.find((g) => g.room === room);
  const r = hotel.rooms.find((x) => x.number === room);
  return guest && r ? stateOf(guest, r) : [];
}

function stateOf(guest: Guest, r: Room): MitelMessage[] {
  const room = r.number;
  const out: MitelMessage[] = [
    { type: "CHK", room, checkedIn: true },
    { type: "NAM", room, op: 1, name: mitelName(guest) },
    { type: "RST", room, level: r.cos },
  ];
  if (r.dnd) out.push({ type: "DND", room, on: true });
  if (r.messageLight) out.push({ type: "MW", room, on: true });
  return out;
}

/** GRS, every occupied room's messages, END. */
export function resyncMessages(hotel: Hotel): MitelMessage[] {
  const out: MitelMessage[] = [{ type: "GRS" }];
  const first = new Map<string, Guest>();
  for (const g of hotel.guests) if (!first.has(g.room)) first.set(g.room, g);
  for (const r of hotel.rooms) {
    const g = first.get(r.number);
    if (g) out.push(...stateOf(g, r));
  }
  out.push({ type: "END" });
  return out;
}
