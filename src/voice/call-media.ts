/**
 * @module voice/call-media
 * The SDP side of a call's media: our offer for a wake-up call (or an inbound INVITE without SDP),
 * the codec and telephone-event taken from the far end's answer (in its 200 OK, or in the ACK of
 * ours), and our answer to an inbound offer; with SRTP (`sip.media.srtp`, rules in
 * sip/sdp/sdes.ts) the a=crypto keys too. Whatever the far end's SDP, the RTP session learns where
 * to send and in which codec through `setRemote`, and its SRTP keys through `setSrtp`.
 */
import { errorMessage } from "../lib/errors.ts";
import type { RtpSession } from "../sip/rtp/session.ts";
import type { SrtpSuite } from "../sip/rtp/srtp/index.ts";
import { cryptoAttributes } from "../sip/sdp/crypto.ts";
import {
  buildAnswer,
  buildOffer,
  formatSdp,
  type G711,
  type LocalCrypto,
  type Negotiated,
  negotiate,
  parseSdp,
  type RtpTransport,
  type SdesKeys,
  type Sdp,
  type SdpWarning,
  type SrtpPolicy,
  sdesAnswer,
  sdesAnswerOffer,
  sdesOffer,
  sdesReoffer,
  sdesTransports,
} from "../sip/sdp/index.ts";
import type { SipCall } from "../sip/ua/call.ts";

export type MediaResult =
  | { ok: true; codec: G711; dtmf: boolean; keys: SdesKeys | null; media: string }
  | { ok: false; reason: string };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function local(rtp: RtpSession) {
  // The o= session id must be unique per session; the local port and the clock make it so.
  return {
    address: rtp.local.address,
    port: rtp.local.port,
    sessionId: Date.now() * 100 + (rtp.local.port % 100),
    version: 1,
  };
}

/** How the call's media reads in the call log and a wake-up's history: `srtp <suite>` or `rtp`. */
export function mediaLabel(keys: SdesKeys | null): string {
  return keys ? `srtp ${keys.suite}` : "rtp";
}

function keyRtp(rtp: RtpSession, keys: SdesKeys | null): void {
  if (!keys) return;
  // The SDES suite names are the SRTP context's (sip/sdp/crypto.ts keeps the two tables alike).
  rtp.setSrtp({
    suite: keys.suite as SrtpSuite,
    local: keys.local.key.bytes,
    remote: keys.remote.bytes,
    rtcpMux: keys.rtcpMux,
  });
}

/** Our offer (PCMU, PCMA, telephone-event) for the session's port, and the crypto lines it carries. */
export function offerFor(
  rtp: RtpSession,
  policy: SrtpPolicy = "off",
): { sdp: Uint8Array; crypto: LocalCrypto[] | null } {
  const o = sdesOffer(policy);
  const attributes = o.crypto ? cryptoAttributes(o.crypto) : [];
  return { sdp: encoder.encode(formatSdp(buildOffer(local(rtp), o.proto, attributes))), crypto: o.crypto };
}

/** Reads the far end's SDP and negotiates the codec over `transports`. */
function take(
  bytes: Uint8Array,
  preferred: readonly G711[],
  transports: readonly RtpTransport[],
  what: "offer" | "answer",
): { ok: true; sdp: Sdp; negotiated: Negotiated } | { ok: false; reason: string; warning: SdpWarning | null } {
  const parsed = parseSdp(decoder.decode(bytes));
  if (!parsed.ok) return { ok: false, reason: `unreadable SDP ${what}: ${parsed.reason}`, warning: null };
  const n = negotiate(parsed.sdp, { preferred, transports });
  if (!n.ok) return n;
  return { ok: true, sdp: parsed.sdp, negotiated: n };
}

/** Points the RTP session at the negotiated stream; false (with why) if the address cannot be reached. */
function point(rtp: RtpSession, n: Negotiated): string | null {
  try {
    rtp.setRemote({
      address: n.remote.address,
      port: n.hold ? 0 : n.remote.port,
      codec: n.codec.name,
      payloadType: n.codec.pt,
      dtmfPayloadType: n.dtmf?.pt ?? null,
    });
    return null;
  } catch (err) {
    return errorMessage(err);
  }
}

/**
 * Reads the far end's answer to our offer (whose crypto lines were `ours`) and points the RTP
 * session at it. A wrong SRTP answer fails the call: the caller hangs up (ACK, then BYE).
 */
export function applyAnswer(
  rtp: RtpSession,
  answer: Uint8Array,
  preferred: readonly G711[],
  ours: readonly LocalCrypto[] | null = null,
  policy: SrtpPolicy = "off",
): MediaResult {
  if (answer.length === 0) return { ok: false, reason: "the 200 OK carries no SDP answer" };
  const r = take(answer, preferred, sdesTransports(policy, "answer"), "answer");
  if (!r.ok) return r;
  const crypto = sdesAnswer(ours, r.sdp.media[r.negotiated.mediaIndex] as Sdp["media"][number]);
  if (!crypto.ok) return crypto;
  const unreachable = point(rtp, r.negotiated);
  if (unreachable) return { ok: false, reason: unreachable };
  keyRtp(rtp, crypto.keys);
  const n = r.negotiated;
  return { ok: true, codec: n.codec.name, dtmf: n.dtmf !== null, keys: crypto.keys, media: mediaLabel(crypto.keys) };
}

export type AnswerOfferResult =
  | { ok: true; sdp: Uint8Array; codec: G711; keys: SdesKeys | null; media: string }
  | { ok: false; reason: string; warning: SdpWarning | null };

/** Our answer to an inbound offer, with the RTP session pointed at the caller; or why not (→ 488). */
export function answerOffer(
  rtp: RtpSession,
  offer: Uint8Array,
  preferred: readonly G711[],
  policy: SrtpPolicy = "off",
): AnswerOfferResult {
  if (offer.length === 0) {
    // Callers send our own offer instead (late offer, sip-inbound.ts); this is only a guard.
    return { ok: false, reason: "no SDP offer to answer", warning: null };
  }
  const r = take(offer, preferred, sdesTransports(policy, "offer"), "offer");
  if (!r.ok) return r;
  const n = r.negotiated;
  const crypto = sdesAnswerOffer(policy, r.sdp.media[n.mediaIndex] as Sdp["media"][number]);
  if (!crypto.ok) return crypto;
  const unreachable = point(rtp, n);
  if (unreachable) return { ok: false, reason: unreachable, warning: null };
  keyRtp(rtp, crypto.keys);
  const sdp = encoder.encode(formatSdp(buildAnswer(r.sdp, n, local(rtp), crypto.attributes)));
  return { ok: true, sdp, codec: n.codec.name, keys: crypto.keys, media: mediaLabel(crypto.keys) };
}

/**
 * Re-INVITEs of an established call: the call answers them with our unchanged SDP, so an offer that
 * does not fit it is refused (488 + Warning) and the call goes on as it was; one that fits and
 * carries a new remote key re-keys the receive side.
 */
export function guardReoffers(call: SipCall, rtp: RtpSession, policy: SrtpPolicy, keys: SdesKeys | null): void {
  let current = keys;
  call.onReoffer = (body) => {
    const parsed = parseSdp(decoder.decode(body));
    if (!parsed.ok) return { ok: false, warning: null, reason: `unreadable SDP re-offer: ${parsed.reason}` };
    const audio = parsed.sdp.media.find((m) => m.type.toLowerCase() === "audio" && m.port !== 0);
    // Hold (port 0, no audio) changes nothing in what we send today: accept it as before.
    if (!audio) return { ok: true };
    const r = sdesReoffer(policy, current, audio);
    if (!r.ok) return r;
    current = r.keys;
    keyRtp(rtp, current);
    return { ok: true };
  };
}
