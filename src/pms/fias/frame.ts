/**
 * @module fias/frame
 * STX…ETX framing over an arbitrary byte stream. Reads may split or coalesce frames; the reader
 * keeps a partial frame between pushes and resynchronises on the next STX after anything malformed.
 */

export const STX = 0x02;
export const ETX = 0x03;
export const MAX_RECORD_LENGTH = 2000;

export type FrameEvent =
  | { kind: "frame"; bytes: Uint8Array }
  | { kind: "error"; reason: "garbage" | "oversized" | "unterminated"; bytes: Uint8Array };

const GARBAGE_KEEP = 256; // bytes of junk kept for the log line

export class FrameReader {
  private buf: Uint8Array;
  private len = 0;
  private inFrame = false;
  private oversized = false;
  private garbage: number[] = [];
  private garbageCount = 0;

  constructor(private readonly maxLength = MAX_RECORD_LENGTH) {
    this.buf = new Uint8Array(Math.min(maxLength, 4096));
  }

  /** Feeds bytes; returns complete frames (payload without STX/ETX) and framing errors, in order. */
  push(chunk: Uint8Array): FrameEvent[] {
    const out: FrameEvent[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (!this.inFrame) {
        if (b === STX) {
          this.flushGarbage(out);
          this.startFrame();
        } else {
          this.garbageCount++;
          if (this.garbage.length < GARBAGE_KEEP) this.garbage.push(b);
        }
        continue;
      }
      if (b === ETX) {
        if (this.oversized) out.push({ kind: "error", reason: "oversized", bytes: this.buf.slice(0, this.len) });
        else out.push({ kind: "frame", bytes: this.buf.slice(0, this.len) });
        this.inFrame = false;
        continue;
      }
      if (b === STX) {
        // A new STX before ETX: the sender restarted mid-record; drop the partial one.
        out.push({ kind: "error", reason: "unterminated", bytes: this.buf.slice(0, this.len) });
        this.startFrame();
        continue;
      }
      if (this.oversized) continue;
      if (this.len >= this.maxLength) {
        this.oversized = true;
        continue;
      }
      if (this.len === this.buf.length) {
        const bigger = new Uint8Array(Math.min(this.maxLength, this.buf.length * 2));
        bigger.set(this.buf);
        this.buf = bigger;
      }
      this.buf[this.len++] = b;
    }
    this.flushGarbage(out);
    return out;
  }

  /** Bytes of a frame still waiting for its ETX. */
  get pending(): number {
    return this.inFrame ? this.len : 0;
  }

  reset(): void {
    this.inFrame = false;
    this.len = 0;
    this.oversized = false;
    this.garbage = [];
    this.garbageCount = 0;
  }

  private startFrame(): void {
    this.inFrame = true;
    this.len = 0;
    this.oversized = false;
  }

  private flushGarbage(out: FrameEvent[]): void {
    if (this.garbageCount === 0) return;
    out.push({ kind: "error", reason: "garbage", bytes: Uint8Array.from(this.garbage) });
    this.garbage = [];
    this.garbageCount = 0;
  }
}

export function wrapFrame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.length + 2);
  out[0] = STX;
  out.set(payload, 1);
  out[payload.length + 1] = ETX;
  return out;
}

/** Printable form of raw bytes for logs and the API trace: control bytes as <XX>. */
export function showBytes(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b < 0x20 || b === 0x7f ? `<${b.toString(16).padStart(2, "0")}>` : String.fromCharCode(b);
  return s;
}
