/**
 * @module voice/g711-wav
 * The stored form of a voicemail message: a WAV file holding the call's G.711 payload as it arrived
 * (μ-law: format tag 7, A-law: 6; 8 kHz mono 8-bit, with the `fact` chunk non-PCM formats carry),
 * data at byte 58. While a recording runs the sizes are placeholders (0xFFFFFFFF, what streaming
 * writers leave); they are fixed when it ends, or by recovery after a crash (the data then runs to
 * the end of the file). Reading tolerates other chunk layouts, in case a file was edited.
 */
import fs from "node:fs";
import { alawToUlaw } from "../sip/rtp/g711.ts";

export type G711Codec = "PCMU" | "PCMA";

export const WAV_HEADER_BYTES = 58;
export const SIZE_PLACEHOLDER = 0xffffffff;
export const SAMPLES_PER_MS = 8;

const TAG: Record<G711Codec, number> = { PCMU: 7, PCMA: 6 };
/** How much of a file is searched for the chunks before the audio. */
const HEAD_SCAN = 4096;

/** The 58-byte header; `dataBytes` null writes the placeholders of a recording in progress. */
export function g711WavHeader(codec: G711Codec, dataBytes: number | null): Uint8Array {
  const out = new Uint8Array(WAV_HEADER_BYTES);
  const v = new DataView(out.buffer);
  const ascii = (at: number, s: string) => {
    for (let i = 0; i < 4; i++) out[at + i] = s.charCodeAt(i);
  };
  const pad = dataBytes === null ? 0 : dataBytes % 2;
  ascii(0, "RIFF");
  v.setUint32(4, dataBytes === null ? SIZE_PLACEHOLDER : WAV_HEADER_BYTES - 8 + dataBytes + pad, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  v.setUint32(16, 18, true);
  v.setUint16(20, TAG[codec], true);
  v.setUint16(22, 1, true); // mono
  v.setUint32(24, 8000, true);
  v.setUint32(28, 8000, true); // bytes a second
  v.setUint16(32, 1, true); // block align
  v.setUint16(34, 8, true); // bits a sample
  v.setUint16(36, 0, true); // no extra format bytes
  ascii(38, "fact");
  v.setUint32(42, 4, true);
  v.setUint32(46, dataBytes ?? SIZE_PLACEHOLDER, true);
  ascii(50, "data");
  v.setUint32(54, dataBytes ?? SIZE_PLACEHOLDER, true);
  return out;
}

export interface G711WavLayout {
  codec: G711Codec;
  /** Byte offset of the audio. */
  dataOffset: number;
  /** Audio bytes present: the declared size, or up to the end of the file when the size is a placeholder or too big. */
  dataBytes: number;
  /** The sizes were not fixed (a recording cut short) or do not match the file. */
  unfinished: boolean;
}

function fourcc(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at], b[at + 1], b[at + 2], b[at + 3]);
}

/**
 * Where the audio of a G.711 WAV is, from its first bytes and the file's size; undefined when it is
 * not an 8 kHz mono 8-bit G.711 WAV. Never throws.
 */
export function g711WavLayout(head: Uint8Array, fileBytes: number): G711WavLayout | undefined {
  if (head.length < 12 || fourcc(head, 0) !== "RIFF" || fourcc(head, 8) !== "WAVE") return undefined;
  const v = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let codec: G711Codec | undefined;
  let at = 12;
  while (at + 8 <= head.length) {
    const id = fourcc(head, at);
    const size = v.getUint32(at + 4, true);
    const body = at + 8;
    if (id === "fmt ") {
      if (size < 16 || body + 16 > head.length) return undefined;
      const tag = v.getUint16(body, true);
      const mono8k = v.getUint16(body + 2, true) === 1 && v.getUint32(body + 4, true) === 8000;
      if (!mono8k || v.getUint16(body + 14, true) !== 8) return undefined;
      if (tag === TAG.PCMU) codec = "PCMU";
      else if (tag === TAG.PCMA) codec = "PCMA";
      else return undefined;
    } else if (id === "data") {
      if (!codec || body > fileBytes) return undefined;
      const present = fileBytes - body;
      const unfinished = size === SIZE_PLACEHOLDER || size > present || v.getUint32(4, true) === SIZE_PLACEHOLDER;
      return { codec, dataOffset: body, dataBytes: Math.min(size, present), unfinished };
    }
    at = body + size + (size % 2);
  }
  return undefined;
}

/** Opens `path` and reads its layout; undefined (nothing left open) when missing or not a G.711 WAV. */
export function openG711Wav(path: string, flags: "r" | "r+"): { fd: number; layout: G711WavLayout } | undefined {
  let fd: number;
  try {
    fd = fs.openSync(path, flags);
  } catch {
    return undefined;
  }
  try {
    const size = fs.fstatSync(fd).size;
    const head = new Uint8Array(Math.min(HEAD_SCAN, size));
    const got = fs.readSync(fd, head, 0, head.length, 0);
    const layout = g711WavLayout(head.subarray(0, got), size);
    if (layout) return { fd, layout };
  } catch {
    // unreadable: same as not ours
  }
  fs.closeSync(fd);
  return undefined;
}

/** Reads `n` bytes at `position`, however many reads it takes. */
export function readFully(fd: number, n: number, position: number): Uint8Array {
  const out = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const r = fs.readSync(fd, out, got, n - got, position + got);
    if (r === 0) break;
    got += r;
  }
  return got === n ? out : out.subarray(0, got);
}

/**
 * A stored message as 8 kHz μ-law for CallChannel.play (A-law converted). Throws when the file is
 * missing or is not a G.711 WAV; a message cut short by a crash plays up to where it was cut.
 */
export function readMessageUlaw(path: string): Uint8Array {
  const f = openG711Wav(path, "r");
  if (!f) throw new Error(`not a readable G.711 WAV message: ${path}`);
  try {
    const data = readFully(f.fd, f.layout.dataBytes, f.layout.dataOffset);
    return f.layout.codec === "PCMA" ? alawToUlaw(data) : data;
  } finally {
    fs.closeSync(f.fd);
  }
}
