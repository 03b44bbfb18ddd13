/**
 * @module sip/message/parse
 * The message parser: bytes in, a SipRequest/SipResponse or a reason out. It never throws on input.
 *
 * One `indexOf(LF)` pass over the bytes finds the end of the header section (and enforces the header
 * limit), one UTF-8 decode turns the header section into a string, and the header lines are cut with
 * `indexOf` and char-code scans. The body stays bytes. Values are stored raw; only what every layer
 * needs at once is parsed and checked here (start line, Via, From, To, Call-ID, CSeq, Max-Forwards,
 * Content-Length); the rest is parsed when asked for (see message.ts).
 */
import { COLON, CR, HTAB, isDigit, LF, SP, scanToken, skipWs, trimEnd } from "./chars.ts";
import { parseCSeq } from "./cseq.ts";
import { CORE, Headers, headerNameAt } from "./headers.ts";
import { parseCallId, type SipMessage, SipRequest, SipResponse } from "./message.ts";
import { parseNameAddrRange } from "./name-addr.ts";
import { parseContentLength, parseMaxForwards } from "./numbers.ts";
import { type CSeq, type NameAddr, SipParseError, type Uri, type ViaHop } from "./types.ts";
import { parseUriRange } from "./uri.ts";
import { parseViaList } from "./via.ts";

/** Largest message accepted, datagram or stream (64 KiB). */
export const DEFAULT_MAX_MESSAGE_SIZE = 65536;
/** Most header fields (lines) accepted. */
export const DEFAULT_MAX_HEADERS = 100;

export interface ParseOptions {
  /**
   * The bytes came from a stream transport (TCP/TLS/WS framing): Content-Length is required.
   * Default false: a datagram, where a missing Content-Length means the body runs to its end.
   */
  stream?: boolean;
  /** Default DEFAULT_MAX_MESSAGE_SIZE. */
  maxSize?: number;
  /** Default DEFAULT_MAX_HEADERS. */
  maxHeaders?: number;
}

/**
 * What a transport or UA needs to answer a request it could not parse: the suggested status (400,
 * or 505 for an unsupported SIP version), the method and the raw header values to copy into the
 * response. Only present for requests with at least one Via (nowhere to send a response otherwise).
 */
export interface AnswerableRequest {
  status: 400 | 505;
  method: string;
  /** Raw Via header field values, in order. */
  via: string[];
  from: string | undefined;
  to: string | undefined;
  callId: string | undefined;
  cseq: string | undefined;
}

export type ParseResult =
  | { ok: true; message: SipMessage }
  | { ok: false; reason: string; canAnswer400?: AnswerableRequest; keepalive?: true };

const decoder = new TextDecoder("utf-8");

function isVersion20(s: string, start: number, end: number): boolean {
  if (end - start !== 7) return false;
  const c0 = s.charCodeAt(start) | 0x20;
  const c1 = s.charCodeAt(start + 1) | 0x20;
  const c2 = s.charCodeAt(start + 2) | 0x20;
  return c0 === 115 && c1 === 105 && c2 === 112 && s.startsWith("/2.0", start + 3);
}

/** `SIP/<digits>.<digits>`, any version. */
function looksLikeVersion(s: string, start: number, end: number): boolean {
  if (end - start < 7 || !s.startsWith("/", start + 3)) return false;
  if ((s.charCodeAt(start) | 0x20) !== 115 || (s.charCodeAt(start + 1) | 0x20) !== 105) return false;
  if ((s.charCodeAt(start + 2) | 0x20) !== 112) return false;
  let i = start + 4;
  const d1 = i;
  while (i < end && isDigit(s.charCodeAt(i))) i++;
  if (i === d1 || i >= end || s.charCodeAt(i) !== 46) return false;
  i++;
  const d2 = i;
  while (i < end && isDigit(s.charCodeAt(i))) i++;
  return i > d2 && i === end;
}

function hasCr(value: string | undefined): boolean {
  return value !== undefined && value.indexOf("\r") >= 0;
}

/** Joins folded lines: each physical line trimmed, joined by one SP. */
function unfold(s: string, start: number, end: number): string {
  const parts: string[] = [];
  let a = start;
  while (a <= end) {
    let b = s.indexOf("\n", a);
    if (b < 0 || b > end) b = end;
    let segEnd = b;
    if (segEnd > a && s.charCodeAt(segEnd - 1) === CR) segEnd--;
    const vs = skipWs(s, a, segEnd);
    const ve = trimEnd(s, vs, segEnd);
    if (ve > vs) parts.push(s.slice(vs, ve));
    a = b + 1;
  }
  return parts.join(" ");
}

/**
 * Parses one SIP message. `bytes` is a whole datagram, or one message cut by SipStreamFramer
 * (pass `stream: true`). Extra bytes after Content-Length are ignored (RFC 3261 §18.3).
 */
export function parseMessage(bytes: Uint8Array, opts: ParseOptions = {}): ParseResult {
  const maxSize = opts.maxSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  const maxHeaders = opts.maxHeaders ?? DEFAULT_MAX_HEADERS;
  const len = bytes.length;
  if (len > maxSize) return { ok: false, reason: `message too large: ${len} bytes (limit ${maxSize})` };
  let i0 = 0;
  while (i0 < len && (bytes[i0] === CR || bytes[i0] === LF)) i0++;
  if (i0 === len) {
    return len === 0 ? { ok: false, reason: "empty message" } : { ok: false, reason: "keepalive", keepalive: true };
  }
  let p = i0;
  let lines = 0;
  let headEnd = -1;
  let bodyStart = -1;
  // Line ends are CRLF, or LF throughout for lenient senders; the start line says which. A bare LF
  // in a CRLF message would cut a header value in two (header injection), so it is an error.
  let crlf: boolean | undefined;
  let bareLf = false;
  for (;;) {
    const lf = bytes.indexOf(LF, p);
    if (lf < 0) break;
    const endsCrlf = lf > i0 && bytes[lf - 1] === CR;
    if (crlf === undefined) crlf = endsCrlf;
    else if (crlf && !endsCrlf) bareLf = true;
    const next = bytes[lf + 1];
    if (next === LF) {
      headEnd = lf;
      bodyStart = lf + 2;
      break;
    }
    if (next === CR && bytes[lf + 2] === LF) {
      headEnd = lf;
      bodyStart = lf + 3;
      break;
    }
    if (next !== SP && next !== HTAB && ++lines > maxHeaders) {
      return { ok: false, reason: `too many header fields (limit ${maxHeaders})` };
    }
    p = lf + 1;
  }
  if (headEnd < 0) return { ok: false, reason: "incomplete message: no empty line after the header fields" };
  const head = decoder.decode(bytes.subarray(i0, headEnd));
  return parseHead(head, bytes, bodyStart, opts.stream === true, bareLf);
}

function parseHead(head: string, bytes: Uint8Array, bodyStart: number, stream: boolean, bareLf: boolean): ParseResult {
  const hlen = head.length;
  let lineEnd = head.indexOf("\n");
  if (lineEnd < 0) lineEnd = hlen;
  let startEnd = lineEnd;
  if (startEnd > 0 && head.charCodeAt(startEnd - 1) === CR) startEnd--;

  // Start line.
  let error: string | undefined;
  let answerStatus: 400 | 505 = 400;
  let isRequest = false;
  let method = "";
  let uri: Uri | undefined;
  let status = 0;
  let reason = "";
  const sp1 = head.indexOf(" ");
  if (sp1 < 0 || sp1 >= startEnd) {
    return { ok: false, reason: "malformed start line" };
  }
  if (
    sp1 >= 4 &&
    (head.charCodeAt(0) | 0x20) === 115 &&
    (head.charCodeAt(1) | 0x20) === 105 &&
    (head.charCodeAt(2) | 0x20) === 112 &&
    head.charCodeAt(3) === 47
  ) {
    // Status-Line: SIP-Version SP Status-Code SP Reason-Phrase
    if (!isVersion20(head, 0, sp1)) {
      return {
        ok: false,
        reason: looksLikeVersion(head, 0, sp1) ? "unsupported SIP version" : "malformed Status-Line",
      };
    }
    const c = sp1 + 1;
    if (
      c + 3 > startEnd ||
      !isDigit(head.charCodeAt(c)) ||
      !isDigit(head.charCodeAt(c + 1)) ||
      !isDigit(head.charCodeAt(c + 2)) ||
      (c + 3 < startEnd && head.charCodeAt(c + 3) !== SP)
    ) {
      return { ok: false, reason: "malformed Status-Line" };
    }
    status = (head.charCodeAt(c) - 48) * 100 + (head.charCodeAt(c + 1) - 48) * 10 + head.charCodeAt(c + 2) - 48;
    if (status < 100 || status > 699) return { ok: false, reason: `invalid status code ${status}` };
    reason = c + 4 <= startEnd ? head.slice(c + 4, startEnd) : "";
    for (let i = 0; i < reason.length; i++) {
      const r = reason.charCodeAt(i);
      if ((r < 32 && r !== HTAB) || r === 127) return { ok: false, reason: "control character in Reason-Phrase" };
    }
  } else {
    // Request-Line: Method SP Request-URI SP SIP-Version
    if (scanToken(head, 0, sp1) !== sp1) return { ok: false, reason: "malformed Request-Line" };
    isRequest = true;
    method = head.slice(0, sp1);
    const sp2 = head.indexOf(" ", sp1 + 1);
    const sp3 = sp2 < 0 ? -1 : head.indexOf(" ", sp2 + 1);
    if (sp2 < 0 || sp2 >= startEnd || sp2 === sp1 + 1 || (sp3 >= 0 && sp3 < startEnd)) {
      error = "malformed Request-Line";
    } else if (!isVersion20(head, sp2 + 1, startEnd)) {
      if (looksLikeVersion(head, sp2 + 1, startEnd)) {
        error = `unsupported SIP version ${head.slice(sp2 + 1, startEnd)}`;
        answerStatus = 505;
      } else {
        error = "malformed Request-Line";
      }
    } else {
      try {
        uri = parseUriRange(head, sp1 + 1, sp2);
        if (uri.kind === "sip" && uri.headers.length > 0) error = "Request-URI must not contain headers";
      } catch (err) {
        if (!(err instanceof SipParseError)) throw err;
        error = `invalid Request-URI: ${err.message}`;
      }
    }
  }

  // Header fields.
  const headers = new Headers();
  const viaLines: string[] = [];
  let fromV: string | undefined;
  let toV: string | undefined;
  let callIdV: string | undefined;
  let cseqV: string | undefined;
  let maxForwardsV: string | undefined;
  let contentLengthV: string | undefined;
  let duplicate: string | undefined;
  if (bareLf) error ??= "bare LF in a header field";
  let pos = lineEnd + 1;
  while (pos < hlen) {
    let e = head.indexOf("\n", pos);
    if (e < 0) e = hlen;
    let fieldEnd = e;
    let folded = false;
    while (fieldEnd < hlen) {
      const c = head.charCodeAt(fieldEnd + 1);
      if (c !== SP && c !== HTAB) break;
      folded = true;
      const n = head.indexOf("\n", fieldEnd + 1);
      fieldEnd = n < 0 ? hlen : n;
    }
    const nameEnd = scanToken(head, pos, e);
    const colon = skipWs(head, nameEnd, e);
    if (nameEnd === pos || colon >= e || head.charCodeAt(colon) !== COLON) {
      error ??= "malformed header field";
      pos = fieldEnd + 1;
      continue;
    }
    let value: string;
    if (folded) {
      value = unfold(head, colon + 1, fieldEnd);
    } else {
      let ve = e;
      if (ve > colon && head.charCodeAt(ve - 1) === CR) ve--;
      const vs = skipWs(head, colon + 1, ve);
      value = head.slice(vs, trimEnd(head, vs, ve));
    }
    // Only the CR of a CRLF line end is removed above: any CR left is a bare one, which no header
    // may carry (every response copies Via/From/To/Call-ID/CSeq, and Headers refuses CR there).
    if (value.indexOf("\r") >= 0) error ??= "bare CR in a header field";
    const info = headerNameAt(head, pos, nameEnd);
    headers.appendRaw(info.name, info.key, value);
    switch (info.core) {
      case CORE.via:
        viaLines.push(value);
        break;
      case CORE.from:
        if (fromV !== undefined) duplicate ??= "From";
        fromV ??= value;
        break;
      case CORE.to:
        if (toV !== undefined) duplicate ??= "To";
        toV ??= value;
        break;
      case CORE["call-id"]:
        if (callIdV !== undefined) duplicate ??= "Call-ID";
        callIdV ??= value;
        break;
      case CORE.cseq:
        if (cseqV !== undefined) duplicate ??= "CSeq";
        cseqV ??= value;
        break;
      case CORE["max-forwards"]:
        if (maxForwardsV !== undefined) duplicate ??= "Max-Forwards";
        maxForwardsV ??= value;
        break;
      case CORE["content-length"]:
        if (contentLengthV !== undefined) duplicate ??= "Content-Length";
        contentLengthV ??= value;
        break;
    }
    pos = fieldEnd + 1;
  }

  const fail = (reason: string): ParseResult => {
    if (!isRequest || viaLines.length === 0) return { ok: false, reason };
    // A 400 copies these values: one with a bare CR cannot be copied, so there is no answer.
    if (hasCr(fromV) || hasCr(toV) || hasCr(callIdV) || hasCr(cseqV) || viaLines.some(hasCr)) {
      return { ok: false, reason };
    }
    const canAnswer400: AnswerableRequest = {
      status: answerStatus,
      method,
      via: viaLines,
      from: fromV,
      to: toV,
      callId: callIdV,
      cseq: cseqV,
    };
    return { ok: false, reason, canAnswer400 };
  };
  if (error !== undefined) return fail(error);
  if (duplicate !== undefined) return fail(`more than one ${duplicate} header field`);

  // Content-Length and the body.
  let contentLength: number | undefined;
  let vias: ViaHop[];
  let from: NameAddr;
  let to: NameAddr;
  let cseq: CSeq;
  let maxForwards: number | undefined;
  try {
    if (contentLengthV !== undefined) contentLength = parseContentLength(contentLengthV);
    if (viaLines.length === 0) return fail("missing Via");
    if (fromV === undefined) return fail("missing From");
    if (toV === undefined) return fail("missing To");
    if (callIdV === undefined) return fail("missing Call-ID");
    if (cseqV === undefined) return fail("missing CSeq");
    vias = parseViaList(viaLines);
    from = parseNameAddrRange(fromV, 0, fromV.length, "From");
    to = parseNameAddrRange(toV, 0, toV.length, "To");
    parseCallId(callIdV);
    cseq = parseCSeq(cseqV);
    if (maxForwardsV !== undefined) maxForwards = parseMaxForwards(maxForwardsV);
  } catch (err) {
    if (!(err instanceof SipParseError)) throw err;
    return fail(err.message);
  }
  if (isRequest && cseq.method !== method) {
    return fail(`CSeq method ${cseq.method} does not match the request method ${method}`);
  }
  const available = bytes.length - bodyStart;
  let body: Uint8Array;
  if (contentLength === undefined) {
    if (stream) return fail("missing Content-Length");
    body = bytes.slice(bodyStart);
  } else {
    if (contentLength > available) {
      return fail(`body shorter than Content-Length (${available} < ${contentLength} bytes)`);
    }
    body = bytes.slice(bodyStart, bodyStart + contentLength);
  }

  const message: SipMessage = isRequest
    ? new SipRequest(method, uri as Uri, headers, body)
    : new SipResponse(status, reason, headers, body);
  headers.prime({
    via: vias,
    from,
    to,
    "call-id": callIdV,
    cseq,
    "max-forwards": maxForwards,
    "content-length": contentLength,
  });
  return { ok: true, message };
}
