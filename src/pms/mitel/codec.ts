/**
 * @module mitel/codec
 * The bytes of a Mitel SX-200/SX-2000 PMS line (shared notes pms-protocols §1.1–1.2): single link
 * bytes ENQ (line bid), ACK, NAK outside frames, and messages as `STX text ETX` with no checksum and
 * no CR/LF. Reads may split or coalesce anything; the reader keeps a partial frame between pushes.
 *
 * Inside a frame every byte up to ETX is data, ACK/NAK-valued ones too (a TCP gateway may pass them
 * through; the message is then invalid and NAKed by the parser, never split in two). A new STX inside
 * a frame abandons the partial one (the PMS restarted its message). Bytes outside frames other than
 * the link bytes are garbage, reported in runs; CR, LF, NUL and spaces between frames are skipped
 * quietly (gateways that end frames with a line break).
 */

export const STX = 0x02;
export const ETX = 0x03;
export const ENQ = 0x05;
export const ACK = 0x06;
export const NAK = 0x15;

/** Longest message accepted; the longest Mitel message (Mitel 2 name) is 50 bytes. */
export const MAX_MESSAGE_BYTES = 256;
const GARBAGE_KEEP = 64;

export type MitelEvent =
  | { kind: "enq" | "ack" | "nak" }
  | { kind: "frame"; bytes: Uint8Array }
  | {
      kind: "error";
      reason: "garbage" | "oversized" | "abandoned";
      /** A sample of the bytes (garbage keeps its first bytes only). */
      bytes: Uint8Array;
      /** How many bytes the error covers. */
      size: number;
    };

function isFiller(b: number): boolean {
  return b === 0x0d || b === 0x0a || b === 0 || b === 0x20;
}

/** Byte scanner of one connection. */
export class MitelReader {
  private readonly buf: Uint8Array;
  private len = 0;
  /** Bytes of the current frame, also those past the limit. */
  private size = 0;
  private inFrame = false;
  private garbage: number[] = [];
  private garbageSize = 0;

  constructor(private readonly maxBytes = MAX_MESSAGE_BYTES) {
    this.buf = new Uint8Array(maxBytes);
  }

  /** Bytes of a frame still waiting for its ETX. */
  get pending(): number {
    return this.inFrame ? this.size + 1 : 0;
  }

  /** Feeds bytes; returns link bytes, frames and errors in arrival order. */
  push(chunk: Uint8Array): MitelEvent[] {
    const out: MitelEvent[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (this.inFrame) {
        if (b === ETX) {
          this.inFrame = false;
          if (this.size > this.maxBytes) {
            out.push({ kind: "error", reason: "oversized", bytes: this.buf.slice(0, 16), size: this.size + 2 });
          } else out.push({ kind: "frame", bytes: this.buf.slice(0, this.len) });
        } else if (b === STX) {
          out.push({ kind: "error", reason: "abandoned", bytes: this.buf.slice(0, this.len), size: this.size + 1 });
          this.startFrame();
        } else {
          if (this.len < this.maxBytes) this.buf[this.len++] = b;
          this.size++;
        }
        continue;
      }
      if (b === STX) {
        this.flushGarbage(out);
        this.startFrame();
      } else if (b === ENQ || b === ACK || b === NAK) {
        this.flushGarbage(out);
        out.push({ kind: b === ENQ ? "enq" : b === ACK ? "ack" : "nak" });
      } else if (!isFiller(b)) {
        if (this.garbage.length < GARBAGE_KEEP) this.garbage.push(b);
        this.garbageSize++;
      }
    }
    this.flushGarbage(out);
    return out;
  }

  /**
   * Drops a frame that stopped arriving (the owner's timer); returns it as an error event, or
   * undefined when no frame was open.
   */
  abandon(): MitelEvent | undefined {
    if (!this.inFrame) return undefined;
    this.inFrame = false;
    return { kind: "error", reason: "abandoned", bytes: this.buf.slice(0, this.len), size: this.size + 1 };
  }

  reset(): void {
    this.inFrame = false;
    this.len = 0;
    this.size = 0;
    this.garbage = [];
    this.garbageSize = 0;
  }

  private startFrame(): void {
    this.inFrame = true;
    this.len = 0;
    this.size = 0;
  }

  private flushGarbage(out: MitelEvent[]): void {
    if (this.garbageSize === 0) return;
    out.push({ kind: "error", reason: "garbage", bytes: Uint8Array.from(this.garbage), size: this.garbageSize });
    this.garbage = [];
    this.garbageSize = 0;
  }
}

/** `STX text ETX`, in one buffer so it goes out in one write (PhoneSuite aborts on gaps > 0.1 s). */
export function wrapMessage(text: Uint8Array): Uint8Array {
  const out = new Uint8Array(text.length + 2);
  out[0] = STX;
  out.set(text, 1);
  out[text.length + 1] = ETX;
  return out;
}

export const ENQ_BYTES = Uint8Array.of(ENQ);
export const ACK_BYTES = Uint8Array.of(ACK);
export const NAK_BYTES = Uint8Array.of(NAK);

/** Control bytes as <XX>, as the FIAS trace shows them. */
export function showBytes(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b < 0x20 || b === 0x7f ? `<${b.toString(16).padStart(2, "0")}>` : String.fromCharCode(b);
  return s;
}
