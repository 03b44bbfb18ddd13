/**
 * @module ivr/call-media
 * The SDP side of a call's media: our offer for a wake-up call, the codec and telephone-event taken
 * from the far end's answer, and our answer to an inbound offer. Whatever the far end's SDP, the RTP
 * session learns where to send and in which codec through `setRemote`.
 */
import { errorMessage } from "../lib/errors.ts";
import type { RtpSession } from "../sip/rtp/session.ts";
import {
  buildAnswer,
  buildOffer,
  formatSdp,
  type G711,
  type Negotiated,
  negotiate,
  parseSdp,
  type Sdp,
} from "../sip/sdp/index.ts";

export type MediaResult = { ok: true; codec: G711; dtmf: boolean } | { ok: false; reason: string };

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

/** Our offer (PCMU, PCMA, telephone-event) for the session's port. */
export function offerFor(rtp: RtpSession): Uint8Array {
  return encoder.encode(formatSdp(buildOffer(local(rtp))));
}

/** Reads the far end's SDP and points the RTP session at the stream negotiated from it. */
function take(
  rtp: RtpSession,
  bytes: Uint8Array,
  preferred: readonly G711[],
  what: "offer" | "answer",
): { ok: true; sdp: Sdp; negotiated: Negotiated } | { ok: false; reason: string } {
  const parsed = parseSdp(decoder.decode(bytes));
  if (!parsed.ok) return { ok: false, reason: `unreadable SDP ${what}: ${parsed.reason}` };
  const n = negotiate(parsed.sdp, { preferred });
  if (!n.ok) return { ok: false, reason: n.reason };
  try {
    rtp.setRemote({
      address: n.remote.address,
      port: n.hold ? 0 : n.remote.port,
      codec: n.codec.name,
      payloadType: n.codec.pt,
      dtmfPayloadType: n.dtmf?.pt ?? null,
    });
  } catch (err) {
    return { ok: false, reason: errorMessage(err) };
  }
  return { ok: true, sdp: parsed.sdp, negotiated: n };
}

/** Reads the far end's answer to our offer and points the RTP session at it. */
export function applyAnswer(rtp: RtpSession, answer: Uint8Array, preferred: readonly G711[]): MediaResult {
  if (answer.length === 0) return { ok: false, reason: "the 200 OK carries no SDP answer" };
  const r = take(rtp, answer, preferred, "answer");
  if (!r.ok) return r;
  return { ok: true, codec: r.negotiated.codec.name, dtmf: r.negotiated.dtmf !== null };
}

/** Our answer to an inbound offer, with the RTP session pointed at the caller; or why not (→ 488). */
export function answerOffer(
  rtp: RtpSession,
  offer: Uint8Array,
  preferred: readonly G711[],
): { ok: true; sdp: Uint8Array; codec: G711 } | { ok: false; reason: string } {
  if (offer.length === 0) return { ok: false, reason: "no SDP offer in the INVITE (late offer is not supported)" };
  const r = take(rtp, offer, preferred, "offer");
  if (!r.ok) return r;
  const sdp = encoder.encode(formatSdp(buildAnswer(r.sdp, r.negotiated, local(rtp))));
  return { ok: true, sdp, codec: r.negotiated.codec.name };
}
