/**
 * @module g711
 * ITU-T G.711 μ-law and A-law companding (the segment/bias algorithm of the reference
 * implementation): 16-bit linear PCM ↔ 8-bit codes, and μ-law ↔ A-law transcoding through linear
 * (prompts are stored μ-law; a PCMA call transcodes them).
 */

/** μ-law silence (encoded 0). */
export const ULAW_SILENCE = 0xff;
/** A-law silence (encoded 0). */
export const ALAW_SILENCE = 0xd5;

const ULAW_BIAS = 0x84;
const ULAW_CLIP = 8159; // in 14-bit units
const ULAW_SEG_END = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff];
const ALAW_SEG_END = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];

function segment(value: number, ends: readonly number[]): number {
  for (let i = 0; i < ends.length; i++) if (value <= ends[i]) return i;
  return ends.length;
}

/** Encodes one 16-bit linear sample (clamped to −32768…32767) as μ-law. */
export function encodeUlaw(sample: number): number {
  let pcm = clamp16(sample) >> 2;
  let mask: number;
  if (pcm < 0) {
    pcm = -pcm;
    mask = 0x7f;
  } else {
    mask = 0xff;
  }
  if (pcm > ULAW_CLIP) pcm = ULAW_CLIP;
  pcm += ULAW_BIAS >> 2;
  const seg = segment(pcm, ULAW_SEG_END);
  if (seg >= 8) return 0x7f ^ mask;
  return ((seg << 4) | ((pcm >> (seg + 1)) & 0x0f)) ^ mask;
}

/** Decodes one μ-law byte to 16-bit linear (−32124…32124). */
export function decodeUlaw(code: number): number {
  const u = ~code & 0xff;
  let t = ((u & 0x0f) << 3) + ULAW_BIAS;
  t <<= (u & 0x70) >> 4;
  return u & 0x80 ? ULAW_BIAS - t : t - ULAW_BIAS;
}

/** Encodes one 16-bit linear sample (clamped to −32768…32767) as A-law. */
export function encodeAlaw(sample: number): number {
  let pcm = clamp16(sample) >> 3;
  let mask: number;
  if (pcm >= 0) {
    mask = 0xd5;
  } else {
    mask = 0x55;
    pcm = -pcm - 1;
  }
  const seg = segment(pcm, ALAW_SEG_END);
  if (seg >= 8) return 0x7f ^ mask;
  const quant = seg < 2 ? (pcm >> 1) & 0x0f : (pcm >> seg) & 0x0f;
  return ((seg << 4) | quant) ^ mask;
}

/** Decodes one A-law byte to 16-bit linear (−32256…32256). */
export function decodeAlaw(code: number): number {
  const a = (code & 0xff) ^ 0x55;
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return a & 0x80 ? t : -t;
}

function clamp16(sample: number): number {
  const s = Math.trunc(sample);
  return Math.min(32767, Math.max(-32768, s));
}

const ULAW_DECODE = Int16Array.from({ length: 256 }, (_, i) => decodeUlaw(i));
const ALAW_DECODE = Int16Array.from({ length: 256 }, (_, i) => decodeAlaw(i));
const ULAW_TO_ALAW = Uint8Array.from(ULAW_DECODE, (s) => encodeAlaw(s));
const ALAW_TO_ULAW = Uint8Array.from(ALAW_DECODE, (s) => encodeUlaw(s));

export function linearToUlaw(pcm: Int16Array): Uint8Array {
  const out = new Uint8Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = encodeUlaw(pcm[i]);
  return out;
}

export function ulawToLinear(codes: Uint8Array): Int16Array {
  const out = new Int16Array(codes.length);
  for (let i = 0; i < codes.length; i++) out[i] = ULAW_DECODE[codes[i]];
  return out;
}

export function linearToAlaw(pcm: Int16Array): Uint8Array {
  const out = new Uint8Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = encodeAlaw(pcm[i]);
  return out;
}

export function alawToLinear(codes: Uint8Array): Int16Array {
  const out = new Int16Array(codes.length);
  for (let i = 0; i < codes.length; i++) out[i] = ALAW_DECODE[codes[i]];
  return out;
}

/** μ-law → A-law, code by code: the A-law encoding of each μ-law code's linear value. */
export function ulawToAlaw(codes: Uint8Array): Uint8Array {
  const out = new Uint8Array(codes.length);
  for (let i = 0; i < codes.length; i++) out[i] = ULAW_TO_ALAW[codes[i]];
  return out;
}

/** A-law → μ-law, code by code: the μ-law encoding of each A-law code's linear value. */
export function alawToUlaw(codes: Uint8Array): Uint8Array {
  const out = new Uint8Array(codes.length);
  for (let i = 0; i < codes.length; i++) out[i] = ALAW_TO_ULAW[codes[i]];
  return out;
}
