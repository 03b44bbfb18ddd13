/** Synthesised WAV files for the prompt tests: any encoding, channel count and chunk layout, well-formed or not. */
import { encodeAlaw, encodeUlaw } from "../../src/sip/rtp/g711.ts";

export type Encoding = "u8" | "s16" | "s24" | "s32" | "f32" | "f64" | "ulaw" | "alaw";

export interface WavOptions {
  rate: number;
  /** One array of −1…1 samples per channel, all the same length. */
  channels: Float64Array[];
  encoding?: Encoding;
  extensible?: boolean;
  /** Chunks written before / after the data chunk. */
  before?: { id: string; body: Uint8Array }[];
  after?: { id: string; body: Uint8Array }[];
  dataFirst?: boolean;
  omit?: "fmt " | "data";
  // Deliberate damage:
  formatCode?: number;
  vendorGuid?: boolean;
  bitsOverride?: number;
  fmtSize?: number;
  channelCount?: number;
  blockAlign?: number;
}

const CODES: Record<Encoding, number> = { u8: 1, s16: 1, s24: 1, s32: 1, f32: 3, f64: 3, ulaw: 7, alaw: 6 };
const BYTES: Record<Encoding, number> = { u8: 1, s16: 2, s24: 3, s32: 4, f32: 4, f64: 8, ulaw: 1, alaw: 1 };
const GUID_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

/** `seconds` of a sine at `hz`, peak `amplitude`, sampled at `rate`. */
export function sine(rate: number, seconds: number, hz: number, amplitude: number): Float64Array {
  const n = Math.round(rate * seconds);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = amplitude * Math.sin((2 * Math.PI * hz * i) / rate);
  return out;
}

export function wav(o: WavOptions): Uint8Array {
  const enc = o.encoding ?? "s16";
  const bytes = BYTES[enc];
  const nch = o.channels.length;
  const code = o.formatCode ?? CODES[enc];
  const bits = o.bitsOverride ?? bytes * 8;
  const blockAlign = o.blockAlign ?? bytes * nch;

  const fmtLength = o.extensible ? 40 : code === 1 ? 16 : 18;
  const fmt = new Uint8Array(fmtLength);
  const f = new DataView(fmt.buffer);
  f.setUint16(0, o.extensible ? 0xfffe : code, true);
  f.setUint16(2, o.channelCount ?? nch, true);
  f.setUint32(4, o.rate, true);
  f.setUint32(8, o.rate * blockAlign, true);
  f.setUint16(12, blockAlign, true);
  f.setUint16(14, bits, true);
  if (fmtLength >= 18) f.setUint16(16, fmtLength - 18, true);
  if (o.extensible) {
    f.setUint16(18, bits, true);
    f.setUint32(20, 0, true);
    f.setUint16(24, code, true);
    fmt.set(GUID_TAIL, 26);
    if (o.vendorGuid) fmt[30] = 0x42;
  }

  const frames = o.channels[0].length;
  const data = new Uint8Array(frames * bytes * nch);
  const d = new DataView(data.buffer);
  let at = 0;
  for (let i = 0; i < frames; i++) {
    for (const ch of o.channels) {
      writeSample(d, at, enc, ch[i]);
      at += bytes;
    }
  }

  const chunks: { id: string; body: Uint8Array }[] = [];
  const fmtChunk = { id: "fmt ", body: o.fmtSize === undefined ? fmt : fmt.subarray(0, o.fmtSize) };
  const dataChunk = { id: "data", body: data };
  const ordered = o.dataFirst ? [dataChunk, fmtChunk] : [fmtChunk];
  for (const c of ordered) if (c.id !== o.omit) chunks.push(c);
  chunks.push(...(o.before ?? []));
  if (!o.dataFirst && o.omit !== "data") chunks.push(dataChunk);
  chunks.push(...(o.after ?? []));
  return riff(chunks);
}

function riff(chunks: { id: string; body: Uint8Array }[]): Uint8Array {
  const size = 4 + chunks.reduce((n, c) => n + 8 + c.body.length + (c.body.length % 2), 0);
  const out = new Uint8Array(8 + size);
  const v = new DataView(out.buffer);
  const ascii = (at: number, s: string) => out.set(new TextEncoder().encode(s), at);
  ascii(0, "RIFF");
  v.setUint32(4, size, true);
  ascii(8, "WAVE");
  let at = 12;
  for (const c of chunks) {
    ascii(at, c.id);
    v.setUint32(at + 4, c.body.length, true);
    out.set(c.body, at + 8);
    at += 8 + c.body.length + (c.body.length % 2);
  }
  return out;
}

function writeSample(d: DataView, at: number, enc: Encoding, x: number): void {
  switch (enc) {
    case "u8":
      d.setUint8(at, Math.max(0, Math.min(255, Math.round(x * 127) + 128)));
      break;
    case "s16":
      d.setInt16(at, Math.round(x * 32767), true);
      break;
    case "s24": {
      const s = Math.round(x * 8388607);
      d.setUint8(at, s & 0xff);
      d.setUint8(at + 1, (s >> 8) & 0xff);
      d.setUint8(at + 2, (s >> 16) & 0xff);
      break;
    }
    case "s32":
      d.setInt32(at, Math.round(x * 2147483647), true);
      break;
    case "f32":
      d.setFloat32(at, x, true);
      break;
    case "f64":
      d.setFloat64(at, x, true);
      break;
    case "ulaw":
      d.setUint8(at, encodeUlaw(Math.round(x * 32768)));
      break;
    case "alaw":
      d.setUint8(at, encodeAlaw(Math.round(x * 32768)));
      break;
  }
}
