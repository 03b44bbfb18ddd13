/**
 * @module domain/room
 * The room model and its rules, as pure functions over plain values: the store loads a room, a rule
 * returns the new room, the store writes it back and derives the PBX jobs from the difference.
 */

export interface Guest {
  /** FIAS G#; "" for room-based PMS. */
  reservation: string;
  sharer: boolean;
  title: string;
  firstName: string;
  lastName: string;
  /** The whole name: GN as sent, or "First Last" from a GN of "Last, First"; names fall back to it. */
  fullName: string;
  language: string;
  vip: string;
  group: string;
  /** ISO dates YYYY-MM-DD, or null when unknown. */
  arrival: string | null;
  departure: string | null;
}

export interface Housekeeping {
  /** FIAS RS code: 1 dirty/vacant … 6 inspected/occupied. */
  status: number;
  maid: string | null;
  at: number;
}

export interface Room {
  number: string;
  extension: string;
  occupied: boolean;
  dnd: boolean;
  /** FIAS CS: 0 barred, 1 local, 2 national, 3 unrestricted. */
  classOfService: number;
  /** PMS text messages waiting (FIAS XL, RE ML); they light the lamp. */
  messageLamp: number;
  /**
   * Guest voicemail of the current stay: new (unheard or not yet saved) and saved messages. Kept in
   * step with the message rows by the services; the lamp is lit by `messageLamp + voiceNew`.
   */
  voiceNew: number;
  voiceSaved: number;
  housekeeping: Housekeeping | null;
  /** Primary guest first; sharers after. */
  guests: Guest[];
}

export interface RoomRules {
  checkinClassOfService: number;
  checkoutClassOfService: number;
}

export function emptyGuest(reservation = ""): Guest {
  return {
    reservation,
    sharer: false,
    title: "",
    firstName: "",
    lastName: "",
    fullName: "",
    language: "",
    vip: "",
    group: "",
    arrival: null,
    departure: null,
  };
}

export function newRoom(number: string, extension: string): Room {
  return {
    number,
    extension,
    occupied: false,
    dnd: false,
    classOfService: 0,
    messageLamp: 0,
    voiceNew: 0,
    voiceSaved: 0,
    housekeeping: null,
    guests: [],
  };
}

export type GuestPatch = Partial<Guest>;

/** Only the fields present in a record change (FIAS GC and resync GI carry no defaults). */
export function mergeGuest(g: Guest, patch: GuestPatch): Guest {
  const out = { ...g };
  for (const [k, v] of Object.entries(patch)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

export interface CheckInInput {
  guest: GuestPatch & { reservation: string };
  classOfService?: number;
  /** A resync record (FIAS SF) or a guest change: keep room statuses, change only what is sent. */
  keepStatuses: boolean;
}

/**
 * Check-in. On an empty room a plain check-in resets the room to the check-in defaults. A guest
 * already in the room (same reservation) is updated, so a repeated record changes nothing. A
 * non-sharer arriving in a room held by other reservations means the PMS dropped their check-out:
 * they are replaced.
 */
export function checkIn(room: Room, input: CheckInInput, rules: RoomRules): Room {
  const { guest, keepStatuses } = input;
  const existing = room.guests.findIndex((g) => g.reservation === guest.reservation);
  let next: Room = { ...room, guests: [...room.guests] };
  if (existing >= 0) {
    next.guests[existing] = mergeGuest(next.guests[existing], guest);
  } else {
    const added = mergeGuest(emptyGuest(guest.reservation), guest);
    if (room.occupied && added.sharer) next.guests.push(added);
    else {
      // A vacant room's class of service is our own check-out policy (usually barred), not a PMS
      // status: even a resync or GC arrival gets the check-in default unless the record sends CS.
      if (!room.occupied) {
        next = keepStatuses ? { ...next, classOfService: rules.checkinClassOfService } : resetForCheckIn(next, rules);
      } else if (!keepStatuses) {
        // The guests replaced left without a check-out we saw: their box goes to the archive (the
        // services do it), the newcomer's starts empty.
        next = { ...next, voiceNew: 0, voiceSaved: 0 };
      }
      next.guests = [added];
    }
  }
  next.occupied = true;
  if (input.classOfService !== undefined) next.classOfService = input.classOfService;
  return next;
}

function resetForCheckIn(room: Room, rules: RoomRules): Room {
  // A vacant room's box was archived at the last check-out; the services archive whatever a fresh
  // stay finds left there, so its counts start at zero.
  return {
    ...room,
    dnd: false,
    messageLamp: 0,
    voiceNew: 0,
    voiceSaved: 0,
    classOfService: rules.checkinClassOfService,
  };
}

/**
 * Whether `after` is a new stay in the room: occupied by reservations none of which were in it
 * before (a vacant room checked into, or a non-sharer replacing guests whose check-out the PMS never
 * sent). On an online check-in the services give such a stay a clean mailbox.
 */
export function startsNewStay(before: Room | undefined, after: Room): boolean {
  if (!after.occupied) return false;
  if (!before?.occupied) return true;
  return !after.guests.some((g) => before.guests.some((b) => b.reservation === g.reservation));
}

/** Check-out of one reservation (a sharer) or of everyone (reservation undefined or ""). */
export function checkOut(room: Room, reservation: string | undefined, rules: RoomRules): Room {
  const guests = reservation ? room.guests.filter((g) => g.reservation !== reservation) : [];
  if (reservation && guests.length === room.guests.length && room.guests.length > 0) return room;
  if (guests.length > 0) {
    // The primary guest left: the first remaining one becomes primary, no longer a sharer.
    if (guests[0].sharer) guests[0] = { ...guests[0], sharer: false };
    return { ...room, guests };
  }
  return {
    ...room,
    guests: [],
    occupied: false,
    dnd: false,
    messageLamp: 0,
    // The last guest out: the box is archived with the stay (the services do it in the same commit).
    voiceNew: 0,
    voiceSaved: 0,
    classOfService: rules.checkoutClassOfService,
  };
}

export interface MoveResult {
  from: Room;
  to: Room;
}

/**
 * Room move: the guest takes names, DND, class of service and the message lamp along; the old room
 * is checked out when nobody is left in it. (Wake-ups move in the store: they are rows of their own.)
 * The last guest out also takes the voicemail box (the services move its rows in the same commit),
 * added to what an occupied destination already holds, as the rows are.
 */
export function moveGuest(
  from: Room,
  to: Room,
  patch: GuestPatch & { reservation: string },
  rules: RoomRules,
): MoveResult {
  // Without a reservation (room-based PMS) the primary guest moves; with one, only that guest.
  const moving = patch.reservation ? from.guests.find((g) => g.reservation === patch.reservation) : from.guests[0];
  if (!moving) {
    // The guest is not in the old room (a check-in never seen, or a move already done): nothing to
    // take along and nobody to check out there; on the new room it is a check-in.
    return { from, to: checkIn(to, { guest: patch, keepStatuses: to.occupied }, rules) };
  }
  const guest = mergeGuest(moving, patch);
  const lastOut = from.guests.length <= 1;
  let nextTo = checkIn(to, { guest, keepStatuses: to.occupied }, rules);
  if (!to.occupied) {
    nextTo = {
      ...nextTo,
      dnd: from.dnd,
      classOfService: from.classOfService,
      messageLamp: lastOut ? from.messageLamp : nextTo.messageLamp,
    };
  }
  if (lastOut) {
    nextTo = { ...nextTo, voiceNew: nextTo.voiceNew + from.voiceNew, voiceSaved: nextTo.voiceSaved + from.voiceSaved };
  }
  const nextFrom = checkOut(from, moving.reservation || undefined, rules);
  return { from: nextFrom, to: nextTo };
}

export function primaryGuest(room: Room): Guest | undefined {
  return room.guests[0];
}
