/**
 * @module sip/message/via
 * Via (RFC 3261 §20.42, §25.1): `SIP / 2.0 / UDP host:port ;branch=…;received=…;rport`, with LWS
 * allowed around `/`, `:` and `;`. rport per RFC 3581.
 */
import { COLON, isDigit, isHex, scanToken, skipWs, splitList, trimEnd } from "./chars.ts";
import { formatHeaderParams, parseHeaderParams } from "./params.ts";
import { type Param, SipParseError, type ViaHop } from "./types.ts";
import { formatHost } from "./uri.ts";

const SLASH = 47;

function fail(message: string): never {
  throw new SipParseError(`invalid Via: ${message}`, "Via");
}

function hostChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || isDigit(c) || c === 45 || c === 46 || c === 95;
}

/** Parses one Via value from s[start..end). Throws SipParseError. */
export function parseViaRange(s: string, start: number, end: number): ViaHop {
  let i = skipWs(s, start, end);
  end = trimEnd(s, i, end);
  const nameStart = i;
  i = scanToken(s, i, end);
  if (i === nameStart) fail("missing protocol name");
  const name = s.slice(nameStart, i);
  i = skipWs(s, i, end);
  if (i >= end || s.charCodeAt(i) !== SLASH) fail('expected "/"');
  i = skipWs(s, i + 1, end);
  const versionStart = i;
  i = scanToken(s, i, end);
  if (i === versionStart) fail("missing protocol version");
  const version = s.slice(versionStart, i);
  i = skipWs(s, i, end);
  if (i >= end || s.charCodeAt(i) !== SLASH) fail('expected "/"');
  i = skipWs(s, i + 1, end);
  const transportStart = i;
  i = scanToken(s, i, end);
  if (i === transportStart) fail("missing transport");
  const transport = s.slice(transportStart, i).toUpperCase();
  const afterTransport = i;
  i = skipWs(s, i, end);
  if (i === afterTransport) fail("expected whitespace before sent-by");
  let host: string;
  if (i < end && s.charCodeAt(i) === 91) {
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
    while (i < end && hostChar(s.charCodeAt(i))) i++;
    if (i === hostStart) fail("missing sent-by host");
    host = s.slice(hostStart, i);
  }
  let port: number | undefined;
  const beforeColon = skipWs(s, i, end);
  if (beforeColon < end && s.charCodeAt(beforeColon) === COLON) {
    i = skipWs(s, beforeColon + 1, end);
    const portStart = i;
    port = 0;
    while (i < end && isDigit(s.charCodeAt(i))) {
      port = port * 10 + s.charCodeAt(i) - 48;
      i++;
    }
    if (i === portStart || i - portStart > 5 || port > 65535) fail("invalid sent-by port");
  }
  const params: Param[] = [];
  parseHeaderParams(s, i, end, params, "Via");
  let branch: string | undefined;
  let received: string | undefined;
  let rport: number | true | undefined;
  for (const p of params) {
    const n = p.name.length === 5 || p.name.length === 6 || p.name.length === 8 ? p.name.toLowerCase() : "";
    if (n === "branch") {
      if (p.value === null) fail("branch without value");
      branch = p.value;
    } else if (n === "received") {
      if (p.value === null) fail("received without value");
      received = p.value;
    } else if (n === "rport") {
      if (p.value === null) rport = true;
      else rport = parsePort(p.value);
    }
  }
  return { protocol: `${name}/${version}`, transport, host, port, params, branch, received, rport };
}

function parsePort(text: string): number {
  let n = 0;
  if (text.length === 0 || text.length > 5) fail("invalid rport");
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!isDigit(c)) fail("invalid rport");
    n = n * 10 + c - 48;
  }
  if (n > 65535) fail("invalid rport");
  return n;
}

export function parseVia(text: string): ViaHop {
  return parseViaRange(text, 0, text.length);
}

/** All hops of the Via header lines, top first. */
export function parseViaList(lines: readonly string[]): ViaHop[] {
  const out: ViaHop[] = [];
  for (const line of lines) {
    if (line.indexOf(",") < 0) {
      out.push(parseViaRange(line, 0, line.length));
      continue;
    }
    for (const item of splitList(line)) {
      if (item.length === 0) fail("empty list element");
      out.push(parseViaRange(item, 0, item.length));
    }
  }
  return out;
}

/** `SIP/2.0/UDP host:port;params` for a new Via (branch, received and rport are in `params`). */
export function formatVia(hop: {
  protocol?: string;
  transport: string;
  host: string;
  port?: number | undefined;
  params: readonly Param[];
}): string {
  const port = hop.port === undefined ? "" : `:${hop.port}`;
  return `${hop.protocol ?? "SIP/2.0"}/${hop.transport} ${formatHost(hop.host)}${port}${formatHeaderParams(hop.params)}`;
}
