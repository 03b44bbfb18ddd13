/**
 * @module sip/message/chars
 * Character classes of RFC 3261 §25 as one lookup table, and the small scanners every header parser
 * shares (whitespace, tokens, quoted strings, comma lists, %-escapes). Everything works on char codes
 * with start/end indexes: no regular expressions and no per-character string building.
 */

export const HTAB = 9;
export const LF = 10;
export const CR = 13;
export const SP = 32;
export const DQUOTE = 34;
export const PERCENT = 37;
export const COMMA = 44;
export const COLON = 58;
export const SEMI = 59;
export const LAQUOT = 60;
export const EQUAL = 61;
export const RAQUOT = 62;
export const BACKSLASH = 92;

const TOKEN = 1;
const ALPHA = 2;
const DIGIT = 4;
const HEX = 8;
const USER = 16; // unreserved / user-unreserved
const PASSWORD = 32; // unreserved / "&" / "=" / "+" / "$" / ","
const PARAM = 64; // unreserved / param-unreserved
const HNV = 128; // unreserved / hnv-unreserved
const HOST = 256; // hostname and IPv4 characters ("_" accepted: seen in the wild)
const SCHEME = 512;
const TEL = 1024; // tel: number characters (RFC 3966 digits, hex, visual separators)
const GENVALUE = 2048; // token / host (incl. IPv6 without brackets)

const table = new Uint16Array(128);
function mark(chars: string, flags: number): void {
  for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)] |= flags;
}
const LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS = "0123456789";
const UNRESERVED = USER | PASSWORD | PARAM | HNV;
mark(LETTERS, TOKEN | ALPHA | UNRESERVED | HOST | SCHEME | GENVALUE);
mark(DIGITS, TOKEN | DIGIT | HEX | UNRESERVED | HOST | SCHEME | TEL | GENVALUE);
mark("abcdefABCDEF", HEX | TEL);
mark("-.!%*_+`'~", TOKEN | GENVALUE);
mark("-_.!~*'()", UNRESERVED);
mark("&=+$,;?/", USER);
mark("&=+$,", PASSWORD);
mark("[]/:&+$", PARAM);
mark("[]/?:+$", HNV);
mark("-._", HOST);
mark("+-.", SCHEME);
mark("*#+-.()", TEL);
mark(":[]", GENVALUE);

export const CLASS = { TOKEN, ALPHA, DIGIT, HEX, USER, PASSWORD, PARAM, HNV, HOST, SCHEME, TEL, GENVALUE } as const;

export function is(c: number, cls: number): boolean {
  return c < 128 && (table[c] & cls) !== 0;
}
export function isToken(c: number): boolean {
  return c < 128 && (table[c] & TOKEN) !== 0;
}
export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
export function isHex(c: number): boolean {
  return c < 128 && (table[c] & HEX) !== 0;
}
export function isWs(c: number): boolean {
  return c === SP || c === HTAB;
}

/** First index at or after `i` that is not SP/HTAB. */
export function skipWs(s: string, i: number, end: number): number {
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c !== SP && c !== HTAB) break;
    i++;
  }
  return i;
}

/** `end` moved back over trailing SP/HTAB. */
export function trimEnd(s: string, start: number, end: number): number {
  while (end > start) {
    const c = s.charCodeAt(end - 1);
    if (c !== SP && c !== HTAB) break;
    end--;
  }
  return end;
}

/** First index at or after `i` that is not a token character. */
export function scanToken(s: string, i: number, end: number): number {
  while (i < end && isToken(s.charCodeAt(i))) i++;
  return i;
}

/** `i` is at a DQUOTE: index just after the closing DQUOTE, or -1 when unterminated. */
export function scanQuoted(s: string, i: number, end: number): number {
  for (i++; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === BACKSLASH) {
      i++;
      continue;
    }
    if (c === DQUOTE) return i + 1;
  }
  return -1;
}

/** Contents of the quoted string s[start] = DQUOTE … s[end-1] = DQUOTE, quoted-pairs resolved. */
export function unquote(s: string, start: number, end: number): string {
  const first = start + 1;
  const last = end - 1;
  const bs = s.indexOf("\\", first);
  if (bs < 0 || bs >= last) return s.slice(first, last);
  const parts: string[] = [];
  let from = first;
  for (let i = bs; i < last; i++) {
    if (s.charCodeAt(i) === BACKSLASH) {
      parts.push(s.slice(from, i));
      from = i + 1; // keep the escaped character
      i++;
    }
  }
  parts.push(s.slice(from, last));
  return parts.join("");
}

/** A display name or parameter value as a quoted-string (escaping `"` `\` and controls). */
export function quote(text: string): string {
  let plain = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === DQUOTE || c === BACKSLASH || c < 32 || c === 127) {
      plain = false;
      break;
    }
  }
  if (plain) return `"${text}"`;
  const parts: string[] = ['"'];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === CR || c === LF) continue; // cannot be carried by a quoted-pair
    if (c === DQUOTE || c === BACKSLASH || (c < 32 && c !== HTAB) || c === 127) parts.push("\\");
    parts.push(text[i]);
  }
  parts.push('"');
  return parts.join("");
}

/**
 * Splits a header field value on top-level commas: not inside a quoted string and not inside <…>.
 * Elements are trimmed; empty elements are kept (as "") so typed parsers can reject them.
 */
export function splitList(value: string): string[] {
  if (value.indexOf(",") < 0) return [value];
  const out: string[] = [];
  const end = value.length;
  let from = 0;
  let angle = false;
  for (let i = 0; i < end; i++) {
    const c = value.charCodeAt(i);
    if (c === DQUOTE) {
      const q = scanQuoted(value, i, end);
      if (q < 0) break; // unterminated: the rest is one element, its parser reports it
      i = q - 1;
    } else if (c === LAQUOT) {
      angle = true;
    } else if (c === RAQUOT) {
      angle = false;
    } else if (c === COMMA && !angle) {
      out.push(trimmed(value, from, i));
      from = i + 1;
    }
  }
  out.push(trimmed(value, from, end));
  return out;
}

function trimmed(s: string, start: number, end: number): string {
  start = skipWs(s, start, end);
  return s.slice(start, trimEnd(s, start, end));
}

function hexValue(c: number): number {
  if (c <= 57) return c - 48;
  if (c <= 70) return c - 55;
  return c - 87;
}

const utf8 = new TextDecoder("utf-8");
const utf8Encoder = new TextEncoder();

/**
 * Checks s[start..end) against a character class, allowing %HH escapes: 1 when an escape was seen,
 * 0 when none, -1 when a character is not allowed.
 */
export function checkEscaped(s: string, start: number, end: number, cls: number): 0 | 1 | -1 {
  let escaped: 0 | 1 = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < 128 && (table[c] & cls) !== 0) continue;
    if (c === PERCENT && i + 2 < end && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2))) {
      escaped = 1;
      i += 2;
      continue;
    }
    return -1;
  }
  return escaped;
}

/** %HH-decodes s[start..end) (already checked by `checkEscaped`, so ASCII) as UTF-8. */
export function percentDecode(s: string, start: number, end: number): string {
  const bytes: number[] = [];
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === PERCENT) {
      bytes.push(hexValue(s.charCodeAt(i + 1)) * 16 + hexValue(s.charCodeAt(i + 2)));
      i += 2;
    } else {
      bytes.push(c & 0x7f);
    }
  }
  return utf8.decode(new Uint8Array(bytes));
}

const HEXDIGITS = "0123456789ABCDEF";

/** %HH-encodes every character of `text` outside the class (UTF-8 for non-ASCII). */
export function percentEncode(text: string, cls: number): string {
  let i = 0;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!(c < 128 && (table[c] & cls) !== 0)) break;
  }
  if (i === text.length) return text;
  const parts: string[] = [text.slice(0, i)];
  for (const b of utf8Encoder.encode(text.slice(i))) {
    if (b < 128 && (table[b] & cls) !== 0) parts.push(String.fromCharCode(b));
    else parts.push(`%${HEXDIGITS[b >> 4]}${HEXDIGITS[b & 15]}`);
  }
  return parts.join("");
}

/** Case-insensitive ASCII comparison. */
export function equalsIgnoreCase(a: string, b: string): boolean {
  return a.length === b.length && (a === b || a.toLowerCase() === b.toLowerCase());
}

/** `text` with every CR and LF replaced by a space (for start-line parts built by code). */
export function oneLine(text: string): string {
  if (text.indexOf("\r") < 0 && text.indexOf("\n") < 0) return text;
  return text.split("\r").join(" ").split("\n").join(" ");
}
