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

/** Longest CT the PMS keeps (FIAS: ANS 20). */
const CT_MAX = 20;

/**
 * PS: a posting. FIAS postings are room-based (RN; "postings to specific guests … not supported"),
 * so the reservation stays with our row and is not sent. PT says how it is costed: C with TA
 * (pre-costed calls, charges, minibar with a price), T with MP or DU+DD (the PMS costs the call), M
 * with MA/M# (the PMS prices the articles). DA/TI are when the charge happened (a call's start), and
 * P# is echoed in the PA.
 */
function serializePosting(p: Extract<PmsAction, { kind: "posting" }>): string {
  const f: Record<string, string> = { RN: p.room };
  if (p.amount !== undefined) {
    f.PT = "C";
    f.TA = String(p.amount);
  } else if (p.charge === "minibar") {
    f.PT = "M";
    f.MA = p.article ?? "";
    f["M#"] = String(p.quantity ?? 1);
  } else {
    f.PT = "T";
    if (p.pulses !== undefined) f.MP = String(p.pulses);
    if (p.durationSeconds !== undefined) f.DU = fiasDuration(p.durationSeconds);
  }
  if (p.dialled) f.DD = dialledDigits(p.dialled);
  if (p.callType) f.PC = p.callType;
  const text = p.text ? clean(p.text).slice(0, CT_MAX).trim() : "";
  if (text) f.CT = text;
  f.DA = fiasDate(p.at);
  f.TI = fiasTime(p.at);
  f["P#"] = String(p.sequence);
  return formatRecord({ type: "PS", fields: f });
}

/** DU is HHMMSS (`DU000345` = 3 min 45 s). */
function fiasDuration(seconds: number): string {
  const s = Math.min(Math.max(0, Math.round(seconds)), 99 * 3600 + 59 * 60 + 59);
  const p2 = (n: number) => String(n).padStart(2, "0");
  return `${p2(Math.floor(s / 3600))}${p2(Math.floor((s % 3600) / 60))}${p2(s % 60)}`;
}

/** DD is unformatted digits (≤ 20): a leading + becomes the international prefix 00. */
function dialledDigits(n: string): string {
  return n
    .trim()
    .replace(/^\+/, "00")
    .replace(/[^0-9]/g, "")
    .slice(0, 20);
}

/** Free text without the field separator and control characters FIAS forbids. */
function clean(t: string): string {
  return t.replace(/[|\p{Cc}]/gu, " ").trim();
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
