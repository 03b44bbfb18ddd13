/**
 * @module sip/message/cseq
 * CSeq (RFC 3261 §20.16): `1*DIGIT LWS Method`. The number must fit 32 bits unsigned (leading zeros
 * allowed: RFC 4475 wsinv has `0009`).
 */
import { isDigit, isWs, scanToken, skipWs, trimEnd } from "./chars.ts";
import { type CSeq, SipParseError } from "./types.ts";

const MAX_SEQ = 0xffffffff;

function fail(message: string): never {
  throw new SipParseError(`invalid CSeq: ${message}`, "CSeq");
}

/** Parses a CSeq value. Throws SipParseError. */
export function parseCSeq(s: string): CSeq {
  let i = skipWs(s, 0, s.length);
  const end = trimEnd(s, i, s.length);
  const digitsStart = i;
  let seq = 0;
  while (i < end) {
    const c = s.charCodeAt(i);
    if (!isDigit(c)) break;
    seq = seq * 10 + c - 48;
    if (seq > MAX_SEQ) fail("sequence number out of range");
    i++;
  }
  if (i === digitsStart) fail("missing sequence number");
  if (i >= end || !isWs(s.charCodeAt(i))) fail("expected whitespace after the sequence number");
  i = skipWs(s, i, end);
  const methodStart = i;
  i = scanToken(s, i, end);
  if (i === methodStart || i !== end) fail("invalid method");
  return { seq, method: s.slice(methodStart, end) };
}

export function formatCSeq(cseq: CSeq): string {
  return `${cseq.seq} ${cseq.method}`;
}
