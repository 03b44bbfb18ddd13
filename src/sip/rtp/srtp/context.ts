/**
 * @module sip/rtp/srtp/context
 * One direction's SRTP and SRTCP crypto context (RFC 3711; AES-256 per RFC 6188; AES-GCM per RFC
 * 7714), keyed by one master key ‖ salt as SDES carries it. A call holds two: one keyed by our own
 * `a=crypto` key for what we send (`protectRtp`, `protectRtcp`), one keyed by the peer's for what
 * arrives (`unprotectRtp`, `unprotectRtcp`).
 *
 * Per SSRC it keeps the RTP index (ROC ‖ SEQ, estimated as in RFC 3711 Appendix A) with a replay
 * window, and the SRTCP index with its own window. Receive order is: replay check, then the tag,
 * then (only if the tag verified) ROC, highest index and window are committed, so a forged or
 * replayed packet leaves no trace but a counter. Unprotect never throws on what a peer sends: it
 * returns the plain packet or a reason. Protect throws only on a packet we built wrong.
 *
 * Keys live in private fields; `toJSON` and inspect show the suite and counters only.
 */

import { type CipherGCMTypes, createCipheriv, createDecipheriv, timingSafeEqual } from "node:crypto";
import { denoInspect, nodeInspect } from "../../../lib/inspect.ts";
import { AesCmHmac } from "./cm.ts";
import { deriveSessionKeys, gcmIv, type SessionKeys } from "./kdf.ts";
import { DEFAULT_REPLAY_WINDOW, ReplayWindow } from "./replay.ts";
import { SRTP_SUITES, type SrtpSuite, type SrtpSuiteInfo } from "./suites.ts";

export type UnprotectFailure = "auth" | "replay" | "short" | "not-rtp";
export type UnprotectResult = { ok: true; packet: Uint8Array } | { ok: false; reason: UnprotectFailure };

export interface SrtpCounters {
  protectedRtp: number;
  protectedRtcp: number;
  unprotectedRtp: number;
  unprotectedRtcp: number;
  dropped: Record<UnprotectFailure, number>;
}

export interface SrtpContextOptions {
  /** Replay window, packets: a multiple of 32, at least 64. Default 128 (2.56 s at 20 ms). */
  replayWindow?: number;
  /** SSRCs tracked per direction and protocol; the oldest is forgotten past this. Default 8. */
  maxStreams?: number;
}

/** RFC 5761 §4: a second octet of 192–223 is RTCP (SR 200, RR 201, SDES, BYE, APP, RTPFB, PSFB …). */
export function isRtcpPacket(p: Uint8Array): boolean {
  return p.length >= 2 && p[1] >= 192 && p[1] <= 223;
}

const HMAC_SHA1_TAG = 10;
const GCM_TAG = 16;
const SRTCP_TRAILER = 4;
const SRTCP_E = 0x8000_0000;
const MAX_SRTCP_INDEX = 0x7fff_ffff;

interface RtcpRxStream {
  window: ReplayWindow;
  /** The SRTCP tag length this SSRC authenticated with (10, or 4 from baresip's _32), once known. */
  tagLength: number;
}

export class SrtpContext {
  readonly suite: SrtpSuite;
  readonly #info: SrtpSuiteInfo;
  readonly #rtp: SessionKeys;
  readonly #rtcp: SessionKeys;
  /** AES-CM + HMAC-SHA1 engines for RTP and RTCP; null for the GCM suites. */
  readonly #rtpCm: AesCmHmac | null;
  readonly #rtcpCm: AesCmHmac | null;
  readonly #gcm: CipherGCMTypes;
  readonly #windowSize: number;
  readonly #maxStreams: number;
  /** Per SSRC: what we received (highest authenticated index in the window) and sent. */
  readonly #rtpRx = new Map<number, ReplayWindow>();
  readonly #rtpTx = new Map<number, number>();
  readonly #rtcpRx = new Map<number, RtcpRxStream>();
  readonly #rtcpTx = new Map<number, number>();
  readonly #counters: SrtpCounters = {
    protectedRtp: 0,
    protectedRtcp: 0,
    unprotectedRtp: 0,
    unprotectedRtcp: 0,
    dropped: { auth: 0, replay: 0, short: 0, "not-rtp": 0 },
  };

  /** `keySalt`: master key ‖ master salt, as in SDES `inline:` (30, 46, 28 or 44 octets by suite). */
  constructor(suite: SrtpSuite, keySalt: Uint8Array, options: SrtpContextOptions = {}) {
    const info = SRTP_SUITES[suite];
    if (!info) throw new RangeError(`SRTP: unknown suite ${String(suite).slice(0, 40)}`);
    // The message names lengths only: never the key.
    if (keySalt.length !== info.keyLength + info.saltLength) {
      throw new RangeError(
        `SRTP ${suite}: key ‖ salt is ${keySalt.length} octets, needs ${info.keyLength + info.saltLength}`,
      );
    }
    this.suite = suite;
    this.#info = info;
    const keys = deriveSessionKeys(suite, keySalt.subarray(0, info.keyLength), keySalt.subarray(info.keyLength));
    this.#rtp = keys.rtp;
    this.#rtcp = keys.rtcp;
    this.#rtpCm = info.aead ? null : new AesCmHmac(keys.rtp);
    this.#rtcpCm = info.aead ? null : new AesCmHmac(keys.rtcp);
    this.#gcm = info.keyLength === 32 ? "aes-256-gcm" : "aes-128-gcm";
    this.#windowSize = options.replayWindow ?? DEFAULT_REPLAY_WINDOW;
    new ReplayWindow(this.#windowSize); // validates the size now rather than at the first packet
    this.#maxStreams = Math.max(1, options.maxStreams ?? 8);
  }

  /** A snapshot of the counters. */
  get counters(): SrtpCounters {
    return { ...this.#counters, dropped: { ...this.#counters.dropped } };
  }

  /**
   * SRTP from an RTP packet we built: written into `out` when it is the right length (a sender
   * reusing one buffer for a stream of equal frames makes no garbage), else into a new array.
   */
  protectRtp(rtp: Uint8Array, out?: Uint8Array): Uint8Array {
    const hl = rtpHeaderLength(rtp);
    if (hl < 0 || (rtp[0] & 0xc0) !== 0x80) throw new RangeError("SRTP protect: not an RTP packet");
    const ssrc = u32(rtp, 8);
    const top = this.#rtpTx.get(ssrc) ?? -1;
    const index = estimateIndex(u16(rtp, 2), top);
    // Only a sequence number more than 2^15 behind the first one sent lands here: our sender never does.
    if (index < 0) throw new RangeError("SRTP protect: sequence number before the stream's start");
    if (index > top) remember(this.#rtpTx, ssrc, index, this.#maxStreams);
    const len = rtp.length;
    const size = len + (this.#info.aead ? GCM_TAG : this.#info.rtpTagLength);
    if (out?.length !== size) out = new Uint8Array(size);
    if (this.#info.aead) {
      const c = createCipheriv(this.#gcm, this.#rtp.key, gcmIv(this.#rtp.salt, ssrc, index));
      c.setAAD(rtp.subarray(0, hl));
      out.set(rtp.subarray(0, hl));
      out.set(c.update(rtp.subarray(hl)), hl);
      c.final();
      out.set(c.getAuthTag(), len);
    } else {
      const cm = this.#rtpCm as AesCmHmac;
      const tagLength = this.#info.rtpTagLength;
      out.set(rtp);
      cm.xor(ssrc, index, out, hl, len);
      copyInto(out, len, cm.tag(out, len, rocOf(index)), tagLength);
    }
    this.#counters.protectedRtp++;
    return out;
  }

  /** The RTP packet inside an SRTP one, or why it was dropped. */
  unprotectRtp(srtp: Uint8Array): UnprotectResult {
    const len = srtp.length;
    if (len > 0 && (srtp[0] & 0xc0) !== 0x80) return this.#drop("not-rtp"); // STUN, ZRTP, garbage
    if (len < 12) return this.#drop("short");
    if (isRtcpPacket(srtp)) return this.#drop("not-rtp");
    const tagLength = this.#info.rtpTagLength;
    const hl = rtpHeaderLength(srtp);
    if (hl < 0 || hl + tagLength > len) return this.#drop("short");
    const ssrc = u32(srtp, 8);
    const window = this.#rtpRx.get(ssrc);
    const index = estimateIndex(u16(srtp, 2), window?.top ?? -1);
    if (index < 0 || (window && !window.accepts(index))) return this.#drop("replay");
    const end = len - tagLength;
    let out: Uint8Array;
    if (this.#info.aead) {
      const d = createDecipheriv(this.#gcm, this.#rtp.key, gcmIv(this.#rtp.salt, ssrc, index));
      d.setAAD(srtp.subarray(0, hl));
      d.setAuthTag(srtp.subarray(end));
      out = new Uint8Array(end);
      out.set(srtp.subarray(0, hl));
      out.set(d.update(srtp.subarray(hl, end)), hl);
      if (!gcmFinal(d)) return this.#drop("auth");
    } else {
      const cm = this.#rtpCm as AesCmHmac;
      if (!sameTag(cm.tag(srtp, end, rocOf(index)), srtp, end, tagLength)) return this.#drop("auth");
      out = new Uint8Array(end);
      out.set(srtp.subarray(0, end));
      cm.xor(ssrc, index, out, hl, end);
    }
    // Authenticated: only now may ROC, highest index and window move.
    if (window) window.commit(index);
    else remember(this.#rtpRx, ssrc, this.#newWindow(index), this.#maxStreams);
    this.#counters.unprotectedRtp++;
    return { ok: true, packet: out };
  }

  /** SRTCP from an RTCP compound packet we built: encrypted past the sender SSRC, E=1, 80-bit (or GCM) tag. */
  protectRtcp(rtcp: Uint8Array): Uint8Array {
    if (rtcp.length < 8 || (rtcp[0] & 0xc0) !== 0x80) throw new RangeError("SRTCP protect: not an RTCP packet");
    const ssrc = u32(rtcp, 4);
    // libsrtp's first SRTCP index is 1 (RFC 3711 says 0; receivers only window it). We match libsrtp
    // so the reference vector reproduces byte for byte.
    const index = (this.#rtcpTx.get(ssrc) ?? 0) + 1;
    // 2^31 packets per master key (RFC 3711 §9.2): at one report per 5 s, 340 years.
    if (index > MAX_SRTCP_INDEX) throw new RangeError("SRTCP protect: index exhausted, the call needs a new key");
    remember(this.#rtcpTx, ssrc, index, this.#maxStreams);
    const len = rtcp.length;
    const word = (SRTCP_E | index) >>> 0;
    let out: Uint8Array;
    if (this.#info.aead) {
      const trailer = new Uint8Array(SRTCP_TRAILER);
      new DataView(trailer.buffer).setUint32(0, word);
      const c = createCipheriv(this.#gcm, this.#rtcp.key, gcmIv(this.#rtcp.salt, ssrc, index));
      c.setAAD(concat(rtcp.subarray(0, 8), trailer));
      out = new Uint8Array(len + GCM_TAG + SRTCP_TRAILER);
      out.set(rtcp.subarray(0, 8));
      out.set(c.update(rtcp.subarray(8)), 8);
      c.final();
      out.set(c.getAuthTag(), len);
      out.set(trailer, len + GCM_TAG);
    } else {
      const cm = this.#rtcpCm as AesCmHmac;
      out = new Uint8Array(len + SRTCP_TRAILER + HMAC_SHA1_TAG);
      out.set(rtcp);
      cm.xor(ssrc, index, out, 8, len);
      new DataView(out.buffer, out.byteOffset, out.byteLength).setUint32(len, word);
      copyInto(out, len + SRTCP_TRAILER, cm.tag(out, len + SRTCP_TRAILER, null), HMAC_SHA1_TAG);
    }
    this.#counters.protectedRtcp++;
    return out;
  }

  /** The RTCP compound packet inside an SRTCP one, or why it was dropped. */
  unprotectRtcp(srtcp: Uint8Array): UnprotectResult {
    const len = srtcp.length;
    if (len > 0 && (srtcp[0] & 0xc0) !== 0x80) return this.#drop("not-rtp");
    if (len < 8) return this.#drop("short");
    if (!isRtcpPacket(srtcp)) return this.#drop("not-rtp");
    const ssrc = u32(srtcp, 4);
    const stream = this.#rtcpRx.get(ssrc);
    // Which tag lengths to try: the one this SSRC used before, else 80 bits and, for the _32 suites,
    // 32 bits too (baresip 1.0 truncates its SRTCP tag like its SRTP one).
    const tagLengths = this.#info.aead
      ? [GCM_TAG]
      : stream
        ? [stream.tagLength]
        : this.#info.rtpTagLength === 4
          ? [HMAC_SHA1_TAG, 4]
          : [HMAC_SHA1_TAG];
    let reason: UnprotectFailure = "short";
    for (const tagLength of tagLengths) {
      // HMAC suites: data ‖ E‖index ‖ tag. GCM (RFC 7714 §9.1): data ‖ tag ‖ E‖index.
      const dataEnd = len - tagLength - SRTCP_TRAILER;
      if (dataEnd < 8) continue;
      const word = u32(srtcp, this.#info.aead ? len - SRTCP_TRAILER : dataEnd);
      const index = word & MAX_SRTCP_INDEX;
      if (stream && !stream.window.accepts(index)) {
        reason = "replay";
        continue;
      }
      const plain = this.#openRtcp(srtcp, ssrc, dataEnd, index, (word & SRTCP_E) !== 0);
      if (!plain) {
        reason = "auth";
        continue;
      }
      if (stream) stream.window.commit(index);
      else remember(this.#rtcpRx, ssrc, { window: this.#newWindow(index), tagLength }, this.#maxStreams);
      this.#counters.unprotectedRtcp++;
      return { ok: true, packet: plain };
    }
    return this.#drop(reason);
  }

  toJSON(): { suite: SrtpSuite; counters: SrtpCounters } {
    return { suite: this.suite, counters: this.counters };
  }

  [nodeInspect](): string {
    return `SrtpContext ${JSON.stringify(this.toJSON())}`;
  }

  [denoInspect](): string {
    return this[nodeInspect]();
  }

  /** Verifies and decrypts SRTCP whose RTCP data ends at `dataEnd`; null when the tag does not verify. */
  #openRtcp(p: Uint8Array, ssrc: number, dataEnd: number, index: number, e: boolean): Uint8Array | null {
    const out = new Uint8Array(dataEnd);
    out.set(p.subarray(0, 8));
    if (this.#info.aead) {
      const trailer = p.subarray(dataEnd + GCM_TAG);
      const d = createDecipheriv(this.#gcm, this.#rtcp.key, gcmIv(this.#rtcp.salt, ssrc, index));
      d.setAuthTag(p.subarray(dataEnd, dataEnd + GCM_TAG));
      // E=1: AAD is the first 8 octets ‖ E‖index; E=0 leaves all of it clear and in the AAD (§9.2).
      d.setAAD(concat(p.subarray(0, e ? 8 : dataEnd), trailer));
      out.set(e ? d.update(p.subarray(8, dataEnd)) : p.subarray(8, dataEnd), 8);
      return gcmFinal(d) ? out : null;
    }
    const cm = this.#rtcpCm as AesCmHmac;
    const tag = cm.tag(p, dataEnd + SRTCP_TRAILER, null);
    if (!timingSafeEqual(tag.subarray(0, p.length - dataEnd - SRTCP_TRAILER), p.subarray(dataEnd + SRTCP_TRAILER))) {
      return null;
    }
    out.set(p.subarray(8, dataEnd), 8);
    // E=0: the sender left it unencrypted (UNENCRYPTED_SRTCP); still authenticated, so taken as is.
    if (e) cm.xor(ssrc, index, out, 8, dataEnd);
    return out;
  }

  #newWindow(index: number): ReplayWindow {
    const w = new ReplayWindow(this.#windowSize);
    w.commit(index);
    return w;
  }

  #drop(reason: UnprotectFailure): UnprotectResult {
    this.#counters.dropped[reason]++;
    return { ok: false, reason };
  }
}

/**
 * RFC 3711 Appendix A: the index of a packet with sequence `seq`, given the highest authenticated
 * index `top` (-1: none yet, so ROC 0). -1 for a packet from before the stream's first ROC.
 */
export function estimateIndex(seq: number, top: number): number {
  if (top < 0) return seq;
  const roc = Math.floor(top / 0x1_0000);
  const sl = top - roc * 0x1_0000;
  let v = roc;
  if (sl < 0x8000) {
    if (seq - sl > 0x8000) v = roc - 1;
  } else if (sl - 0x8000 > seq) v = roc + 1;
  return v < 0 ? -1 : v * 0x1_0000 + seq;
}

/** Fixed header + CSRCs + header extension (RFC 3550 §5.3.1): what stays in clear. -1 if it overruns. */
function rtpHeaderLength(p: Uint8Array): number {
  if (p.length < 12) return -1;
  let hl = 12 + 4 * (p[0] & 0x0f);
  if (p[0] & 0x10) {
    if (hl + 4 > p.length) return -1;
    hl += 4 + 4 * ((p[hl + 2] << 8) | p[hl + 3]);
  }
  return hl <= p.length ? hl : -1;
}

function rocOf(index: number): number {
  return Math.floor(index / 0x1_0000);
}

function u16(p: Uint8Array, at: number): number {
  return (p[at] << 8) | p[at + 1];
}

function u32(p: Uint8Array, at: number): number {
  return ((p[at] << 24) | (p[at + 1] << 16) | (p[at + 2] << 8) | p[at + 3]) >>> 0;
}

/**
 * Whether `tag` starts with the `n` octets of `p` at `at`, in time independent of where they differ
 * (timingSafeEqual would need two subarrays per packet).
 */
function sameTag(tag: Uint8Array, p: Uint8Array, at: number, n: number): boolean {
  let diff = 0;
  for (let i = 0; i < n; i++) diff |= (tag[i] as number) ^ (p[at + i] as number);
  return diff === 0;
}

/** The first `n` octets of `src` into `out` at `at`, without a subarray. */
function copyInto(out: Uint8Array, at: number, src: Uint8Array, n: number): void {
  for (let i = 0; i < n; i++) out[at + i] = src[i];
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** GCM's final() throws when the tag does not verify: that is peer input, so it becomes `false`. */
function gcmFinal(d: { final(): unknown }): boolean {
  try {
    d.final();
    return true;
  } catch {
    return false;
  }
}

/** Sets `key` in a per-SSRC map, forgetting the oldest SSRC beyond `max` (a peer may change SSRC). */
function remember<V>(map: Map<number, V>, key: number, value: V, max: number): void {
  if (!map.has(key) && map.size >= max) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
  map.set(key, value);
}
