/**
 * @module sip/message/params
 * Header parameters: `*( SEMI generic-param )` with LWS around `;` and `=` (RFC 3261 §25.1), and
 * their formatting.
 */
import { CLASS, DQUOTE, EQUAL, is, SEMI, scanQuoted, scanToken, skipWs } from "./chars.ts";
import { type Param, SipParseError } from "./types.ts";

/**
 * Parses header parameters from s[i..end) into `out`: only whitespace may precede the first `;`.
 * Values are kept raw (token, host, or quoted-string with its quotes). Throws SipParseError.
 */
export function parseHeaderParams(s: string, i: number, end: number, out: Param[], header: string): void {
  for (;;) {
    i = skipWs(s, i, end);
    if (i >= end) return;
    if (s.charCodeAt(i) !== SEMI) throw new SipParseError(`unexpected "${s[i]}" in ${header}`, header);
    i = skipWs(s, i + 1, end);
    const nameStart = i;
    i = scanToken(s, i, end);
    if (i === nameStart) throw new SipParseError(`empty parameter in ${header}`, header);
    const name = s.slice(nameStart, i);
    i = skipWs(s, i, end);
    let value: string | null = null;
    if (i < end && s.charCodeAt(i) === EQUAL) {
      i = skipWs(s, i + 1, end);
      const valueStart = i;
      if (i < end && s.charCodeAt(i) === DQUOTE) {
        i = scanQuoted(s, i, end);
        if (i < 0) throw new SipParseError(`unterminated quoted string in ${header}`, header);
      } else {
        while (i < end && is(s.charCodeAt(i), CLASS.GENVALUE)) i++;
        if (i === valueStart) throw new SipParseError(`empty value of parameter ${name} in ${header}`, header);
      }
      value = s.slice(valueStart, i);
    }
    out.push({ name, value });
  }
}

/** `;name=value;flag` */
export function formatHeaderParams(params: readonly Param[]): string {
  let out = "";
  for (const p of params) out += p.value === null ? `;${p.name}` : `;${p.name}=${p.value}`;
  return out;
}
