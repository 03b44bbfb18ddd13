/**
 * @module fias/frame
 * Record framing over an arbitrary byte stream. Reads may split or coalesce frames; a reader keeps a
 * partial frame between pushes. Two framings:
 * - `stx-etx` (FIAS, Spec §7): STX record ETX. The reader resynchronises on the next STX after
 *   anything malformed; CR, LF, NUL and spaces between frames (a PMS that ends each frame with CR LF)
 *   are skipped quietly, anything else outside a frame is reported as garbage.
 * - `crlf`: a record per line, ended by CR LF (or a bare CR or LF), as some PMS simulators and
 *   protocol gateways send. Blank lines are skipped; a stray STX/ETX around the line is dropped.
 * Both write what they read: the configured framing is the peer's, in both directions.
 */

export const STX = 0x02;
export const ETX = 0x03;
export const CR = 0x0d;
export const LF = 0x0a;
export const MAX_RECORD_LENGTH = 2000;

export const framings = ["stx-etx", "crlf"] as const;
export type FramingName = (typeof framings)[number];

/** What a link reads frames with. */
export interface FrameSource {
  /** Feeds bytes; returns complete frames (payload without framing bytes) and framing errors, in order. */
  push(chunk: Uint8Array): FrameEvent[];
  /** Bytes of a frame still waiting for its end. */
  readonly pending: number;
  reset(): void;
}

export interface Framing {
  readonly name: FramingName;
  reader(maxLength?: number): FrameSource;
  wrap(payload: Uint8Array): Uint8Array;
}

export const stxEtxFraming: Framing = {
  name: "stx-etx",
  reader: (maxLength) => new FrameReader(maxLength),
  wrap: wrapFrame,
};

export const crlfFraming: Framing = {
  name: "crlf",
  reader: (maxLength) => new LineFrameReader(maxLength),
  wrap: wrapLine,
};

export function framingOf(name: FramingName): Framing {
  return name === "crlf" ? crlfFraming : stxEtxFraming;
}

/** Bytes a PMS may leave between frames without meaning anything: CR, LF, NUL, space. */
function isFiller(b: number): boolean {
  return b === CR || b === LF || b === 0 || b === 0x20;
}

export type FrameEvent =
  | { kind: "frame"; bytes: Uint8Array }
  | {
      kind: "error";
      reason: "garbage" | "oversized" | "unterminated";
      /** A sample: garbage keeps its first bytes only. */
      bytes: Uint8Array;
      /** How many bytes the error covers (garbage runs can be long; the sample is not). */
      size: number;
    };

const GARBAGE_KEEP = 256; // bytes of junk kept for the log line

/**
 * The record being read: bytes up to the length limit, and how many came in all. A frame past the
 * limit is not buffered further, only counted, and is reported as oversized when it ends.
 */
class FrameBuffer {
  private buf: Uint8Array;
  len = 0;
  /** Bytes of the current frame, also those past the limit. */
  size = 0;

  constructor(private readonly maxLength: number) {
    this.buf = new Uint8Array(Math.min(maxLength, 4096));
  }

  get oversized(): boolean {
    return this.size > this.maxLength;
  }

  add(b: number): void {
    this.size++;
    if (this.size > this.maxLength) return;
    if (this.len === this.buf.length) {
      const bigger = new Uint8Array(Math.min(this.maxLength, this.buf.length * 2));
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.len++] = b;
  }

  /** The frame as an event (a frame, or the error it is), and a fresh start. */
  take(unterminated = false): FrameEvent {
    const bytes = this.buf.slice(0, this.len);
    const ev: FrameEvent = unterminated
      ? { kind: "error", reason: "unterminated", bytes, size: this.size }
      : this.oversized
        ? { kind: "error", reason: "oversized", bytes, size: this.size }
        : { kind: "frame", bytes };
    this.clear();
    return ev;
  }

  clear(): void {
    this.len = 0;
    this.size = 0;
  }
}

export class FrameReader implements FrameSource {
  private readonly frame: FrameBuffer;
  private inFrame = false;
  private garbage: number[] = [];
  private garbageCount = 0;

  constructor(maxLength = MAX_RECORD_LENGTH) {
    this.frame = new FrameBuffer(maxLength);
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
        } else if (isFiller(b) && this.garbageCount === 0) {
          // Line ends after ETX: quiet. Inside a run of garbage they stay part of it.
        } else {
          this.addGarbage(b);
        }
        continue;
      }
      if (b === ETX) {
        out.push(this.frame.take());
        this.inFrame = false;
        continue;
      }
      if (b === STX) {
        if (this.frame.size === 0) {
          // STX STX…: nothing to report per byte (a flood of them once cost two log lines each).
          this.addGarbage(b);
          continue;
        }
        this.flushGarbage(out);
        // A new STX before ETX: the sender restarted mid-record; drop the partial one.
        out.push(this.frame.take(true));
        continue;
      }
      this.frame.add(b);
    }
    this.flushGarbage(out);
    return out;
  }

  /** Bytes of a frame still waiting for its ETX. */
  get pending(): number {
    return this.inFrame ? this.frame.len : 0;
  }

  reset(): void {
    this.inFrame = false;
    this.frame.clear();
    this.garbage = [];
    this.garbageCount = 0;
  }

  private startFrame(): void {
    this.inFrame = true;
    this.frame.clear();
  }

  private addGarbage(b: number): void {
    this.garbageCount++;
    if (this.garbage.length < GARBAGE_KEEP) this.garbage.push(b);
  }

  private flushGarbage(out: FrameEvent[]): void {
    if (this.garbageCount === 0) return;
    out.push({ kind: "error", reason: "garbage", bytes: Uint8Array.from(this.garbage), size: this.garbageCount });
    this.garbage = [];
    this.garbageCount = 0;
  }
}

/** `crlf` framing: one record a line. */
export class LineFrameReader implements FrameSource {
  private readonly frame: FrameBuffer;

  constructor(maxLength = MAX_RECORD_LENGTH) {
    this.frame = new FrameBuffer(maxLength);
  }

  push(chunk: Uint8Array): FrameEvent[] {
    const out: FrameEvent[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b === CR || b === LF) {
        if (this.frame.size > 0) out.push(this.frame.take());
        continue;
      }
      // A gateway that frames twice (STX record ETX CR LF): the line is the record.
      if (b === STX || b === ETX || (this.frame.size === 0 && (b === 0 || b === 0x20))) continue;
      this.frame.add(b);
    }
    return out;
  }

  get pending(): number {
    return this.frame.len;
  }

  reset(): void {
    this.frame.clear();
  }
}

export function wrapLine(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.length + 2);
  out.set(payload, 0);
  out[payload.length] = CR;
  out[payload.length + 1] = LF;
  return out;
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
