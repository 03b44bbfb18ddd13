/**
 * @module voice/tone
 * Tones generated as headerless 8 kHz μ-law, for CallChannel.play: the beep that tells a caller to
 * speak, and the warning pips before a recording's maximum. Generated, not recorded, so they need no
 * prompt file and no translation. The edges are ramped: a tone switched on at full level clicks.
 */
import { encodeUlaw } from "../sip/rtp/g711.ts";

const RATE = 8000;

export interface ToneOptions {
  hz: number;
  ms: number;
  /** Peak level in dB below full scale. Default −12. */
  dbfs?: number;
  /** Fade in and out, each. Default 5 ms. */
  rampMs?: number;
}

/** A sine tone as μ-law. */
export function tone(o: ToneOptions): Uint8Array {
  const n = Math.max(0, Math.round((o.ms * RATE) / 1000));
  const peak = 32767 * 10 ** ((o.dbfs ?? -12) / 20);
  const ramp = Math.min(Math.floor(n / 2), Math.round(((o.rampMs ?? 5) * RATE) / 1000));
  const step = (2 * Math.PI * o.hz) / RATE;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const edge = Math.min(i, n - 1 - i);
    const gain = ramp > 0 && edge < ramp ? edge / ramp : 1;
    out[i] = encodeUlaw(Math.round(peak * gain * Math.sin(step * i)));
  }
  return out;
}

/** μ-law silence of `ms`. */
export function silence(ms: number): Uint8Array {
  return new Uint8Array(Math.max(0, Math.round((ms * RATE) / 1000))).fill(0xff);
}

/** Audio pieces one after the other. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

let cachedBeep: Uint8Array | undefined;
let cachedWarning: Uint8Array | undefined;

/** "Speak after the tone": 1 kHz for 250 ms (the usual voicemail beep). */
export function beep(): Uint8Array {
  cachedBeep ??= tone({ hz: 1000, ms: 250 });
  return cachedBeep.slice();
}

/**
 * The recording is about to end: two short, softer, higher pips, unlike the start beep so a caller
 * does not take them for it.
 */
export function warningTone(): Uint8Array {
  const pip = () => tone({ hz: 1400, ms: 120, dbfs: -15 });
  cachedWarning ??= concat([pip(), silence(100), pip()]);
  return cachedWarning.slice();
}
