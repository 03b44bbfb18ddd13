/**
 * @module sip/sdp/sdes
 * The SRTP rules of the offer/answer (RFC 3264 with RFC 4568 SDES), per `sip.media.srtp` policy:
 *
 * - Our offer: mandatory → `RTP/SAVP` with one `a=crypto` per suite, best first; optional →
 *   `RTP/AVP` with the same lines (best-effort SRTP, RFC 4568 §5.1.2 lets an AVP line carry them);
 *   off → plain `RTP/AVP`.
 * - The answer to it must echo one tag we offered with that tag's suite; anything else fails the call.
 * - An offer we answer: the strongest usable suite, echoed with its tag and our own fresh key. Under
 *   mandatory plain RTP is refused with 302 (Incompatible transport protocol), and an SRTP line
 *   without a usable a=crypto with 305 (Incompatible media format); optional takes plain RTP, and
 *   takes SRTP when the offer keys it.
 * - A re-offer inside the call: we answer with our unchanged SDP, so it must still hold our answered
 *   tag with its suite; a new remote key re-keys the receive side; a downgrade to plain RTP under
 *   mandatory is refused and the call goes on as it was.
 *
 * rtcp-mux is echoed only when the offer asks for it: we never offer it (Zoom's SDP shows none).
 */
import {
  acceptCryptoAnswer,
  answerCrypto,
  classifyCrypto,
  cryptoAttributes,
  cryptoValues,
  type LocalCrypto,
  offerCrypto,
  parseCrypto,
  type SdesKey,
  type SdesSuite,
} from "./crypto.ts";
import type { RtpTransport, SdpWarning } from "./offer.ts";
import type { Attribute, Media } from "./types.ts";

export type SrtpPolicy = "mandatory" | "optional" | "off";

/** A call's SRTP keys as the SDP settled them. */
export interface SdesKeys {
  suite: SdesSuite;
  /** Our line: its key protects what we send; repeated unchanged in every answer of the call. */
  local: LocalCrypto;
  /** The peer's key: what arrives is authenticated with it. */
  remote: SdesKey;
  rtcpMux: boolean;
}

export type SdesRefusal = { ok: false; reason: string; warning: SdpWarning };

/** RFC 3261 §20.43 texts of the Warning codes we send with a 488. */
export const WARNING_TEXT: Record<SdpWarning, string> = {
  302: "Incompatible transport protocol",
  304: "Media type not available",
  305: "Incompatible media format",
};

/** `Warning: <code> <agent> "<text>"`, the standard text of the code (never a reason: it may quote SDP). */
export function warningValue(code: SdpWarning, agent: string): string {
  return `${code} ${agent} "${WARNING_TEXT[code]}"`;
}

/** What our offer carries under `policy`. */
export function sdesOffer(policy: SrtpPolicy): { proto: RtpTransport; crypto: LocalCrypto[] | null } {
  if (policy === "off") return { proto: "RTP/AVP", crypto: null };
  return { proto: policy === "mandatory" ? "RTP/SAVP" : "RTP/AVP", crypto: offerCrypto() };
}

/** The transports `negotiate` may take: the answer to our offer, or an offer we answer. */
export function sdesTransports(policy: SrtpPolicy, role: "answer" | "offer"): RtpTransport[] {
  if (role === "answer") return policy === "mandatory" ? ["RTP/SAVP"] : ["RTP/AVP"];
  return policy === "off" ? ["RTP/AVP"] : ["RTP/AVP", "RTP/SAVP"];
}

function wantsMux(m: Media): boolean {
  return m.attributes.some((a) => a.name === "rtcp-mux");
}

/** Checks the answer's accepted line against our offer's crypto (null: we offered none). */
export function sdesAnswer(
  ours: readonly LocalCrypto[] | null,
  media: Media,
): { ok: true; keys: SdesKeys | null } | { ok: false; reason: string } {
  const answered = cryptoValues(media);
  if (!ours) return { ok: true, keys: null };
  if (media.proto.toUpperCase() === "RTP/AVP" && answered.length === 0) {
    // Only reachable under optional (mandatory negotiates RTP/SAVP only): the peer took plain RTP.
    return { ok: true, keys: null };
  }
  const r = acceptCryptoAnswer(ours, answered);
  if (!r.ok) return { ok: false, reason: `SRTP answer refused: ${r.reason}` };
  return { ok: true, keys: { suite: r.suite, local: r.local, remote: r.remote, rtcpMux: wantsMux(media) } };
}

/**
 * Our crypto for an offer's accepted line: the keys and the attributes our answer adds, or the 488's
 * Warning code and reason.
 */
export function sdesAnswerOffer(
  policy: SrtpPolicy,
  media: Media,
): { ok: true; keys: SdesKeys | null; attributes: Attribute[] } | SdesRefusal {
  const secure = media.proto.toUpperCase() === "RTP/SAVP";
  const offered = cryptoValues(media);
  if (policy === "off") {
    // negotiate took RTP/AVP only; its a=crypto lines (best-effort SRTP) are declined by omission.
    return { ok: true, keys: null, attributes: [] };
  }
  if (policy === "mandatory" && !secure) {
    return { ok: false, warning: 302, reason: "plain RTP offered, SRTP is mandatory (sip.media.srtp)" };
  }
  if (!secure && offered.length === 0) return { ok: true, keys: null, attributes: [] };
  const r = answerCrypto(offered);
  if (!r.ok) {
    // An AVP line under optional falls back to plain RTP; a SAVP line cannot.
    if (!secure) return { ok: true, keys: null, attributes: [] };
    return { ok: false, warning: 305, reason: r.reason };
  }
  const rtcpMux = wantsMux(media);
  const attributes = cryptoAttributes([r.local]);
  if (rtcpMux) attributes.push({ name: "rtcp-mux", value: null });
  return { ok: true, keys: { suite: r.suite, local: r.local, remote: r.remote, rtcpMux }, attributes };
}

/**
 * A re-offer inside a call whose SDP we keep (our answer is the one we sent before). `current` is
 * the call's keys (null: a plain-RTP call). The result's keys re-key the session (a changed remote key
 * gets a new receive context).
 */
export function sdesReoffer(
  policy: SrtpPolicy,
  current: SdesKeys | null,
  media: Media,
): { ok: true; keys: SdesKeys | null } | SdesRefusal {
  const secure = media.proto.toUpperCase() === "RTP/SAVP";
  if (!current) {
    if (secure) return { ok: false, warning: 302, reason: "re-offer moves a plain-RTP call to SRTP" };
    return { ok: true, keys: null };
  }
  if (!secure && policy === "mandatory") {
    return { ok: false, warning: 302, reason: "re-offer downgrades to plain RTP, SRTP is mandatory" };
  }
  for (const value of cryptoValues(media)) {
    const p = parseCrypto(value);
    if (!p.ok || p.line.tag !== current.local.tag) continue;
    const c = classifyCrypto(p.line);
    if (c.usable && c.suite === current.suite) {
      return { ok: true, keys: { ...current, remote: c.key, rtcpMux: wantsMux(media) } };
    }
  }
  // Our unchanged answer names this tag and suite: without it the answer would not match the offer.
  return { ok: false, warning: 305, reason: `re-offer lacks a=crypto tag ${current.local.tag} ${current.suite}` };
}
