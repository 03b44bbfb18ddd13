/**
 * @module fias/outgoing
 * Text of the records the appliance sends to the PMS. Kept as FIAS text in the outbox so a support
 * engineer reads exactly what went (or will go) on the wire.
 */
import { type PmsAction, type RenderedAction, wakeupDayKey, wakeupTimeKey } from "../../domain/pms-events.ts";
import { fiasDate, fiasTime } from "./datetime.ts";
import { formatRecord } from "./record.ts";

/**
 * An outgoing action of the PMS event model as the outbox row of a FIAS record: its record ID and
 * text. Every record the services send goes through here.
 */
export function renderAction(action: PmsAction): RenderedAction {
  switch (action.kind) {
    case "wakeup-result":
      return {
        type: "WA",
        text: serializeWakeupAnswer(action.room, wakeupDayKey(action.date), wakeupTimeKey(action.time), action.status),
      };
    case "housekeeping":
      return { type: "RE", text: serializeHousekeeping(action.room, action.status, action.maid) };
    case "voicemail-count":
      return { type: "RE", text: serializeVoicemailCount(action.room, action.unread, action.read) };
    case "message-retrieved":
      return { type: "XD", text: serializeMessageDeleted(action.room, action.reservation, action.messageId) };
    case "resync-request":
      return { type: "DR", text: serializeResyncRequest(action.at) };
    case "posting":
      return { type: "PS", text: serializePosting(action) };
  }
}

/**
 * PS: a posting. A sketch for the postings work (issue 15 §2): nothing enqueues one yet, and the
 * field set (TA, M#/MA, CT) is to be checked against the spec and the site's PMS.
 */
function serializePosting(p: Extract<PmsAction, { kind: "posting" }>): string {
  const fields: Record<string, string> = { RN: p.room, "P#": String(p.sequence) };
  if (p.reservation) fields["G#"] = p.reservation;
  if (p.amount !== undefined) fields.TA = String(p.amount);
  if (p.pulses !== undefined) fields.MP = String(p.pulses);
  if (p.article !== undefined) fields.MA = p.article;
  if (p.quantity !== undefined) fields["M#"] = String(p.quantity);
  if (p.text) fields.CT = p.text;
  return formatRecord({ type: "PS", fields });
}

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
