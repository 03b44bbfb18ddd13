/**
 * @module sip/sdp/format
 * Writes an Sdp back as text with CRLF line ends, lines ordered as RFC 4566 §5 orders them (the same
 * order the parser normalizes to, so `parseSdp(formatSdp(x))` gives `x` back).
 */
import { lineRank } from "./parse.ts";
import type { Attribute, Connection, Media, Sdp, SdpLine } from "./types.ts";

function connection(c: Connection): string {
  return `c=${c.netType} ${c.addrType} ${c.address}`;
}

function attribute(a: Attribute): string {
  return a.value === null ? `a=${a.name}` : `a=${a.name}:${a.value}`;
}

function extras(out: string[], lines: SdpLine[], media: boolean, from: number, to: number): void {
  for (const l of lines) {
    const rank = lineRank(l.type, media);
    if (rank >= from && rank < to) out.push(`${l.type}=${l.value}`);
  }
}

function formatMedia(out: string[], m: Media): void {
  const port = m.portCount === null ? `${m.port}` : `${m.port}/${m.portCount}`;
  out.push(`m=${m.type} ${port} ${m.proto} ${m.formats.join(" ")}`);
  extras(out, m.extra, true, 0, 5);
  if (m.connection !== null) out.push(connection(m.connection));
  extras(out, m.extra, true, 5, Number.POSITIVE_INFINITY);
  for (const r of m.rtpmaps) {
    out.push(`a=rtpmap:${r.pt} ${r.name}/${r.rate}${r.channels === null ? "" : `/${r.channels}`}`);
  }
  for (const f of m.fmtps) out.push(f.params === "" ? `a=fmtp:${f.pt}` : `a=fmtp:${f.pt} ${f.params}`);
  if (m.ptime !== null) out.push(`a=ptime:${m.ptime}`);
  for (const a of m.attributes) out.push(attribute(a));
  if (m.direction !== null) out.push(`a=${m.direction}`);
}

/** Formats a session description; every line, the last included, ends in CRLF. */
export function formatSdp(sdp: Sdp): string {
  const o = sdp.origin;
  const out = [
    "v=0",
    `o=${o.username} ${o.sessionId} ${o.version} ${o.netType} ${o.addrType} ${o.address}`,
    `s=${sdp.sessionName}`,
  ];
  extras(out, sdp.extra, false, 0, 5);
  if (sdp.connection !== null) out.push(connection(sdp.connection));
  extras(out, sdp.extra, false, 5, 7);
  for (const t of sdp.timing) out.push(`t=${t.start} ${t.stop}`);
  extras(out, sdp.extra, false, 7, Number.POSITIVE_INFINITY);
  for (const a of sdp.attributes) out.push(attribute(a));
  if (sdp.direction !== null) out.push(`a=${sdp.direction}`);
  for (const m of sdp.media) formatMedia(out, m);
  return `${out.join("\r\n")}\r\n`;
}
