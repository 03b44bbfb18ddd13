/**
 * A tiny Content-Length stream framer for transport tests only (the product framer lives in
 * src/sip/message/stream.ts). CRLFCRLF between messages is an RFC 5626 keep-alive ping; a lone
 * CRLF (a pong) is skipped.
 */
import type { FramerEvent, StreamFramer } from "../../src/sip/transport/types.ts";

const CR = 13;
const LF = 10;

function indexOfHeaderEnd(b: Uint8Array): number {
  for (let i = 0; i + 3 < b.length; i++) {
    if (b[i] === CR && b[i + 1] === LF && b[i + 2] === CR && b[i + 3] === LF) return i;
  }
  return -1;
}

function isTokenStart(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);
}

export interface TestFramerOptions {
  /** Largest message (headers + body) before an error; unlimited by default. */
  maxBytes?: number;
}

export function testFramer(opts: TestFramerOptions = {}): StreamFramer {
  let buf = new Uint8Array(0);
  const max = opts.maxBytes ?? Number.POSITIVE_INFINITY;
  const onlyCrlf = () => buf.every((c) => c === CR || c === LF);
  return {
    buffered: () => (onlyCrlf() ? 0 : buf.length),
    push(chunk: Uint8Array): FramerEvent[] {
      const next = new Uint8Array(buf.length + chunk.length);
      next.set(buf);
      next.set(chunk, buf.length);
      buf = next;
      const out: FramerEvent[] = [];
      for (;;) {
        if (buf.length >= 4 && buf[0] === CR && buf[1] === LF && buf[2] === CR && buf[3] === LF) {
          out.push({ kind: "keepalive" });
          buf = buf.subarray(4);
          continue;
        }
        if (buf.length >= 2 && buf[0] === CR && buf[1] === LF && (buf.length < 3 || buf[2] !== CR)) {
          buf = buf.subarray(2); // pong, or a CRLF before a start line
          continue;
        }
        if (buf.length === 0 || onlyCrlf()) return out;
        if (!isTokenStart(buf[0] as number)) return [...out, { kind: "error", reason: "not a SIP start line" }];
        const end = indexOfHeaderEnd(buf);
        if (end < 0) {
          if (buf.length > max) return [...out, { kind: "error", reason: "header too large" }];
          return out;
        }
        const head = new TextDecoder().decode(buf.subarray(0, end));
        const m = /^(?:content-length|l)[ \t]*:[ \t]*(\d+)[ \t]*$/im.exec(head);
        if (!m) return [...out, { kind: "error", reason: "no Content-Length" }];
        const total = end + 4 + Number(m[1]);
        if (total > max) return [...out, { kind: "error", reason: "message too large" }];
        if (buf.length < total) return out;
        out.push({ kind: "message", bytes: buf.slice(0, total) });
        buf = buf.subarray(total);
      }
    },
  };
}

/** A SIP-shaped message with a correct Content-Length. */
export function sipMessage(startLine: string, body = "", extra: string[] = []): Uint8Array {
  const bodyBytes = new TextEncoder().encode(body);
  const head = [startLine, "Call-ID: test", ...extra, `Content-Length: ${bodyBytes.length}`, "", ""].join("\r\n");
  const headBytes = new TextEncoder().encode(head);
  const out = new Uint8Array(headBytes.length + bodyBytes.length);
  out.set(headBytes);
  out.set(bodyBytes, headBytes.length);
  return out;
}

export function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}
