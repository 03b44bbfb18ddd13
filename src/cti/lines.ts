/**
 * @module cti/lines
 * Lines from a CTI channel's bytes, over any read boundaries: a line ends at LF, CR LF or a bare CR
 * (the protocol never says which; TeamCall sends CR LF). A line longer than the cap is not buffered
 * past the cap: its first bytes are kept for the error reply, the rest only counted, and it is
 * reported once when it ends, so no client can make the appliance hold more than `maxBytes` a channel.
 */

const CR = 0x0d;
const LF = 0x0a;

export type LineEvent =
  | { kind: "line"; text: string }
  /** A line past the cap: `head` is its start (decoded), `size` how long it was. */
  | { kind: "overflow"; head: string; size: number };

const decoder = new TextDecoder("utf-8", { fatal: false });

export class LineReader {
  private buf: Uint8Array;
  private len = 0;
  /** Bytes of the current line, also those past the cap. */
  private size = 0;
  /** The previous byte was CR: an LF right after it ends nothing more. */
  private afterCr = false;

  constructor(private readonly maxBytes = 4096) {
    this.buf = new Uint8Array(Math.min(maxBytes, 512));
  }

  /** Feeds bytes; returns the lines they completed, in order. */
  push(chunk: Uint8Array): LineEvent[] {
    const out: LineEvent[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i] as number;
      if (b === LF || b === CR) {
        if (!(b === LF && this.afterCr)) out.push(this.take());
        this.afterCr = b === CR;
        continue;
      }
      this.afterCr = false;
      this.size++;
      if (this.size > this.maxBytes) continue;
      if (this.len === this.buf.length) {
        const bigger = new Uint8Array(Math.min(this.maxBytes, this.buf.length * 2));
        bigger.set(this.buf);
        this.buf = bigger;
      }
      this.buf[this.len++] = b;
    }
    return out;
  }

  /** Bytes of a line still waiting for its end (at most the cap). */
  get pending(): number {
    return this.len;
  }

  private take(): LineEvent {
    const text = decoder.decode(this.buf.subarray(0, this.len));
    const ev: LineEvent =
      this.size > this.maxBytes
        ? { kind: "overflow", head: text.slice(0, 64), size: this.size }
        : { kind: "line", text };
    this.len = 0;
    this.size = 0;
    return ev;
  }
}
