/**
 * @module voice/sound-meter
 * Which 20 ms frames of a recording hold sound, the way Asterisk's silence detector decides it
 * (dsp.c: the mean absolute 16-bit sample of a frame against `silencethreshold`, 128 in
 * voicemail.conf.sample). Frames are fixed 160-byte slices of the stored audio, whatever the
 * packets' size, and the meter keeps one energy sum per frame (9,000 numbers for 3 minutes), so
 * the sound time stays right when audio is later cut or a late packet fills a gap.
 */
import { decodeAlaw, decodeUlaw } from "../sip/rtp/g711.ts";
import type { G711Codec } from "./g711-wav.ts";

export const FRAME_BYTES = 160;
/** Asterisk's voicemail default: lower is more sensitive. */
export const DEFAULT_SILENCE_THRESHOLD = 128;

const ABS: Record<G711Codec, Uint16Array> = {
  PCMU: Uint16Array.from({ length: 256 }, (_, i) => Math.abs(decodeUlaw(i))),
  PCMA: Uint16Array.from({ length: 256 }, (_, i) => Math.abs(decodeAlaw(i))),
};

export class SoundMeter {
  private sums = new Uint32Array(512);
  private abs: Uint16Array;

  constructor(
    codec: G711Codec,
    private readonly threshold = DEFAULT_SILENCE_THRESHOLD,
  ) {
    this.abs = ABS[codec];
  }

  setCodec(codec: G711Codec): void {
    this.abs = ABS[codec];
  }

  /**
   * Counts `bytes` stored at audio offset `at`. Returns whether a frame this completed (its last
   * byte among them) holds sound: the caller is speaking.
   */
  add(at: number, bytes: Uint8Array): boolean {
    this.grow(Math.floor((at + bytes.length) / FRAME_BYTES) + 1);
    const abs = this.abs;
    const sums = this.sums;
    let heard = false;
    let i = 0;
    while (i < bytes.length) {
      const frame = Math.floor((at + i) / FRAME_BYTES);
      const end = Math.min(bytes.length, (frame + 1) * FRAME_BYTES - at);
      let s = 0;
      for (let k = i; k < end; k++) s += abs[bytes[k]];
      sums[frame] += s;
      if ((at + end) % FRAME_BYTES === 0 && sums[frame] >= this.threshold * FRAME_BYTES) heard = true;
      i = end;
    }
    return heard;
  }

  /** Takes back `n` bytes of value `code` counted at `at` (silence a late packet replaces). */
  remove(at: number, n: number, code: number): void {
    const a = this.abs[code];
    for (let i = 0; i < n; i++) {
      const frame = Math.floor((at + i) / FRAME_BYTES);
      this.sums[frame] = Math.max(0, this.sums[frame] - a);
    }
  }

  /** The audio now ends at `length`; `tail` is the audio of its last, partial frame (may be empty). */
  truncate(length: number, tail: Uint8Array): void {
    const frame = Math.floor(length / FRAME_BYTES);
    if (frame < this.sums.length) this.sums.fill(0, frame);
    if (tail.length > 0) this.add(frame * FRAME_BYTES, tail);
  }

  private sound(frame: number, samples: number): boolean {
    return samples > 0 && frame < this.sums.length && this.sums[frame] >= this.threshold * samples;
  }

  /** Time with sound in audio of `length` bytes, in milliseconds (a partial last frame by its share). */
  soundMs(length: number): number {
    const full = Math.floor(length / FRAME_BYTES);
    let samples = 0;
    for (let f = 0; f < full; f++) if (this.sound(f, FRAME_BYTES)) samples += FRAME_BYTES;
    const rest = length - full * FRAME_BYTES;
    if (this.sound(full, rest)) samples += rest;
    return Math.round(samples / 8);
  }

  /** Where the last frame with sound ends in audio of `length` bytes; 0 when there is none. */
  soundEnd(length: number): number {
    const full = Math.floor(length / FRAME_BYTES);
    const rest = length - full * FRAME_BYTES;
    if (this.sound(full, rest)) return length;
    for (let f = full - 1; f >= 0; f--) if (this.sound(f, FRAME_BYTES)) return (f + 1) * FRAME_BYTES;
    return 0;
  }

  private grow(frames: number): void {
    if (frames <= this.sums.length) return;
    let n = this.sums.length;
    while (n < frames) n *= 2;
    const next = new Uint32Array(n);
    next.set(this.sums);
    this.sums = next;
  }
}
