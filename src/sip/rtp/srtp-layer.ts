/**
 * @module sip/rtp/srtp-layer
 * The SRTP transform between an RTP session and its sockets: our packets are protected with our own
 * SDES key, what arrives is authenticated with the peer's. Anything that does not authenticate —
 * a forged or damaged packet, a replay, STUN (linphone's binding requests), a plain RTCP ping
 * (baresip's APP PING before SRTP starts, its BYE after hang-up) — is dropped silently and counted,
 * so the session never latches to, plays out or reads keys from it.
 *
 * Keys are kept only inside the contexts; nothing here logs or exposes them.
 */
import { timingSafeEqual } from "node:crypto";
import { isRtcpPacket, SrtpContext, type SrtpSuite, type UnprotectResult } from "./srtp/index.ts";

/** What keys a call's SRTP: the suite and both master key ‖ salt, from the SDP offer/answer. */
export interface SrtpKeying {
  suite: SrtpSuite;
  /** Our `a=crypto` key: what we send is protected with it. */
  local: Uint8Array;
  /** The peer's `a=crypto` key: what arrives is checked with it. */
  remote: Uint8Array;
  /** RTCP shares the RTP port (RFC 5761): only when the offer asked for `a=rtcp-mux`. */
  rtcpMux: boolean;
}

/** Drops since the call started, across re-keys (the API's port traffic counters read these). */
export interface SrtpStats {
  suite: SrtpSuite;
  srtpAuthFailures: number;
  srtpReplays: number;
  /** Not SRTP at all: too short, STUN, plain RTCP, another protocol. */
  srtpNotSrtp: number;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export class SrtpLayer {
  #tx: SrtpContext;
  #rx: SrtpContext;
  #local: Uint8Array;
  #remote: Uint8Array;
  #rtcpMux: boolean;
  readonly #stats: SrtpStats;
  #out: Uint8Array | undefined;

  constructor(k: SrtpKeying) {
    this.#tx = new SrtpContext(k.suite, k.local);
    this.#rx = new SrtpContext(k.suite, k.remote);
    this.#local = Uint8Array.from(k.local);
    this.#remote = Uint8Array.from(k.remote);
    this.#rtcpMux = k.rtcpMux;
    this.#stats = { suite: k.suite, srtpAuthFailures: 0, srtpReplays: 0, srtpNotSrtp: 0 };
  }

  get suite(): SrtpSuite {
    return this.#tx.suite;
  }

  get rtcpMux(): boolean {
    return this.#rtcpMux;
  }

  /**
   * A re-INVITE's keys. Ours stay (we re-offer the identical line: one peer goes silent on a new
   * key); a peer that changed its key gets a fresh receive context, whose index and replay window
   * start over as RFC 3711 wants for a new master key. Another suite re-keys both directions.
   */
  rekey(k: SrtpKeying): void {
    if (k.suite !== this.#tx.suite || !sameBytes(k.local, this.#local)) {
      this.#tx = new SrtpContext(k.suite, k.local);
      this.#local = Uint8Array.from(k.local);
    }
    if (k.suite !== this.#rx.suite || !sameBytes(k.remote, this.#remote)) {
      this.#rx = new SrtpContext(k.suite, k.remote);
      this.#remote = Uint8Array.from(k.remote);
    }
    this.#stats.suite = k.suite;
    this.#rtcpMux = k.rtcpMux;
  }

  /** The SRTP packet, in a buffer the next call reuses: the media socket is done with it by then. */
  protectRtp(rtp: Uint8Array): Uint8Array {
    this.#out = this.#tx.protectRtp(rtp, this.#out);
    return this.#out;
  }

  protectRtcp(rtcp: Uint8Array): Uint8Array {
    return this.#tx.protectRtcp(rtcp);
  }

  /**
   * A datagram on the RTP port: the plain RTP packet, or null when it is dropped. With rtcp-mux,
   * SRTCP arrives here too: it is authenticated, counted, and also answered null (we only read
   * RTP); without it, RTCP on the RTP port is not SRTP.
   */
  openRtp(msg: Uint8Array): Uint8Array | null {
    if (isRtcpPacket(msg)) {
      if (this.#rtcpMux) this.openRtcp(msg);
      else this.#stats.srtpNotSrtp++;
      return null;
    }
    return this.#count(this.#rx.unprotectRtp(msg));
  }

  /** A datagram on the RTCP port (or muxed): the plain compound RTCP packet, or null when dropped. */
  openRtcp(msg: Uint8Array): Uint8Array | null {
    if (!isRtcpPacket(msg)) {
      this.#stats.srtpNotSrtp++;
      return null;
    }
    return this.#count(this.#rx.unprotectRtcp(msg));
  }

  stats(): SrtpStats {
    return { ...this.#stats };
  }

  toJSON(): SrtpStats {
    return this.stats();
  }

  #count(r: UnprotectResult): Uint8Array | null {
    if (r.ok) return r.packet;
    if (r.reason === "auth") this.#stats.srtpAuthFailures++;
    else if (r.reason === "replay") this.#stats.srtpReplays++;
    else this.#stats.srtpNotSrtp++;
    return null;
  }
}
