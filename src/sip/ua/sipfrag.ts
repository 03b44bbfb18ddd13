/**
 * @module sip/ua/sipfrag
 * The status line of a `message/sipfrag` body (RFC 3420), which is how the NOTIFYs of a REFER
 * report the referred call's progress (RFC 3515 §2.4.5: "SIP/2.0 100 Trying", "SIP/2.0 200 OK").
 * Only the first line matters to us. Read liberally, as peers write it: leading blank lines and
 * spaces, any case of "SIP", any version digits, tabs between the fields, no reason phrase, LF
 * without CR. Bytes are scanned; nothing is decoded but the reason phrase.
 */

export interface SipfragStatus {
  /** 100–699. */
  status: number;
  /** The reason phrase as sent (may be empty). */
  reason: string;
}

const CR = 13;
const LF = 10;
const SP = 32;
const TAB = 9;
const SLASH = 47;
const DOT = 46;

const isDigit = (c: number) => c >= 48 && c <= 57;
const isBlank = (c: number) => c === SP || c === TAB;

/** The status line at the start of a sipfrag body, or undefined when it is not a status line. */
export function parseSipfragStatus(body: Uint8Array): SipfragStatus | undefined {
  const n = body.length;
  let i = 0;
  while (i < n && (isBlank(body[i]) || body[i] === CR || body[i] === LF)) i++;
  // "SIP" in any case, then "/".
  if (i + 4 > n) return undefined;
  if ((body[i] | 0x20) !== 0x73 || (body[i + 1] | 0x20) !== 0x69 || (body[i + 2] | 0x20) !== 0x70) return undefined;
  if (body[i + 3] !== SLASH) return undefined;
  i += 4;
  // Version: digits "." digits.
  const major = i;
  while (i < n && isDigit(body[i])) i++;
  if (i === major || i >= n || body[i] !== DOT) return undefined;
  i++;
  const minor = i;
  while (i < n && isDigit(body[i])) i++;
  if (i === minor) return undefined;
  const blanks = i;
  while (i < n && isBlank(body[i])) i++;
  if (i === blanks) return undefined;
  // Exactly three digits, then the end, a blank or the end of the line.
  if (i + 3 > n || !isDigit(body[i]) || !isDigit(body[i + 1]) || !isDigit(body[i + 2])) return undefined;
  const status = (body[i] - 48) * 100 + (body[i + 1] - 48) * 10 + (body[i + 2] - 48);
  i += 3;
  if (i < n && !isBlank(body[i]) && body[i] !== CR && body[i] !== LF) return undefined;
  if (status < 100 || status > 699) return undefined;
  while (i < n && isBlank(body[i])) i++;
  let end = i;
  while (end < n && body[end] !== CR && body[end] !== LF) end++;
  let trimmed = end;
  while (trimmed > i && isBlank(body[trimmed - 1])) trimmed--;
  return { status, reason: new TextDecoder().decode(body.subarray(i, trimmed)) };
}
