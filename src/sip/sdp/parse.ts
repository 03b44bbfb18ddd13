/**
 * @module sip/sdp/parse
 * SDP parser (RFC 4566). Lines end in CRLF or LF; blank lines and trailing blanks are ignored. Strict
 * about the structure we rely on: v=0 first, exactly one o= and s=, a c= for every media section
 * (its own or the session's), at least one m=. Lines it does not model are kept, ordered as RFC 4566
 * §5 orders them, so `parseSdp(formatSdp(x))` gives `x` back.
 */
import { maskSdpKeys } from "./crypto.ts";
import type { Attribute, Connection, Direction, Media, ParseSdpResult, Sdp, SdpLine, Timing } from "./types.ts";

class SdpError extends Error {}

function fail(message: string): never {
  throw new SdpError(message);
}

const DIRECTIONS: ReadonlySet<string> = new Set(["sendrecv", "sendonly", "recvonly", "inactive"]);

/** Order of the unmodelled line types inside the session section (RFC 4566 §5), c= at 5, t= at 7. */
const SESSION_RANK: Record<string, number> = { i: 1, u: 2, e: 3, p: 4, b: 6, r: 8, z: 9, k: 10 };
/** Order inside a media section: i= before c= (5), then b= and k=. */
const MEDIA_RANK: Record<string, number> = { i: 1, b: 6, k: 10 };
const UNKNOWN_RANK = 11;

export function lineRank(type: string, media: boolean): number {
  return (media ? MEDIA_RANK[type] : SESSION_RANK[type]) ?? UNKNOWN_RANK;
}

function sortExtra(lines: SdpLine[], media: boolean): SdpLine[] {
  // Array.prototype.sort is stable.
  return lines.sort((a, b) => lineRank(a.type, media) - lineRank(b.type, media));
}

/** Splits on single spaces; empty fields (double spaces) are an error. */
function fields(value: string, what: string): string[] {
  const parts = value.split(" ");
  for (const p of parts) if (p === "") fail(`${what}: empty field in "${value}"`);
  return parts;
}

function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function integer(s: string, what: string, max: number): number {
  if (!isDigits(s) || s.length > 10) fail(`${what}: "${s}" is not a number`);
  const n = Number(s);
  if (n > max) fail(`${what}: ${s} is out of range`);
  return n;
}

function payloadType(s: string, what: string): number {
  return integer(s, what, 127);
}

function parseConnection(value: string): Connection {
  const f = fields(value, "c=");
  if (f.length !== 3) fail(`c=: expected "<nettype> <addrtype> <address>", got "${value}"`);
  return { netType: f[0], addrType: f[1], address: f[2] };
}

function parseTiming(value: string): Timing {
  const f = fields(value, "t=");
  if (f.length !== 2 || !isDigits(f[0]) || !isDigits(f[1])) fail(`t=: expected "<start> <stop>", got "${value}"`);
  return { start: f[0], stop: f[1] };
}

function parseMediaLine(value: string): Media {
  const f = fields(value, "m=");
  if (f.length < 4) fail(`m=: expected "<media> <port> <proto> <fmt> ...", got "${value}"`);
  const slash = f[1].indexOf("/");
  const port = integer(slash < 0 ? f[1] : f[1].slice(0, slash), "m= port", 65535);
  const portCount = slash < 0 ? null : integer(f[1].slice(slash + 1), "m= port count", 65535);
  const proto = f[2];
  const formats = f.slice(3);
  if (isRtp(proto)) for (const fmt of formats) payloadType(fmt, "m= payload type");
  return {
    type: f[0],
    port,
    portCount,
    proto,
    formats,
    connection: null,
    rtpmaps: [],
    fmtps: [],
    ptime: null,
    direction: null,
    attributes: [],
    extra: [],
  };
}

/** True for RTP transports (RTP/AVP, RTP/SAVP, UDP/TLS/RTP/SAVPF, …). */
export function isRtp(proto: string): boolean {
  return proto.toUpperCase().includes("RTP/");
}

function splitAttribute(value: string): Attribute {
  const colon = value.indexOf(":");
  if (colon < 0) return { name: value, value: null };
  return { name: value.slice(0, colon), value: value.slice(colon + 1) };
}

/** Handles a media-level a= line; returns false if it is not one the parser models. */
function mediaAttribute(m: Media, a: Attribute): boolean {
  if (a.value === null) {
    if (!DIRECTIONS.has(a.name)) return false;
    m.direction = a.name as Direction;
    return true;
  }
  if (!isRtp(m.proto)) return false;
  const v = a.value;
  switch (a.name) {
    case "rtpmap": {
      const sp = v.indexOf(" ");
      if (sp < 0) fail(`a=rtpmap: expected "<pt> <name>/<rate>", got "${v}"`);
      const pt = payloadType(v.slice(0, sp), "a=rtpmap payload type");
      const enc = v.slice(sp + 1).split("/");
      if (enc.length < 2 || enc.length > 3 || enc[0] === "") fail(`a=rtpmap: bad encoding "${v.slice(sp + 1)}"`);
      const rate = integer(enc[1], "a=rtpmap clock rate", 0xffffffff);
      if (rate === 0) fail("a=rtpmap: clock rate 0");
      const channels = enc.length === 3 ? integer(enc[2], "a=rtpmap channels", 255) : null;
      m.rtpmaps.push({ pt, name: enc[0], rate, channels });
      return true;
    }
    case "fmtp": {
      const sp = v.indexOf(" ");
      const pt = payloadType(sp < 0 ? v : v.slice(0, sp), "a=fmtp payload type");
      m.fmtps.push({ pt, params: sp < 0 ? "" : v.slice(sp + 1) });
      return true;
    }
    case "ptime": {
      const n = Number(v);
      if (v === "" || !Number.isFinite(n) || n <= 0) fail(`a=ptime: "${v}" is not a positive number`);
      m.ptime = n;
      return true;
    }
    default:
      return false;
  }
}

function parseInto(text: string): Sdp {
  const lines = text.split("\n");
  let sdp: Sdp | null = null;
  let sawVersion = false;
  let sawSession = false;
  let media: Media | null = null;
  let origin: Sdp["origin"] | null = null;
  for (let n = 0; n < lines.length; n++) {
    let line = lines[n];
    let end = line.length;
    while (end > 0) {
      const c = line.charCodeAt(end - 1);
      if (c !== 13 && c !== 32 && c !== 9) break;
      end--;
    }
    if (end === 0) continue;
    line = line.slice(0, end);
    const type = line[0];
    if (line.length < 2 || line[1] !== "=" || type < "a" || type > "z") {
      // The reason reaches logs, a 488's Warning and a wake-up's history: a broken a=crypto line
      // must not carry its key there (masked first, then cut).
      fail(`line ${n + 1}: expected "<type>=<value>", got "${maskSdpKeys(line).slice(0, 40)}"`);
    }
    const value = line.slice(2);
    if (!sawVersion) {
      if (type !== "v") fail("missing v= (it must be the first line)");
      if (value !== "0") fail(`unsupported version v=${value}`);
      sawVersion = true;
      continue;
    }
    if (type === "v") fail(`line ${n + 1}: repeated v=`);
    if (media !== null && (type === "o" || type === "s" || type === "t")) {
      fail(`line ${n + 1}: ${type}= inside a media section`);
    }
    switch (type) {
      case "o": {
        if (origin !== null) fail(`line ${n + 1}: repeated o=`);
        const f = fields(value, "o=");
        if (f.length !== 6) fail(`o=: expected 6 fields, got "${value}"`);
        origin = { username: f[0], sessionId: f[1], version: f[2], netType: f[3], addrType: f[4], address: f[5] };
        continue;
      }
      case "s":
        if (sawSession) fail(`line ${n + 1}: repeated s=`);
        if (value === "") fail("s=: empty session name");
        sawSession = true;
        sdp = {
          origin: origin ?? fail("missing o= before s="),
          sessionName: value,
          connection: null,
          timing: [],
          direction: null,
          attributes: [],
          extra: [],
          media: [],
        };
        continue;
    }
    if (sdp === null) fail(origin === null ? "missing o=" : "missing s=");
    if (type === "m") {
      media = parseMediaLine(value);
      sdp.media.push(media);
      continue;
    }
    if (type === "c") {
      const target = media ?? sdp;
      if (target.connection !== null) fail(`line ${n + 1}: repeated c=`);
      target.connection = parseConnection(value);
      continue;
    }
    if (type === "t") {
      sdp.timing.push(parseTiming(value));
      continue;
    }
    if (type === "a") {
      const a = splitAttribute(value);
      if (media !== null) {
        if (!mediaAttribute(media, a)) media.attributes.push(a);
      } else if (a.value === null && DIRECTIONS.has(a.name)) {
        sdp.direction = a.name as Direction;
      } else {
        sdp.attributes.push(a);
      }
      continue;
    }
    (media ?? sdp).extra.push({ type, value });
  }
  if (!sawVersion) fail("missing v= (empty description)");
  if (origin === null) fail("missing o=");
  if (sdp === null) fail("missing s=");
  if (sdp.media.length === 0) fail("missing m= (no media)");
  sdp.media.forEach((m, i) => {
    if (m.connection === null && sdp.connection === null) fail(`missing c= (session level or media ${i + 1})`);
    sortExtra(m.extra, true);
  });
  sortExtra(sdp.extra, false);
  return sdp;
}

/** Parses an SDP body. Never throws. */
export function parseSdp(text: string): ParseSdpResult {
  try {
    return { ok: true, sdp: parseInto(text) };
  } catch (err) {
    if (err instanceof SdpError) return { ok: false, reason: err.message };
    throw err;
  }
}
