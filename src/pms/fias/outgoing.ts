/**
 * @module fias/outgoing
 * Text of the records the appliance sends to the PMS. Kept as FIAS text in the outbox so a support
 * engineer reads exactly what went (or will go) on the wire.
 */
import { fiasDate, fiasTime } from "./datetime.ts";
import { formatRecord } from "./record.ts";

/** RE RS (+ID): housekeeping status entered in the room. */
export function serializeHousekeeping(room: string, status: number, maid?: string): string {
  const fields: Record<string, string> = { RN: room, RS: String(status) };
  if (maid) fields.ID = maid;
  return formatRecord({ type: "RE", fields });
}

/** WA: one final result per wake-up; DA/TI echo the wake-up time exactly as the PMS sent it. */
export function serializeWakeupAnswer(room: string, da: string, ti: string, status: string): string {
  return formatRecord({ type: "WA", fields: { RN: room, DA: da, TI: ti, AS: status } });
}

/** RE VM: voice-mail count (`VMY` or `VM0103` = 1 unread / 3 read). */
export function serializeVoicemailCount(room: string, unread: number, read: number): string {
  const p = (n: number) => String(Math.min(99, n)).padStart(2, "0");
  return formatRecord({ type: "RE", fields: { RN: room, VM: `${p(unread)}${p(read)}` } });
}

/** XD: a message was retrieved by the guest. */
export function serializeMessageDeleted(room: string, reservation: string, messageId: string): string {
  return formatRecord({ type: "XD", fields: { RN: room, "G#": reservation, MI: messageId } });
}

/** DR: database resync request. DA/TI are the appliance's local time. */
export function serializeResyncRequest(local: {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}): string {
  return formatRecord({ type: "DR", fields: { DA: fiasDate(local), TI: fiasTime(local) } });
}
