/**
 * @module fias/record
 * One FIAS record: a two-character record ID, then `|`-separated fields, each a two-character field
 * ID followed by its value (`GI|RN101|G#42|GNSmith|`). Field order is free and empty fields are legal.
 * Parsing scans the bytes once; no regex.
 */
import { type Charset, decode, encode } from "../../lib/charset.ts";

export type FieldMap = Record<string, string>;

export interface FiasRecord {
  /** Two-character record ID: GI, GO, LS, … */
  type: string;
  fields: FieldMap;
}

export type ParseResult = { ok: true; record: FiasRecord } | { ok: false; reason: string };

const BAR = 0x7c;

function isIdByte(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
}

// Field IDs are two printable ASCII characters; some carry '#' or '$' (G#, P#, $J).
function isFieldIdByte(b: number): boolean {
  return b > 0x20 && b < 0x7f && b !== BAR;
}

// Two-character IDs are interned: a record stream repeats the same few dozen IDs endlessly.
const idCache = new Map<number, string>();
function idAt(bytes: Uint8Array, at: number): string {
  const key = (bytes[at] << 8) | bytes[at + 1];
  let id = idCache.get(key);
  if (id === undefined) {
    id = String.fromCharCode(bytes[at], bytes[at + 1]);
    idCache.set(key, id);
  }
  return id;
}

/** CR, LF, NUL and space: what PMSs and gateways leave at the ends of a record (`GI|…|` CR LF). */
function isPadding(b: number): boolean {
  return b === 0x0d || b === 0x0a || b === 0 || b === 0x20;
}

/**
 * Liberal reading: padding (CR, LF, NUL, space) around the record is trimmed first, so a record the
 * PMS ended with CR LF inside STX…ETX parses like any other.
 */
export function parseRecord(bytes: Uint8Array, charset: Charset = "latin1"): ParseResult {
  let n = bytes.length;
  while (n > 0 && isPadding(bytes[n - 1])) n--;
  let at = 0;
  while (at < n && isPadding(bytes[at])) at++;
  if (at > 0 || n < bytes.length) bytes = bytes.subarray(at, n);
  n = bytes.length;
  if (n < 2) return { ok: false, reason: "record shorter than its 2-character ID" };
  if (!isIdByte(bytes[0]) || !isIdByte(bytes[1])) return { ok: false, reason: "record ID is not 2 letters/digits" };
  const type = idAt(bytes, 0).toUpperCase();
  if (n > 2 && bytes[2] !== BAR) return { ok: false, reason: "record ID not followed by '|'" };
  const fields: FieldMap = {};
  let start = 3;
  while (start < n) {
    let end = start;
    for (; end < n; end++) {
      const b = bytes[end];
      if (b === BAR) break;
      if (b < 0x20 || b === 0x7f)
        return { ok: false, reason: `control byte 0x${b.toString(16)} at offset ${end + at}` };
    }
    if (end > start) {
      if (end - start < 2) return { ok: false, reason: `field at offset ${start} shorter than its 2-character ID` };
      if (!isFieldIdByte(bytes[start]) || !isFieldIdByte(bytes[start + 1])) {
        return { ok: false, reason: `invalid field ID at offset ${start}` };
      }
      const id = idAt(bytes, start);
      // The first occurrence wins: a repeated field is a sender bug, and the first is what it meant.
      if (fields[id] === undefined) fields[id] = decode(bytes.subarray(start + 2, end), charset);
    }
    start = end + 1;
  }
  return { ok: true, record: { type, fields } };
}

/** Serialises a record; values are stripped of bytes FIAS forbids (`|`, control characters). */
export function serializeRecord(rec: FiasRecord, charset: Charset = "latin1"): Uint8Array {
  let s = `${rec.type}|`;
  for (const [id, value] of Object.entries(rec.fields)) {
    if (value === undefined || value === null) continue;
    s += `${id}${sanitize(String(value))}|`;
  }
  return encode(s, charset);
}

function sanitize(v: string): string {
  let out = "";
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === BAR || c < 0x20 || c === 0x7f) continue;
    out += v[i];
  }
  return out;
}

/** Text form used in logs, traces and simulator scripts: `GI|RN101|G#42|`. */
export function formatRecord(rec: FiasRecord): string {
  let s = `${rec.type}|`;
  for (const [id, value] of Object.entries(rec.fields)) s += `${id}${value}|`;
  return s;
}

/** Parses the text form (`GI|RN101|…|`), as written in scripts and tests. */
export function recordFromText(text: string): FiasRecord {
  const r = parseRecord(encode(text.trim(), "utf8"), "utf8");
  if (!r.ok) throw new Error(`invalid FIAS record text ${JSON.stringify(text)}: ${r.reason}`);
  return r.record;
}
