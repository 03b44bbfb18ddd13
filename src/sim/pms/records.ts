/**
 * @module sim/pms/records
 * What the simulator writes, record by record: DA/TI stamps on its clock, the PA answer to a posting,
 * and the bytes of a batch of records in the variant's framing.
 */
import { type Charset, encode } from "../../lib/charset.ts";
import { fiasDate, fiasTime, systemLocalTime } from "../../pms/fias/datetime.ts";
import type { Framing } from "../../pms/fias/frame.ts";
import { type FiasRecord, serializeRecord } from "../../pms/fias/record.ts";

/** DA and TI of a moment (milliseconds since the epoch), in local time as a PMS sends them. */
export function stampFields(now: number): { DA: string; TI: string } {
  const t = systemLocalTime(now);
  return { DA: fiasDate(t), TI: fiasTime(t) };
}

/** PA|RN|ASOK| echoing the posting's P#, DA and TI. */
export function postingAnswer(ps: FiasRecord): FiasRecord {
  const fields: Record<string, string> = { RN: ps.fields.RN ?? "", AS: "OK" };
  for (const id of ["P#", "DA", "TI"]) if (ps.fields[id] !== undefined) fields[id] = ps.fields[id];
  return { type: "PA", fields };
}

export interface FrameEncoding {
  framing: Framing;
  charset: Charset;
  /** Text appended to each record inside its frame, e.g. "\r\n". */
  recordSuffix: string;
}

/** The records framed one after the other, as one buffer for a single write. */
export function encodeFrames(records: FiasRecord[], enc: FrameEncoding): Uint8Array {
  const suffix = encode(enc.recordSuffix, enc.charset);
  return concat(records.map((r) => enc.framing.wrap(concat([serializeRecord(r, enc.charset), suffix]))));
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
