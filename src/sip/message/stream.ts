/**
 * @module sip/message/stream
 * Message framing on a stream transport (TCP, TLS): reads may split or coalesce messages. A message
 * is its header section (up to the empty line) plus Content-Length bytes, so Content-Length is
 * required (RFC 3261 §18.3). CRLFs between messages are keep-alives (RFC 5626 §4.4.1): a double CRLF
 * is a ping the transport answers with one CRLF; a single CRLF is the pong to our own ping. A ping
 * split between reads is reported as a pong, then as the ping when its second CRLF comes; but after
 * `expectPong` (we sent a ping) a lone CRLF is taken as that pong only, so two pongs in two reads are
 * two pongs, not one pong and a ping of the peer's. Any
 * framing error (no Content-Length, too large, too many header fields) leaves the stream
 * unrecoverable: it is reported once and the transport closes the connection.
 *
 * The framer only cuts; each message's bytes then go to `parseMessage(bytes, { stream: true })`.
 */
import { COLON, CR, HTAB, isToken, LF, SP } from "./chars.ts";
import { DEFAULT_MAX_HEADERS, DEFAULT_MAX_MESSAGE_SIZE } from "./parse.ts";

export type StreamEvent =
  | { kind: "message"; bytes: Uint8Array }
  /** A CRLFCRLF ping: answer with "\r\n". */
  | { kind: "keepalive" }
  /** A lone CRLF: the peer's answer to our ping. */
  | { kind: "pong" }
  | { kind: "error"; reason: string };

export interface FramerOptions {
  /** Largest message, header section plus body (default 64 KiB). */
  maxMessageSize?: number;
  /** Most header fields per message (default 100). */
  maxHeaders?: number;
}

const IDLE = 0;
const HEAD = 1;
const BODY = 2;
const EMPTY = new Uint8Array(0);
const CONTENT_LENGTH = "content-length";

function isContentLengthName(b: Uint8Array, start: number, length: number): boolean {
  if (length === 1) return (b[start] | 0x20) === 0x6c; // "l"
  if (length !== 14) return false;
  for (let i = 0; i < 14; i++) if ((b[start + i] | 0x20) !== CONTENT_LENGTH.charCodeAt(i)) return false;
  return true;
}

export class SipStreamFramer {
  private readonly maxSize: number;
  private readonly maxHeaders: number;
  /** Bytes of the message in progress (from its first byte), when it spans pushes. */
  private buf: Uint8Array = EMPTY;
  private len = 0;
  private state = IDLE;
  /** HEAD: where the search for the end of the header section resumes (offset in the buffer). */
  private scanFrom = 0;
  private lines = 0;
  /** BODY: offset of the end of the message in the buffer. */
  private bodyEnd = 0;
  private pendingLf = false;
  private pongReported = false;
  private pongExpected = false;
  private dead = false;

  constructor(opts: FramerOptions = {}) {
    this.maxSize = opts.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    this.maxHeaders = opts.maxHeaders ?? DEFAULT_MAX_HEADERS;
  }

  /** True after a framing error: the connection must be closed. */
  get failed(): boolean {
    return this.dead;
  }

  /** We sent a CRLFCRLF ping: the next lone CRLF is its pong and does not begin a ping of the peer's. */
  expectPong(): void {
    this.pongExpected = true;
  }

  /** Bytes held for an incomplete message. */
  get buffered(): number {
    return this.len;
  }

  /** Feeds the bytes of one read; returns complete messages, keep-alives and errors, in order. */
  push(chunk: Uint8Array): StreamEvent[] {
    const out: StreamEvent[] = [];
    if (this.dead || chunk.length === 0) return out;
    let work: Uint8Array;
    if (this.len === 0) {
      work = chunk;
    } else {
      this.reserve(this.len + chunk.length);
      this.buf.set(chunk, this.len);
      this.len += chunk.length;
      work = this.buf.subarray(0, this.len);
    }
    const n = work.length;
    let i = 0;
    let msgStart = 0;
    for (;;) {
      if (this.state === IDLE) {
        while (i < n) {
          const b = work[i];
          if (b === CR) {
            i++;
          } else if (b === LF) {
            if (this.pendingLf) {
              out.push({ kind: "keepalive" });
              this.pendingLf = false;
            } else {
              this.pendingLf = true;
              this.pongReported = false;
            }
            i++;
          } else {
            break;
          }
        }
        if (i >= n) break;
        if (this.pendingLf) {
          if (!this.pongReported) out.push({ kind: "pong" });
          this.pendingLf = false;
          this.pongExpected = false;
        }
        this.state = HEAD;
        msgStart = i;
        this.scanFrom = i;
        this.lines = 0;
      }
      if (this.state === HEAD) {
        const bodyStart = this.findHeadEnd(work, n);
        if (bodyStart === -2) return this.fail(out, `too many header fields (limit ${this.maxHeaders})`);
        if (bodyStart < 0) {
          if (n - msgStart > this.maxSize) return this.fail(out, `message too large (limit ${this.maxSize} bytes)`);
          break;
        }
        const headEnd = bodyStart - (work[bodyStart - 2] === CR ? 3 : 2);
        const length = this.contentLength(work, msgStart, headEnd);
        if (typeof length === "string") return this.fail(out, length);
        this.bodyEnd = bodyStart + length;
        if (this.bodyEnd - msgStart > this.maxSize) {
          return this.fail(out, `message too large (limit ${this.maxSize} bytes)`);
        }
        this.state = BODY;
      }
      if (this.state === BODY) {
        if (n < this.bodyEnd) break;
        out.push({ kind: "message", bytes: work.slice(msgStart, this.bodyEnd) });
        i = this.bodyEnd;
        this.state = IDLE;
      }
    }
    // Keep what belongs to the message in progress.
    const keepFrom = this.state === IDLE ? n : msgStart;
    const keep = n - keepFrom;
    if (keep === 0) {
      this.len = 0;
      if (this.buf.length > 4 * 4096) this.buf = EMPTY;
    } else if (work === chunk) {
      this.reserve(keep);
      this.buf.set(chunk.subarray(keepFrom), 0);
      this.len = keep;
    } else {
      if (keepFrom > 0) this.buf.copyWithin(0, keepFrom, n);
      this.len = keep;
    }
    this.scanFrom -= keepFrom;
    this.bodyEnd -= keepFrom;
    if (this.state === IDLE && this.pendingLf && !this.pongReported) {
      out.push({ kind: "pong" });
      this.pongReported = true;
      if (this.pongExpected) {
        // Our pong, complete: a CRLF in a later read starts afresh.
        this.pendingLf = false;
        this.pongExpected = false;
      }
    }
    return out;
  }

  private fail(out: StreamEvent[], reason: string): StreamEvent[] {
    out.push({ kind: "error", reason });
    this.dead = true;
    this.buf = EMPTY;
    this.len = 0;
    return out;
  }

  private reserve(size: number): void {
    if (this.buf.length >= size) return;
    const grown = new Uint8Array(Math.max(size, this.buf.length * 2, 4096));
    grown.set(this.buf.subarray(0, this.len));
    this.buf = grown;
  }

  /** Offset of the body, -1 when the header section is not complete yet, -2 on too many fields. */
  private findHeadEnd(work: Uint8Array, n: number): number {
    let p = this.scanFrom;
    for (;;) {
      const lf = work.indexOf(LF, p);
      if (lf < 0) {
        this.scanFrom = n;
        return -1;
      }
      if (lf + 1 >= n) {
        this.scanFrom = lf;
        return -1;
      }
      const next = work[lf + 1];
      if (next === LF) return lf + 2;
      if (next === CR) {
        if (lf + 2 >= n) {
          this.scanFrom = lf;
          return -1;
        }
        if (work[lf + 2] === LF) return lf + 3;
      }
      if (next !== SP && next !== HTAB && ++this.lines > this.maxHeaders) return -2;
      p = lf + 1;
    }
  }

  /** The Content-Length of the header section [start, headEnd), or an error reason. */
  private contentLength(work: Uint8Array, start: number, headEnd: number): number | string {
    let found = -1;
    let p = work.indexOf(LF, start) + 1; // skip the start line
    while (p > 0 && p < headEnd) {
      let lineEnd = work.indexOf(LF, p);
      let q = p;
      while (q < lineEnd && isToken(work[q])) q++;
      if (q > p && isContentLengthName(work, p, q - p)) {
        while (q < lineEnd && (work[q] === SP || work[q] === HTAB)) q++;
        if (work[q] === COLON) {
          while (lineEnd < headEnd && (work[lineEnd + 1] === SP || work[lineEnd + 1] === HTAB)) {
            lineEnd = work.indexOf(LF, lineEnd + 1);
          }
          let value = 0;
          let digits = 0;
          for (let k = q + 1; k < lineEnd; k++) {
            const b = work[k];
            if (b >= 48 && b <= 57) {
              value = value * 10 + b - 48;
              digits++;
              if (value > 0x7fffffff) return "invalid Content-Length";
            } else if (b !== SP && b !== HTAB && b !== CR && b !== LF) {
              return "invalid Content-Length";
            } else if (digits > 0) {
              // whitespace after the digits: only more whitespace may follow
              for (let r = k; r < lineEnd; r++) {
                const t = work[r];
                if (t !== SP && t !== HTAB && t !== CR && t !== LF) return "invalid Content-Length";
              }
              break;
            }
          }
          if (digits === 0) return "invalid Content-Length";
          if (found >= 0) return "more than one Content-Length header field";
          found = value;
        }
      }
      p = lineEnd + 1;
      while (p < headEnd && (work[p] === SP || work[p] === HTAB)) p = work.indexOf(LF, p) + 1;
    }
    if (found < 0) return "missing Content-Length";
    return found;
  }
}
