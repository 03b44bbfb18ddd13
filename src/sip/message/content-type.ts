/**
 * @module sip/message/content-type
 * Content-Type (RFC 3261 §20.15): `type/subtype *(;param)`, type and subtype case-insensitive.
 */
import { scanToken, skipWs, trimEnd } from "./chars.ts";
import { formatHeaderParams, parseHeaderParams } from "./params.ts";
import { type MediaType, type Param, SipParseError } from "./types.ts";

function fail(message: string): never {
  throw new SipParseError(`invalid Content-Type: ${message}`, "Content-Type");
}

/** Parses a media type. Throws SipParseError. */
export function parseMediaType(s: string): MediaType {
  let i = skipWs(s, 0, s.length);
  const end = trimEnd(s, i, s.length);
  const typeStart = i;
  i = scanToken(s, i, end);
  if (i === typeStart) fail("missing type");
  const type = s.slice(typeStart, i).toLowerCase();
  i = skipWs(s, i, end);
  if (i >= end || s.charCodeAt(i) !== 47) fail('expected "/"');
  i = skipWs(s, i + 1, end);
  const subStart = i;
  i = scanToken(s, i, end);
  if (i === subStart) fail("missing subtype");
  const subtype = s.slice(subStart, i).toLowerCase();
  const params: Param[] = [];
  parseHeaderParams(s, i, end, params, "Content-Type");
  return { type, subtype, params };
}

export function formatMediaType(m: MediaType): string {
  return `${m.type}/${m.subtype}${formatHeaderParams(m.params)}`;
}
