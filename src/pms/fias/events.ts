/**
 * @module fias/events
 * The FIAS adapter of the PMS event model (domain/pms-events.ts): a received record becomes PMS
 * events, read as liberally as PMSs in the field send it; an outgoing action becomes FIAS text
 * (outgoing.ts). A record the appliance cannot apply throws, with the reason the inbox shows.
 */
import type { LocalDate, PmsAdapter, PmsEvent } from "../../domain/pms-events.ts";
import { roomNumberProblem } from "../../domain/room-number.ts";
import type { Charset } from "../../lib/charset.ts";
import { AppError } from "../../lib/errors.ts";
import { parseFiasDateTime, parseFiasTime } from "./datetime.ts";
import { type GuestFieldOptions, guestPatchFromFields, parseClassOfService, parseYesNo } from "./events-guest.ts";
import { showBytes } from "./frame.ts";
import { renderAction } from "./outgoing.ts";
import { type FiasRecord, parseRecord, recordFromText } from "./record.ts";

function invalid(message: string): never {
  throw new AppError("INVALID", message);
}

/** A room number from a record, held to the API's rule: a room the API cannot address is never made. */
function checkedRoom(rec: FiasRecord, field: "RN" | "RO", value: string): string {
  const problem = roomNumberProblem(value, `${rec.type} ${field}`);
  if (problem) invalid(problem);
  return value;
}

function roomOf(rec: FiasRecord): string {
  const rn = (rec.fields.RN ?? "").trim();
  if (!rn) invalid(`${rec.type} without a room number (RN)`);
  return checkedRoom(rec, "RN", rn);
}

/** RN when sent (checked), else undefined: messages may name the guest by G# alone. */
function optionalRoom(rec: FiasRecord): string | undefined {
  const rn = (rec.fields.RN ?? "").trim();
  return rn ? checkedRoom(rec, "RN", rn) : undefined;
}

/** The events of one FIAS record (one, today; a list so a protocol may split a frame). */
export function fiasRecordToEvents(rec: FiasRecord, opts: GuestFieldOptions = { splitGuestName: true }): PmsEvent[] {
  const f = rec.fields;
  const via = rec.type;
  switch (rec.type) {
    case "GI": {
      const guest = guestPatchFromFields(f, opts);
      const classOfService = parseClassOfService(f.CS);
      return [{ kind: "check-in", via, room: roomOf(rec), guest, classOfService, resync: f.SF !== undefined }];
    }
    case "GO": {
      const reservation = (f["G#"] ?? "").trim() || undefined;
      return [{ kind: "check-out", via, room: roomOf(rec), reservation, resync: f.SF !== undefined }];
    }
    case "GC": {
      const room = roomOf(rec);
      const from = (f.RO ?? "").trim();
      if (from) checkedRoom(rec, "RO", from);
      const guest = guestPatchFromFields(f, opts);
      const classOfService = parseClassOfService(f.CS);
      return [
        {
          kind: "guest-change",
          via,
          room,
          fromRoom: from || undefined,
          guest,
          classOfService,
          resync: f.SF !== undefined,
        },
      ];
    }
    case "RE":
      return [roomEquipment(rec)];
    case "WR":
    case "WC":
      return [wakeup(rec)];
    case "XL":
    case "XD": {
      const room = optionalRoom(rec);
      const reservation = (f["G#"] ?? "").trim();
      const messageId = (f.MI ?? "").trim();
      if (rec.type === "XL") return [{ kind: "message-waiting", via, room, reservation, messageId, text: f.MT ?? "" }];
      return [{ kind: "message-deleted", via, room, reservation, messageId }];
    }
    case "DS":
      return [{ kind: "resync-start", via }];
    case "DE":
      return [{ kind: "resync-end", via }];
    case "NS":
    case "NE":
      return [{ kind: "night-audit", via, running: rec.type === "NS" }];
    case "PA":
      return [postingAnswer(rec)];
    default:
      return invalid(`record type ${rec.type} is not handled by a PBX interface`);
  }
}

/** RE: DND (DN), message lamp (ML), class of service (CS), housekeeping status (RS, maid ID). */
function roomEquipment(rec: FiasRecord): PmsEvent {
  const f = rec.fields;
  const dnd = parseYesNo(f.DN, "DN");
  const lamp = parseYesNo(f.ML, "ML");
  const classOfService = parseClassOfService(f.CS);
  const rs = f.RS !== undefined && f.RS !== "" ? Number(f.RS) : undefined;
  if (rs !== undefined && (!Number.isInteger(rs) || rs < 0)) invalid(`RS ${JSON.stringify(f.RS)} is not a status code`);
  const ev: PmsEvent = { kind: "room-status", via: rec.type, room: roomOf(rec) };
  if (dnd !== undefined) ev.dnd = dnd;
  if (lamp !== undefined) ev.messageWaiting = lamp;
  if (classOfService !== undefined) ev.classOfService = classOfService;
  if (rs !== undefined) ev.housekeeping = { status: rs, maid: f.ID ?? null };
  return ev;
}

/**
 * FIAS answer statuses of a PA (Appendix B) that mean "not now, send it again": RY retry, NA night
 * audit running, BY busy. OK is accepted; every other code (NG guest not found, NP no-post, UR, DN,
 * CO, IA, FX, …, an unknown one, none at all) is a refusal a person has to look at.
 */
const RETRY_CODES = new Set(["RY", "NA", "BY"]);

/** PA: the PMS's answer to our PS, matched by P# (the sequence we sent). */
function postingAnswer(rec: FiasRecord): PmsEvent {
  const f = rec.fields;
  const code = (f.AS ?? "").trim().toUpperCase();
  const seq = (f["P#"] ?? "").trim();
  if (seq && !/^[0-9]{1,9}$/.test(seq)) invalid(`PA with P# ${JSON.stringify(f["P#"])}: not a posting sequence number`);
  const status = code === "OK" ? "accepted" : RETRY_CODES.has(code) ? "retry" : "rejected";
  const ev: PmsEvent = { kind: "posting-answer", via: rec.type, status, code, text: (f.CT ?? "").trim() };
  if (seq) ev.sequence = Number(seq);
  const room = optionalRoom(rec);
  if (room) ev.room = room;
  return ev;
}

/**
 * WR sets, WC clears a wake-up at DA/TI, hotel time. PMSs in the field also send a time without a
 * date (WR: the next such time; WC: every open wake-up at that time of day), and WC with DA alone
 * (that day's) or with neither (all of the room's).
 */
function wakeup(rec: FiasRecord): PmsEvent {
  const f = rec.fields;
  const room = roomOf(rec);
  const via = rec.type;
  const da = (f.DA ?? "").trim();
  const ti = (f.TI ?? "").trim();
  const time = ti ? parseFiasTime(ti) : undefined;
  if (ti && !time) invalid(`${rec.type} with TI ${JSON.stringify(f.TI)}: not a time HHMM or HHMMSS`);
  if (rec.type === "WC" && !da && !ti) return { kind: "wakeup-cancel", via, room };
  if (rec.type === "WC" && (!da || !ti)) {
    if (!da) return { kind: "wakeup-cancel", via, room, time };
    const day = parseFiasDateTime(da, undefined);
    if (!day) invalid(`WC with invalid DA ${JSON.stringify(f.DA)}`);
    return { kind: "wakeup-cancel", via, room, date: dateOf(day) };
  }
  if (!time) invalid(`${rec.type} without a time (TI)`);
  let date: LocalDate | undefined;
  if (da) {
    const local = parseFiasDateTime(da, ti);
    if (!local) invalid(`${rec.type} with invalid DA/TI ${JSON.stringify(f.DA)}/${JSON.stringify(f.TI)}`);
    date = dateOf(local);
  }
  if (rec.type === "WR") return { kind: "wakeup-set", via, room, date, time };
  return { kind: "wakeup-cancel", via, room, date, time };
}

function dateOf(d: LocalDate): LocalDate {
  return { year: d.year, month: d.month, day: d.day };
}

export interface FiasAdapterOptions extends GuestFieldOptions {
  charset: Charset;
}

/** FIAS as a PMS adapter: frames are parsed records, the inbox type is the record ID. */
export function fiasAdapter(opts: FiasAdapterOptions): PmsAdapter<FiasRecord> {
  const guest = { splitGuestName: opts.splitGuestName };
  return {
    parse(raw) {
      const r = parseRecord(raw, opts.charset);
      return r.ok ? { ok: true, frame: r.record } : r;
    },
    typeOf: (rec) => rec.type,
    toEvents: (rec) => fiasRecordToEvents(rec, guest),
    render: renderAction,
    isMessage(text) {
      try {
        recordFromText(text);
        return true;
      } catch {
        return false;
      }
    },
    printable: (raw) => showBytes(raw),
  };
}
