/**
 * @module sip/message/name-addr
 * name-addr / addr-spec with header parameters (RFC 3261 §20.10, §25.1): `"Display" <uri>;p=v`,
 * `token token <uri>`, `uri;p=v`. Quoted display names are decoded; in addr-spec form every `;`
 * parameter belongs to the header, and a URI with `?` headers must be in `<>`.
 */
import {
  DQUOTE,
  HTAB,
  isToken,
  LAQUOT,
  quote,
  SEMI,
  SP,
  scanQuoted,
  skipWs,
  splitList,
  trimEnd,
  unquote,
} from "./chars.ts";
import { formatHeaderParams, parseHeaderParams } from "./params.ts";
import { type ContactList, type NameAddr, type Param, SipParseError, type Uri } from "./types.ts";
import { formatUri, parseUriRange } from "./uri.ts";

function fail(message: string, header: string): never {
  throw new SipParseError(`invalid ${header}: ${message}`, header);
}

/** Parses one name-addr / addr-spec from s[start..end). Throws SipParseError. */
export function parseNameAddrRange(s: string, start: number, end: number, header = "name-addr"): NameAddr {
  let i = skipWs(s, start, end);
  end = trimEnd(s, i, end);
  if (i >= end) fail("empty value", header);
  let displayName: string | undefined;
  let uri: Uri;
  let c = s.charCodeAt(i);
  if (c === DQUOTE) {
    const q = scanQuoted(s, i, end);
    if (q < 0) fail("unterminated quoted string", header);
    displayName = unquote(s, i, q);
    i = skipWs(s, q, end);
    if (i >= end || s.charCodeAt(i) !== LAQUOT) fail('expected "<" after the display name', header);
    c = LAQUOT;
  } else if (c !== LAQUOT) {
    const lt = s.indexOf("<", i);
    if (lt >= 0 && lt < end) {
      const nameEnd = trimEnd(s, i, lt);
      for (let j = i; j < nameEnd; j++) {
        const d = s.charCodeAt(j);
        if (!isToken(d) && d !== SP && d !== HTAB) fail("display name must be tokens or a quoted string", header);
      }
      displayName = s.slice(i, nameEnd);
      i = lt;
      c = LAQUOT;
    }
  }
  if (c === LAQUOT) {
    const gt = s.indexOf(">", i + 1);
    if (gt < 0 || gt >= end) fail('unterminated "<"', header);
    uri = parseUriIn(s, i + 1, gt, header);
    i = gt + 1;
  } else {
    // addr-spec: the URI ends at the first ";" or whitespace; what follows are header parameters.
    let uriEnd = i;
    while (uriEnd < end) {
      const d = s.charCodeAt(uriEnd);
      if (d === SEMI || d === SP || d === HTAB) break;
      uriEnd++;
    }
    uri = parseUriIn(s, i, uriEnd, header);
    if (uri.kind === "sip" && uri.headers.length > 0) fail('a URI with headers must be enclosed in "<>"', header);
    i = uriEnd;
  }
  const params: Param[] = [];
  parseHeaderParams(s, i, end, params, header);
  let tag: string | undefined;
  for (const p of params) {
    if (p.value !== null && p.name.length === 3 && p.name.toLowerCase() === "tag") {
      tag = p.value;
      break;
    }
  }
  return { displayName, uri, params, tag };
}

function parseUriIn(s: string, start: number, end: number, header: string): Uri {
  try {
    return parseUriRange(s, start, end);
  } catch (err) {
    if (err instanceof SipParseError) fail(err.message, header);
    throw err;
  }
}

export function parseNameAddr(text: string, header = "name-addr"): NameAddr {
  return parseNameAddrRange(text, 0, text.length, header);
}

/** Parses the values of a list header (Contact, Route, Record-Route…), one raw string per line. */
export function parseNameAddrList(lines: readonly string[], header: string): NameAddr[] {
  const out: NameAddr[] = [];
  for (const line of lines) {
    for (const item of splitList(line)) {
      if (item.length === 0) fail("empty list element", header);
      out.push(parseNameAddrRange(item, 0, item.length, header));
    }
  }
  return out;
}

/** Contact: a list of name-addr, or `*` alone. */
export function parseContactList(lines: readonly string[]): ContactList {
  if (lines.length === 1 && lines[0] === "*") return "*";
  for (const line of lines) {
    if (line.indexOf("*") >= 0 && splitList(line).includes("*")) fail('"*" must be the only Contact value', "Contact");
  }
  return parseNameAddrList(lines, "Contact");
}

/** Formats as name-addr (always with `<>`, so parameters stay header parameters). */
export function formatNameAddr(value: {
  displayName?: string | undefined;
  uri: Uri;
  params?: readonly Param[];
  tag?: string | undefined;
}): string {
  let out = value.displayName ? `${quote(value.displayName)} <${formatUri(value.uri)}>` : `<${formatUri(value.uri)}>`;
  const params = value.params ?? [];
  out += formatHeaderParams(params);
  if (value.tag !== undefined && !params.some((p) => p.name.toLowerCase() === "tag")) out += `;tag=${value.tag}`;
  return out;
}
