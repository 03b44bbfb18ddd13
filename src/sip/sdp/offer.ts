/**
 * @module sip/sdp/offer
 * The offer/answer model (RFC 3264) for our G.711 calls: an audio offer of PCMU, PCMA and
 * telephone-event (RFC 4733); negotiation of a remote offer (codec by local preference, static payload
 * types without rtpmap, session- or media-level c=, rejected streams, hold); and the answer that
 * mirrors the negotiated codec and telephone-event with the offer's payload numbers.
 */
import type { Attribute, Connection, Direction, Media, Sdp } from "./types.ts";

export type G711 = "PCMU" | "PCMA";

/** Events we offer and accept: DTMF 0–9 * # A–D (0–15) and flash (16). */
export const TELEPHONE_EVENTS = "0-16";
export const TELEPHONE_EVENT_PT = 101;
export const PTIME = 20;

/** Static audio payload types of RFC 3551 table 4 that may appear without an rtpmap. */
const STATIC: Record<number, { name: string; rate: number }> = {
  0: { name: "PCMU", rate: 8000 },
  3: { name: "GSM", rate: 8000 },
  4: { name: "G723", rate: 8000 },
  8: { name: "PCMA", rate: 8000 },
  9: { name: "G722", rate: 8000 },
  18: { name: "G729", rate: 8000 },
};

export interface LocalMedia {
  /** Our RTP address (IPv4 or IPv6). */
  address: string;
  port: number;
  sessionId: string | number | bigint;
  version: string | number | bigint;
}

export interface NegotiateOptions {
  /** Codecs we accept, most wanted first. */
  preferred: readonly G711[];
  /** Transports we take (upper case), default RTP/AVP only; SRTP adds RTP/SAVP (see sdes.ts). */
  transports?: readonly string[];
}

/** The RTP transports of RFC 3551 and RFC 3711 an audio line may use. */
export type RtpTransport = "RTP/AVP" | "RTP/SAVP";

/**
 * A 488's Warning code (RFC 3261 §20.43): 302 Incompatible transport protocol, 304 Media type not
 * available, 305 Incompatible media format.
 */
export type SdpWarning = 302 | 304 | 305;

export type Negotiated = {
  ok: true;
  /** Index of the accepted m= section; the others are rejected (port 0) in the answer. */
  mediaIndex: number;
  /** The accepted line's transport, which the answer repeats. */
  proto: RtpTransport;
  codec: { pt: number; name: G711 };
  dtmf: { pt: number } | null;
  /** Where to send RTP. On hold (c=0.0.0.0 or sendonly/inactive offer) we must not send. */
  remote: { address: string; port: number };
  /** Our direction, as the answer states it. */
  direction: Direction;
  /** The offer's direction (RFC 2543 hold, c=0.0.0.0, counts as sendonly). */
  remoteDirection: Direction;
  /** The offer asks us not to send: sendonly, inactive or c=0.0.0.0. */
  hold: boolean;
  /** The offer's a=ptime, if any. */
  ptime: number | null;
};

export type NegotiateResult = Negotiated | { ok: false; reason: string; warning: SdpWarning };

function addrType(address: string): string {
  return address.includes(":") ? "IP6" : "IP4";
}

function origin(local: LocalMedia): Sdp["origin"] {
  return {
    username: "-",
    sessionId: String(local.sessionId),
    version: String(local.version),
    netType: "IN",
    addrType: addrType(local.address),
    address: local.address,
  };
}

function g711Media(
  local: LocalMedia,
  codecs: { pt: number; name: string }[],
  dtmfPt: number | null,
  proto: RtpTransport,
  attributes: Attribute[],
): Media {
  const formats = codecs.map((c) => String(c.pt));
  if (dtmfPt !== null) formats.push(String(dtmfPt));
  return {
    type: "audio",
    port: local.port,
    portCount: null,
    proto,
    formats,
    connection: null,
    rtpmaps: [
      ...codecs.map((c) => ({ pt: c.pt, name: c.name, rate: 8000, channels: null })),
      ...(dtmfPt === null ? [] : [{ pt: dtmfPt, name: "telephone-event", rate: 8000, channels: null }]),
    ],
    fmtps: dtmfPt === null ? [] : [{ pt: dtmfPt, params: TELEPHONE_EVENTS }],
    ptime: PTIME,
    direction: "sendrecv",
    attributes,
    extra: [],
  };
}

/**
 * Our audio offer: PCMU (0), PCMA (8), telephone-event (101, 0-16), ptime 20, sendrecv; on RTP/AVP
 * unless SRTP asks for RTP/SAVP, with its `a=crypto` lines as `attributes`.
 */
export function buildOffer(local: LocalMedia, proto: RtpTransport = "RTP/AVP", attributes: Attribute[] = []): Sdp {
  return {
    origin: origin(local),
    sessionName: "-",
    connection: { netType: "IN", addrType: addrType(local.address), address: local.address },
    timing: [{ start: "0", stop: "0" }],
    direction: null,
    attributes: [],
    extra: [],
    media: [
      g711Media(
        local,
        [
          { pt: 0, name: "PCMU" },
          { pt: 8, name: "PCMA" },
        ],
        TELEPHONE_EVENT_PT,
        proto,
        attributes,
      ),
    ],
  };
}

/** Name and clock rate a payload type stands for in a media section (rtpmap first, then static table). */
function encoding(m: Media, pt: number): { name: string; rate: number; channels: number } | null {
  const map = m.rtpmaps.find((r) => r.pt === pt);
  if (map) return { name: map.name, rate: map.rate, channels: map.channels ?? 1 };
  const s = STATIC[pt];
  return s ? { ...s, channels: 1 } : null;
}

function notAcceptable(reason: string, warning: SdpWarning): { ok: false; reason: string; warning: SdpWarning } {
  return { ok: false, reason: `488 Not Acceptable Here: ${reason}`, warning };
}

function describe(m: Media): string {
  return m.formats.map((f) => encoding(m, Number(f))?.name ?? f).join(", ");
}

const REVERSE: Record<Direction, Direction> = {
  sendrecv: "sendrecv",
  sendonly: "recvonly",
  recvonly: "sendonly",
  inactive: "inactive",
};

function hostOf(c: Connection): string {
  const slash = c.address.indexOf("/");
  return slash < 0 ? c.address : c.address.slice(0, slash);
}

function isUnspecified(address: string): boolean {
  return address === "0.0.0.0" || address === "::";
}

/**
 * Picks the first usable audio stream of a remote offer and the codec for it. The codec is the first
 * of `local.preferred` the stream offers; telephone-event is taken at the same 8 kHz clock, under
 * whatever (dynamic) payload type the offer gives it.
 */
export function negotiate(remote: Sdp, local: NegotiateOptions): NegotiateResult {
  const audio = remote.media.map((m, i) => ({ m, i })).filter(({ m }) => m.type.toLowerCase() === "audio");
  if (audio.length === 0) return notAcceptable("no audio stream offered", 304);
  const live = audio.filter(({ m }) => m.port !== 0);
  if (live.length === 0) return notAcceptable("audio stream rejected (port 0)", 304);
  const transports = local.transports ?? ["RTP/AVP"];
  const avp = live.filter(({ m }) => transports.includes(m.proto.toUpperCase()));
  if (avp.length === 0) {
    const protos = [...new Set(live.map(({ m }) => m.proto))].join(", ");
    return notAcceptable(`unsupported transport ${protos} (only ${transports.join(", ")})`, 302);
  }
  let best: { m: Media; i: number; codec: { pt: number; name: G711 }; rank: number } | null = null;
  for (const { m, i } of avp) {
    for (const f of m.formats) {
      const pt = Number(f);
      const enc = encoding(m, pt);
      if (enc === null || enc.rate !== 8000 || enc.channels !== 1) continue;
      const rank = (local.preferred as readonly string[]).indexOf(enc.name.toUpperCase());
      if (rank < 0) continue;
      if (best === null || rank < best.rank) best = { m, i, codec: { pt, name: local.preferred[rank] }, rank };
    }
    if (best !== null) break; // the first stream with a usable codec wins
  }
  if (best === null) {
    const offered = avp.map(({ m }) => describe(m)).join("; ");
    return notAcceptable(`no common codec (offered ${offered}; we accept ${local.preferred.join(", ")})`, 305);
  }
  const { m, i, codec } = best;
  const conn = m.connection ?? remote.connection;
  if (conn === null) return notAcceptable("no connection address", 305); // the parser already rejects this
  const address = hostOf(conn);
  let dtmf: { pt: number } | null = null;
  for (const f of m.formats) {
    const pt = Number(f);
    const enc = encoding(m, pt);
    if (enc !== null && enc.name.toLowerCase() === "telephone-event" && enc.rate === 8000) {
      dtmf = { pt };
      break;
    }
  }
  let remoteDirection: Direction = m.direction ?? remote.direction ?? "sendrecv";
  if (isUnspecified(address)) {
    // RFC 2543 hold: "do not send to me". Same meaning as sendonly (or inactive, if it was recvonly).
    if (remoteDirection === "sendrecv") remoteDirection = "sendonly";
    else if (remoteDirection === "recvonly") remoteDirection = "inactive";
  }
  return {
    ok: true,
    mediaIndex: i,
    proto: m.proto.toUpperCase() as RtpTransport,
    codec,
    dtmf,
    remote: { address, port: m.port },
    direction: REVERSE[remoteDirection],
    remoteDirection,
    hold: remoteDirection === "sendonly" || remoteDirection === "inactive",
    ptime: m.ptime,
  };
}

/**
 * The answer to `offer` after a successful `negotiate`: one m= per offered m= (RFC 3264 §6), the
 * accepted one with the negotiated codec and telephone-event under the offer's payload numbers and
 * transport (plus `attributes`: our a=crypto, a=rtcp-mux), the others rejected with port 0. t=
 * mirrors the offer.
 */
export function buildAnswer(offer: Sdp, result: Negotiated, local: LocalMedia, attributes: Attribute[] = []): Sdp {
  const media = offer.media.map((m, i): Media => {
    if (i === result.mediaIndex) {
      const codec = { pt: result.codec.pt, name: result.codec.name };
      const answer = g711Media(local, [codec], result.dtmf?.pt ?? null, result.proto, attributes);
      answer.direction = result.direction;
      return answer;
    }
    return {
      type: m.type,
      port: 0,
      portCount: null,
      proto: m.proto,
      formats: [...m.formats],
      connection: null,
      rtpmaps: [],
      fmtps: [],
      ptime: null,
      direction: null,
      attributes: [],
      extra: [],
    };
  });
  return {
    origin: origin(local),
    sessionName: "-",
    connection: { netType: "IN", addrType: addrType(local.address), address: local.address },
    timing: offer.timing.length > 0 ? offer.timing.map((t) => ({ ...t })) : [{ start: "0", stop: "0" }],
    direction: null,
    attributes: [],
    extra: [],
    media,
  };
}
