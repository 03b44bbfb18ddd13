/**
 * @module sip/sdp/types
 * The SDP session description (RFC 4566) as plain data. Lines the parser does not model are kept in
 * `extra` (non-attribute lines) and `attributes` (a= lines), so a description survives a round trip.
 * Absent optional values are `null`, never `undefined`, so parsed descriptions compare with deepEqual.
 */

/** Media direction attributes (RFC 3264 §5.1). */
export type Direction = "sendrecv" | "sendonly" | "recvonly" | "inactive";

/** A line the parser keeps but does not model (i=, u=, e=, p=, b=, r=, z=, k=, or an unknown type). */
export interface SdpLine {
  type: string;
  value: string;
}

/** An a= line other than the modelled ones: `a=name` (value null) or `a=name:value`. */
export interface Attribute {
  name: string;
  value: string | null;
}

/** o= line. Session id and version stay strings: they may exceed 2^53. */
export interface Origin {
  username: string;
  sessionId: string;
  version: string;
  netType: string;
  addrType: string;
  address: string;
}

/** c= line. `address` is the third field as written (a multicast address keeps its `/ttl`). */
export interface Connection {
  netType: string;
  addrType: string;
  address: string;
}

/** t= line (NTP seconds; `0 0` = unbounded). Kept as strings: NTP times exceed 2^32. */
export interface Timing {
  start: string;
  stop: string;
}

/** a=rtpmap:PT NAME/RATE[/CHANNELS] */
export interface Rtpmap {
  pt: number;
  name: string;
  rate: number;
  channels: number | null;
}

/** a=fmtp:PT PARAMS */
export interface Fmtp {
  pt: number;
  params: string;
}

/** One m= section. rtpmap, fmtp and ptime are modelled only for RTP transports (`RTP/…`). */
export interface Media {
  type: string;
  port: number;
  portCount: number | null;
  proto: string;
  /** The format list; for RTP transports, payload type numbers as written (0–127). */
  formats: string[];
  connection: Connection | null;
  rtpmaps: Rtpmap[];
  fmtps: Fmtp[];
  ptime: number | null;
  direction: Direction | null;
  attributes: Attribute[];
  extra: SdpLine[];
}

export interface Sdp {
  origin: Origin;
  sessionName: string;
  connection: Connection | null;
  timing: Timing[];
  /** Session-level direction; a media-level one overrides it. */
  direction: Direction | null;
  attributes: Attribute[];
  extra: SdpLine[];
  media: Media[];
}

export type ParseSdpResult = { ok: true; sdp: Sdp } | { ok: false; reason: string };
