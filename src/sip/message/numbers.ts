/**
 * @module sip/message/numbers
 * The scalar header fields: Content-Length, Max-Forwards (0–255), Expires (delta-seconds, 32 bits).
 * Only digits around optional whitespace; no sign, no overflow (RFC 4475 ncl, scalar02).
 */
import { isDigit, skipWs, trimEnd } from "./chars.ts";
import { SipParseError } from "./types.ts";

/** Digits of `s` (whitespace trimmed) as a number ≤ max; throws SipParseError naming `header`. */
export function parseBoundedInt(s: string, max: number, header: string): number {
  const start = skipWs(s, 0, s.length);
  const end = trimEnd(s, start, s.length);
  if (start === end) throw new SipParseError(`invalid ${header}: empty`, header);
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (!isDigit(c)) throw new SipParseError(`invalid ${header}: not a number`, header);
    n = n * 10 + c - 48;
    if (n > max) throw new SipParseError(`invalid ${header}: out of range`, header);
  }
  return n;
}

export const MAX_CONTENT_LENGTH = 0x7fffffff;
export const MAX_DELTA_SECONDS = 0xffffffff;

export function parseContentLength(s: string): number {
  return parseBoundedInt(s, MAX_CONTENT_LENGTH, "Content-Length");
}
export function parseMaxForwards(s: string): number {
  return parseBoundedInt(s, 255, "Max-Forwards");
}
export function parseExpires(s: string): number {
  return parseBoundedInt(s, MAX_DELTA_SECONDS, "Expires");
}
