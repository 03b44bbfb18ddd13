/**
 * @module wakeup/call-for
 * What the dialer is asked to do for a claimed wake-up: the guest's call (their extension and
 * language, whether snoozing is still allowed) or, while a result waits in `pending_result`, the
 * front desk's escalation call in the desk's language.
 */
import type { Queryable } from "../store/db.ts";
import { loadRoom } from "../store/rooms.ts";
import type { WakeupRow } from "../store/wakeups.ts";
import type { WakeupCall } from "./dialer.ts";

export interface CallPolicy {
  escalation: { extension: string | null; language: string };
  snoozeLimit: number;
}

export async function callFor(tx: Queryable, row: WakeupRow, p: CallPolicy): Promise<WakeupCall> {
  if (row.pendingResult) {
    const call: WakeupCall = {
      id: row.id,
      room: row.room,
      kind: "escalation",
      snoozeAllowed: false,
      language: p.escalation.language,
    };
    if (p.escalation.extension) call.extension = p.escalation.extension;
    return call;
  }
  const room = await loadRoom(tx, row.room);
  const language = room?.room.guests.find((g) => g.language)?.language;
  const call: WakeupCall = {
    id: row.id,
    room: row.room,
    kind: "wakeup",
    snoozeAllowed: row.snoozes < p.snoozeLimit,
  };
  if (room) call.extension = room.room.extension;
  if (language) call.language = language;
  return call;
}
