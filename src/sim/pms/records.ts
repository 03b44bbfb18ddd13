/**
 * @module sim/pms/records
 * What the simulator writes, record by record: DA/TI stamps on its clock, and the bytes of a batch
 * of records in the variant's framing.
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
