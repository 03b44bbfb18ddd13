/**
 * @module mitel/messages
 * The messages of the Mitel PMS protocol (shared notes pms-protocols §1.3), parsed from the text
 * between STX and ETX by scanning bytes, and laid out per site profile (profiles.ts).
 *
 * PMS → system: CHK (check-in/out), NAM (name add/replace/delete, "SURNAME,FIRST"), MW (lamp), DND,
 * RST (station restriction), WKP (wake-up set/cancel), GRS…END (resync), AREYUTHERE (keepalive).
 * System → PMS: STS (maid status), MW (lamp), MR (message registration: meter pulses), RQINZ
 * (request to initialize: asks for GRS). A message that is not one of these, has a bad status or a
 * room that is not a room number is invalid: the link NAKs it.
 */
import { roomNumberProblem } from "../../domain/room-number.ts";
import { type Charset, decode, encode } from "../../lib/charset.ts";
import type { MitelProfile } from "./profiles.ts";

/** A name as the PMS sent it: "SURNAME,FIRST", or a surname alone. */
export interface MitelName {
  last: string;
  first: string;
}

export type MitelMessage =
  | { type: "CHK"; room: string; checkedIn: boolean; name?: MitelName }
  /** op 1 add, 2 replace, 3 delete. */
  | { type: "NAM"; room: string; op: 1 | 2 | 3; name: MitelName }
  | { type: "MW"; room: string; on: boolean }
  | { type: "DND"; room: string; on: boolean }
  /** 0 internal only, 1 local, 2 long distance (national), 3 unrestricted (Grandstream's 4th level). */
  | { type: "RST"; room: string; level: number }
  /** No time: cancel (4 blanks, or PhoneSuite's 9999). */
  | { type: "WKP"; room: string; time?: { hour: number; minute: number } }
  /** Maid status 1–9 (system → PMS). */
  | { type: "STS"; room: string; status: number }
  /** Meter pulses of a call, 0–9999 (system → PMS). */
  | { type: "MR"; room: string; pulses: number }
  | { type: "AREYUTHERE" }
  | { type: "GRS" }
  | { type: "END" }
  | { type: "RQINZ" };

export type MitelType = MitelMessage["type"];

export type ParseResult = { ok: true; message: MitelMessage } | { ok: false; reason: string };

const SP = 0x20;

/** Which way a message travels; parsing checks it (a PMS sending STS is an error). */
export type Direction = "from-pms" | "to-pms";

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

/** [start, end) of bytes with the spaces around them trimmed. */
function trimmed(b: Uint8Array, start: number, end: number): [number, number] {
  let s = start;
  let e = Math.min(end, b.length);
  while (s < e && b[s] === SP) s++;
  while (e > s && b[e - 1] === SP) e--;
  return [s, e];
}

function ascii(b: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i++) s += String.fromCharCode(b[i]);
  return s;
}

function fn3(b: Uint8Array, c0: number, c1: number, c2: number): boolean {
  return b.length >= 3 && b[0] === c0 && b[1] === c1 && b[2] === c2;
}

class Invalid extends Error {}

function fail(reason: string): never {
  throw new Invalid(reason);
}

/** The room from bytes [start, end): spaces trimmed, no inner space, a room number by the API's rule. */
function roomAt(b: Uint8Array, start: number, end: number, what: string): string {
  const [s, e] = trimmed(b, start, end);
  if (s === e) fail(`${what} without a room`);
  for (let i = s; i < e; i++) if (b[i] === SP) fail(`${what} room field ${JSON.stringify(ascii(b, start, end))}`);
  const room = ascii(b, s, e);
  const problem = roomNumberProblem(room, `${what} room`);
  if (problem) fail(problem);
  return room;
}

/** A single-digit status at `i`, one of `allowed`. */
function statusAt(b: Uint8Array, i: number, what: string, allowed: number): number {
  const c = b[i];
  if (c === undefined || !isDigit(c) || c - 0x30 > allowed) {
    fail(`${what} status ${c === undefined ? "missing" : JSON.stringify(String.fromCharCode(c))}`);
  }
  return c - 0x30;
}

function nameOf(text: string): MitelName {
  const t = text.trim();
  const comma = t.indexOf(",");
  if (comma < 0) return { last: t, first: "" };
  return { last: t.slice(0, comma).trim(), first: t.slice(comma + 1).trim() };
}

/** Room then name ("  101 SMITH,JOHN"), from `start`; the name may be empty. */
function roomThenName(b: Uint8Array, start: number, charset: Charset, what: string): { room: string; name: string } {
  let s = start;
  while (s < b.length && b[s] === SP) s++;
  let e = s;
  while (e < b.length && b[e] !== SP) e++;
  const room = roomAt(b, s, e, what);
  return { room, name: decode(b.subarray(e), charset).trim() };
}

function parseName(b: Uint8Array, p: MitelProfile, charset: Charset): MitelMessage {
  const op = statusAt(b, 3, "NAM", 3);
  if (op < 1) fail("NAM op 0 (expected 1 add, 2 replace, 3 delete)");
  let room: string;
  let name: string;
  if (p.nameLayout === "room-name") {
    ({ room, name } = roomThenName(b, 4, charset, "NAM"));
  } else if (b.length >= 5 + p.nameWidth + 1 && b[4] === SP) {
    // Fixed width: op, a blank, NAME(21), then the room.
    room = roomAt(b, 5 + p.nameWidth, b.length, "NAM");
    name = decode(b.subarray(5, 5 + p.nameWidth), charset).trim();
  } else {
    // Shorter than the layout: the last word is the room (a PMS that does not pad the name).
    const [s, e] = trimmed(b, 4, b.length);
    let cut = e;
    while (cut > s && b[cut - 1] !== SP) cut--;
    room = roomAt(b, cut, e, "NAM");
    name = decode(b.subarray(s, cut), charset).trim();
  }
  if (op !== 3 && name === "") fail("NAM without a name");
  return { type: "NAM", room, op: op as 1 | 2 | 3, name: nameOf(name) };
}

function parseWakeup(b: Uint8Array): MitelMessage {
  if (b.length < 8) fail("WKP too short (expected WKP HHMM ROOM)");
  const room = roomAt(b, 7, b.length, "WKP");
  const blank = b[3] === SP && b[4] === SP && b[5] === SP && b[6] === SP;
  if (blank) return { type: "WKP", room };
  for (let i = 3; i < 7; i++) if (!isDigit(b[i])) fail(`WKP time ${JSON.stringify(ascii(b, 3, 7))}`);
  const hour = (b[3] - 0x30) * 10 + (b[4] - 0x30);
  const minute = (b[5] - 0x30) * 10 + (b[6] - 0x30);
  if (hour === 99 && minute === 99) return { type: "WKP", room };
  if (hour > 23 || minute > 59) fail(`WKP time ${JSON.stringify(ascii(b, 3, 7))}`);
  return { type: "WKP", room, time: { hour, minute } };
}

/** "GRS", "END", "RQINZ", "AREYUTHERE": the word, then only blanks. */
function word(b: Uint8Array, w: string): boolean {
  if (b.length < w.length) return false;
  for (let i = 0; i < w.length; i++) if (b[i] !== w.charCodeAt(i)) return false;
  for (let i = w.length; i < b.length; i++) if (b[i] !== SP) return false;
  return true;
}

function parseOrThrow(b: Uint8Array, dir: Direction, p: MitelProfile, charset: Charset): MitelMessage {
  const fromPms = dir === "from-pms";
  const only = (ok: boolean, type: string) => {
    if (!ok) fail(`${type} is not sent ${fromPms ? "by a PMS" : "to a PMS"}`);
  };
  if (fn3(b, 0x43, 0x48, 0x4b)) {
    only(fromPms, "CHK");
    const checkedIn = statusAt(b, 3, "CHK", 1) === 1;
    if (!p.checkInName) return { type: "CHK", room: roomAt(b, 4, b.length, "CHK"), checkedIn };
    const { room, name } = roomThenName(b, 4, charset, "CHK");
    return name && checkedIn ? { type: "CHK", room, checkedIn, name: nameOf(name) } : { type: "CHK", room, checkedIn };
  }
  if (fn3(b, 0x4e, 0x41, 0x4d)) {
    only(fromPms, "NAM");
    return parseName(b, p, charset);
  }
  if (b.length >= 2 && b[0] === 0x4d && b[1] === 0x57) {
    let i = 2;
    while (b[i] === SP) i++;
    const on = statusAt(b, i, "MW", 1) === 1;
    return { type: "MW", room: roomAt(b, i + 1, b.length, "MW"), on };
  }
  if (fn3(b, 0x44, 0x4e, 0x44)) {
    only(fromPms, "DND");
    return { type: "DND", on: statusAt(b, 3, "DND", 1) === 1, room: roomAt(b, 4, b.length, "DND") };
  }
  if (fn3(b, 0x52, 0x53, 0x54)) {
    only(fromPms, "RST");
    return { type: "RST", level: statusAt(b, 3, "RST", 3), room: roomAt(b, 4, b.length, "RST") };
  }
  if (fn3(b, 0x57, 0x4b, 0x50)) {
    only(fromPms, "WKP");
    return parseWakeup(b);
  }
  if (fn3(b, 0x53, 0x54, 0x53)) {
    only(!fromPms, "STS");
    const status = statusAt(b, 3, "STS", 9);
    if (status < 1) fail("STS status 0");
    return { type: "STS", status, room: roomAt(b, 4, b.length, "STS") };
  }
  if (b.length >= 3 && b[0] === 0x4d && b[1] === 0x52 && b[2] === SP) {
    only(!fromPms, "MR");
    for (let i = 3; i < 7; i++) if (!isDigit(b[i])) fail(`MR count ${JSON.stringify(ascii(b, 3, 7))}`);
    return { type: "MR", pulses: Number(ascii(b, 3, 7)), room: roomAt(b, 7, b.length, "MR") };
  }
  if (word(b, "GRS") || word(b, "END")) {
    only(fromPms, ascii(b, 0, 3));
    return { type: b[0] === 0x47 ? "GRS" : "END" };
  }
  if (word(b, "AREYUTHERE")) {
    only(fromPms, "AREYUTHERE");
    return { type: "AREYUTHERE" };
  }
  if (word(b, "RQINZ")) {
    only(!fromPms, "RQINZ");
    return { type: "RQINZ" };
  }
  const [s, e] = trimmed(b, 0, Math.min(b.length, 10));
  return fail(`unknown message ${JSON.stringify(ascii(b, s, e))}`);
}

/** Parses the text between STX and ETX. */
export function parseMessage(
  bytes: Uint8Array,
  opts: { profile: MitelProfile; charset: Charset; direction: Direction },
): ParseResult {
  for (const b of bytes) {
    if (b < 0x20 || b === 0x7f) return { ok: false, reason: `control byte 0x${b.toString(16).padStart(2, "0")}` };
  }
  try {
    return { ok: true, message: parseOrThrow(bytes, opts.direction, opts.profile, opts.charset) };
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, reason: err.message };
    throw err;
  }
}

/** The room field: sent right-padded to the profile's width (PMS side: `padLeft`), or after a space. */
function roomField(room: string, p: MitelProfile, padLeft: boolean): string {
  if (p.roomWidth === 0) return ` ${room}`;
  return padLeft ? room.padStart(p.roomWidth) : room.padEnd(p.roomWidth);
}

function nameText(n: MitelName): string {
  return n.first ? `${n.last},${n.first}` : n.last;
}

/**
 * The message as text, laid out per profile. `padLeft`: the PMS's habit (room padded on the left),
 * used by the simulator; the system pads right.
 */
export function formatMessage(m: MitelMessage, p: MitelProfile, padLeft = false): string {
  const r = (room: string) => roomField(room, p, padLeft);
  // sx2000: STATUS(2) is the digit and a blank; phonesuite's blank is the room's separator.
  const st = (d: number | string) => (p.roomWidth === 0 ? `${d}` : `${d} `);
  switch (m.type) {
    case "CHK": {
      const base = `CHK${st(m.checkedIn ? 1 : 0)}${r(m.room)}`;
      return m.name && p.checkInName ? `${base} ${nameText(m.name)}` : base;
    }
    case "NAM": {
      const name = nameText(m.name).slice(0, p.nameWidth);
      if (p.nameLayout === "room-name") return `NAM${m.op}${r(m.room)} ${name}`;
      return `NAM${m.op} ${name.padEnd(p.nameWidth)}${r(m.room)}`;
    }
    case "MW":
      return `MW ${st(m.on ? 1 : 0)}${r(m.room)}`;
    case "DND":
      return `DND${st(m.on ? 1 : 0)}${r(m.room)}`;
    case "RST":
      return `RST${st(m.level)}${r(m.room)}`;
    case "WKP": {
      const t = m.time ? `${String(m.time.hour).padStart(2, "0")}${String(m.time.minute).padStart(2, "0")}` : "    ";
      return `WKP${t}${r(m.room)}`;
    }
    case "STS":
      return `STS${st(m.status)}${r(m.room)}`;
    case "MR":
      return `MR ${String(m.pulses).padStart(4, "0")}${r(m.room)}`;
    case "AREYUTHERE":
      return "AREYUTHERE";
    case "GRS":
    case "END":
      return m.type.padEnd(10);
    case "RQINZ":
      // Trailing content is not characterised (UNCONFIRMED): padded to the common 10 characters.
      return "RQINZ".padEnd(10);
  }
}

/** The message's bytes in the site's charset (function codes and digits are ASCII in all of them). */
export function encodeMessage(m: MitelMessage, p: MitelProfile, charset: Charset, padLeft = false): Uint8Array {
  return encode(formatMessage(m, p, padLeft), charset);
}

/** Printable name "SURNAME,FIRST" (for logs and the simulator). */
export function mitelNameText(n: MitelName): string {
  return nameText(n);
}
