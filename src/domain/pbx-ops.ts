/**
 * @module domain/pbx-ops
 * What the phone systems must be told after a room changed. Every PBX link gets the same ops; a
 * driver that lacks the capability for an op skips it with a recorded reason.
 */
import { type NameTemplates, roomDisplayName } from "./names.ts";
import type { Room } from "./room.ts";

export type Capability =
  | "names"
  | "checkin-state"
  | "dnd"
  | "class-of-service"
  | "guest-info"
  | "voicemail-cleanup"
  | "message-lamp";

export const allCapabilities: readonly Capability[] = [
  "names",
  "checkin-state",
  "dnd",
  "class-of-service",
  "guest-info",
  "voicemail-cleanup",
  "message-lamp",
];

export type PbxOp =
  | {
      op: "checkin";
      room: string;
      extension: string;
      name: string;
      arrival: string | null;
      departure: string | null;
      vip: string;
      language: string;
      classOfService: number;
    }
  | { op: "checkout"; room: string; extension: string; name: string }
  | { op: "name"; room: string; extension: string; name: string; occupied: boolean }
  | { op: "dnd"; room: string; extension: string; dnd: boolean }
  | { op: "cos"; room: string; extension: string; classOfService: number }
  | {
      op: "guest";
      room: string;
      extension: string;
      arrival: string | null;
      departure: string | null;
      vip: string;
      language: string;
    }
  | { op: "voicemail-cleanup"; room: string; extension: string }
  /**
   * The room phone's message lamp: `count` new messages waiting (0 = off); `old` saved voice
   * messages, for the phone's Voice-Message line (absent = 0). See {@link lampOf}.
   */
  | { op: "lamp"; room: string; extension: string; count: number; old?: number };

export const opCapability: Record<PbxOp["op"], Capability> = {
  checkin: "checkin-state",
  checkout: "checkin-state",
  name: "names",
  dnd: "dnd",
  cos: "class-of-service",
  guest: "guest-info",
  "voicemail-cleanup": "voicemail-cleanup",
  lamp: "message-lamp",
};

/**
 * What the room's lamp shows: PMS text messages and new voice messages both light it (a guest must
 * call either way), saved voice messages are the "old" of the phone's Voice-Message line. Links that
 * only switch a lamp (Zoom, UCM) read `count`.
 */
export function lampOf(room: Room): { count: number; old: number } {
  return { count: room.messageLamp + room.voiceNew, old: room.voiceSaved };
}

/** Ops for one room's change, in the order they should reach the phone system. */
export function pbxOpsFor(before: Room | undefined, after: Room, t: NameTemplates): PbxOp[] {
  const ops: PbxOp[] = [];
  const base = { room: after.number, extension: after.extension };
  const wasOccupied = before?.occupied ?? false;
  const g = after.guests[0];
  const bg = before?.guests[0];
  const name = roomDisplayName(after, t);
  const info = {
    arrival: g?.arrival ?? null,
    departure: g?.departure ?? null,
    vip: g?.vip ?? "",
    language: g?.language ?? "",
  };
  if (!wasOccupied && after.occupied) {
    ops.push({ op: "checkin", ...base, name, ...info, classOfService: after.classOfService });
  } else if (wasOccupied && !after.occupied) {
    ops.push({ op: "checkout", ...base, name });
    ops.push({ op: "voicemail-cleanup", ...base });
  } else if (
    after.occupied &&
    (bg?.arrival !== info.arrival ||
      bg?.departure !== info.departure ||
      bg?.vip !== info.vip ||
      bg?.language !== info.language)
  ) {
    ops.push({ op: "guest", ...base, ...info });
  }
  // A check-in or check-out carries the room's new name itself; a separate name op would send the
  // same update twice (and halve what a rate-limited PBX can take).
  const stateChanged = wasOccupied !== after.occupied;
  const beforeName = before ? roomDisplayName(before, t) : undefined;
  if (!stateChanged && (name !== beforeName || before?.extension !== after.extension)) {
    ops.push({ op: "name", ...base, name, occupied: after.occupied });
  }
  if ((before?.dnd ?? false) !== after.dnd) ops.push({ op: "dnd", ...base, dnd: after.dnd });
  if (before !== undefined && before.classOfService !== after.classOfService) {
    ops.push({ op: "cos", ...base, classOfService: after.classOfService });
  } else if (before === undefined && after.occupied) {
    ops.push({ op: "cos", ...base, classOfService: after.classOfService });
  }
  const lamp = lampOf(after);
  const was = before ? lampOf(before) : { count: 0, old: 0 };
  if (was.count !== lamp.count || was.old !== lamp.old) ops.push({ op: "lamp", ...base, ...lamp });
  return ops;
}
