/**
 * @module sip/message/uri
 * SIP/SIPS URI (RFC 3261 §19.1), tel URI (RFC 3966) and other absoluteURIs: parse and format.
 * One pass over char codes per component: scheme → userinfo → hostport → params → headers.
 */
import { CLASS, checkEscaped, is, isDigit, isHex, percentDecode, percentEncode } from "./chars.ts";
import { type AbsoluteUri, type Param, SipParseError, type SipUri, type TelUri, type Uri } from "./types.ts";

const COLON = 58;
const SEMI = 59;
const QMARK = 63;
const AMP = 38;
const EQUAL = 61;
const LBRACKET = 91;

function fail(message: string): never {
  throw new SipParseError(message);
}

/** Parses a whole URI. Throws SipParseError. */
export function parseUri(text: string): Uri {
  return parseUriRange(text, 0, text.length);
}

/** Parses the URI in s[start..end) (nothing else may be in that range). Throws SipParseError. */
export function parseUriRange(s: string, start: number, end: number): Uri {
  let i = start;
  if (i >= end || !is(s.charCodeAt(i), CLASS.ALPHA)) fail("invalid URI scheme");
  i++;
  while (i < end && is(s.charCodeAt(i), CLASS.SCHEME)) i++;
  if (i >= end || s.charCodeAt(i) !== COLON) fail("invalid URI scheme");
  const scheme = s.slice(start, i).toLowerCase();
  i++;
  if (scheme === "sip" || scheme === "sips") return parseSipUri(s, i, end, scheme);
  if (scheme === "tel") return parseTelUri(s, i, end);
  if (i >= end) fail("empty URI");
  for (let j = i; j < end; j++) {
    const c = s.charCodeAt(j);
    if (c <= 32 || c === 127 || c === 34 || c === 60 || c === 62) fail("invalid character in URI");
  }
  const uri: AbsoluteUri = { kind: "absolute", scheme, opaque: s.slice(i, end) };
  return uri;
}

function component(s: string, start: number, end: number, cls: number, what: string): string {
  const escaped = checkEscaped(s, start, end, cls);
  if (escaped < 0) fail(`invalid character in URI ${what}`);
  return escaped ? percentDecode(s, start, end) : s.slice(start, end);
}

function parseSipUri(s: string, i: number, end: number, scheme: "sip" | "sips"): SipUri {
  let user: string | undefined;
  let password: string | undefined;
  const at = s.indexOf("@", i);
  if (at >= 0 && at < end) {
    let colon = s.indexOf(":", i);
    if (colon > at) colon = -1;
    const userEnd = colon < 0 ? at : colon;
    if (userEnd === i) fail("empty URI user");
    user = component(s, i, userEnd, CLASS.USER, "user");
    if (colon >= 0) password = component(s, colon + 1, at, CLASS.PASSWORD, "password");
    i = at + 1;
  }
  let host: string;
  if (i < end && s.charCodeAt(i) === LBRACKET) {
    const close = s.indexOf("]", i);
    if (close < 0 || close >= end) fail("unterminated IPv6 reference");
    for (let j = i + 1; j < close; j++) {
      const c = s.charCodeAt(j);
      if (!isHex(c) && c !== COLON && c !== 46) fail("invalid IPv6 reference");
    }
    if (close === i + 1) fail("empty IPv6 reference");
    host = s.slice(i + 1, close);
    i = close + 1;
  } else {
    const hostStart = i;
    while (i < end && is(s.charCodeAt(i), CLASS.HOST)) i++;
    if (i === hostStart) fail("missing URI host");
    host = s.slice(hostStart, i);
  }
  let port: number | undefined;
  if (i < end && s.charCodeAt(i) === COLON) {
    i++;
    const portStart = i;
    port = 0;
    while (i < end && isDigit(s.charCodeAt(i))) {
      port = port * 10 + s.charCodeAt(i) - 48;
      i++;
    }
    if (i === portStart || i - portStart > 5 || port > 65535) fail("invalid URI port");
  }
  const params: Param[] = [];
  i = parseUriParams(s, i, end, params);
  const headers: Param[] = [];
  if (i < end && s.charCodeAt(i) === QMARK) {
    i++;
    for (;;) {
      const nameStart = i;
      while (i < end && s.charCodeAt(i) !== EQUAL && s.charCodeAt(i) !== AMP) i++;
      if (i === nameStart || i >= end || s.charCodeAt(i) !== EQUAL) fail("invalid URI header");
      const name = component(s, nameStart, i, CLASS.HNV, "header");
      i++;
      const valueStart = i;
      while (i < end && s.charCodeAt(i) !== AMP) i++;
      headers.push({ name, value: component(s, valueStart, i, CLASS.HNV, "header") });
      if (i >= end) break;
      i++;
    }
  }
  if (i !== end) fail(`unexpected "${s[i]}" in URI`);
  return { kind: "sip", scheme, user, password, host, port, params, headers };
}

/** `;name[=value]` URI parameters from s[i..); returns the index after them. */
function parseUriParams(s: string, i: number, end: number, out: Param[]): number {
  while (i < end && s.charCodeAt(i) === SEMI) {
    i++;
    const nameStart = i;
    while (i < end) {
      const c = s.charCodeAt(i);
      if (c === EQUAL || c === SEMI || c === QMARK) break;
      i++;
    }
    if (i === nameStart) fail("empty URI parameter");
    const name = component(s, nameStart, i, CLASS.PARAM, "parameter");
    let value: string | null = null;
    if (i < end && s.charCodeAt(i) === EQUAL) {
      i++;
      const valueStart = i;
      while (i < end) {
        const c = s.charCodeAt(i);
        if (c === SEMI || c === QMARK) break;
        i++;
      }
      value = component(s, valueStart, i, CLASS.PARAM, "parameter");
    }
    out.push({ name, value });
  }
  return i;
}

function parseTelUri(s: string, i: number, end: number): TelUri {
  const numberStart = i;
  while (i < end && is(s.charCodeAt(i), CLASS.TEL)) i++;
  if (i === numberStart) fail("empty tel number");
  const number = s.slice(numberStart, i);
  const params: Param[] = [];
  i = parseUriParams(s, i, end, params);
  if (i !== end) fail(`unexpected "${s[i]}" in tel URI`);
  return { kind: "tel", number, params };
}

function formatUriParams(params: readonly Param[]): string {
  let out = "";
  for (const p of params) {
    out += `;${percentEncode(p.name, CLASS.PARAM)}`;
    if (p.value !== null) out += `=${percentEncode(p.value, CLASS.PARAM)}`;
  }
  return out;
}

/** Formats a host for a URI or Via: IPv6 addresses get their brackets back. */
export function formatHost(host: string): string {
  return host.indexOf(":") >= 0 ? `[${host}]` : host;
}

/** The URI as text, re-escaping what needs escaping. */
export function formatUri(uri: Uri): string {
  if (uri.kind === "absolute") return `${uri.scheme}:${uri.opaque}`;
  if (uri.kind === "tel") return `tel:${uri.number}${formatUriParams(uri.params)}`;
  let out = `${uri.scheme}:`;
  if (uri.user !== undefined) {
    out += percentEncode(uri.user, CLASS.USER);
    if (uri.password !== undefined) out += `:${percentEncode(uri.password, CLASS.PASSWORD)}`;
    out += "@";
  }
  out += formatHost(uri.host);
  if (uri.port !== undefined) out += `:${uri.port}`;
  out += formatUriParams(uri.params);
  if (uri.headers.length > 0) {
    out += "?";
    for (let i = 0; i < uri.headers.length; i++) {
      const h = uri.headers[i];
      if (i > 0) out += "&";
      out += `${percentEncode(h.name, CLASS.HNV)}=${percentEncode(h.value ?? "", CLASS.HNV)}`;
    }
  }
  return out;
}

/** A sip: URI from its parts (for building requests). */
export function sipUri(
  host: string,
  parts: { user?: string; port?: number; scheme?: "sip" | "sips"; params?: Param[] } = {},
): SipUri {
  return {
    kind: "sip",
    scheme: parts.scheme ?? "sip",
    user: parts.user,
    password: undefined,
    host,
    port: parts.port,
    params: parts.params ?? [],
    headers: [],
  };
}
