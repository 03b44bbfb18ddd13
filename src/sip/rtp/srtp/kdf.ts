/**
 * @module sip/rtp/srtp/kdf
 * Session keys from a master key and salt (RFC 3711 §4.3 with key_derivation_rate 0: derived once,
 * at r = 0), and the per-packet IVs of AES-CM (RFC 3711 §4.1.1) and AES-GCM (RFC 7714 §8.1, §9.1).
 */
import { createCipheriv } from "node:crypto";
import { SRTP_SUITES, type SrtpSuite } from "./suites.ts";

/** RFC 3711 §4.3.2 key derivation labels. */
export const LABEL = {
  rtpKey: 0x00,
  rtpAuth: 0x01,
  rtpSalt: 0x02,
  rtcpKey: 0x03,
  rtcpAuth: 0x04,
  rtcpSalt: 0x05,
} as const;

/** HMAC-SHA1 session authentication key length (RFC 3711 §4.2.1: 160 bits). */
const AUTH_KEY_LENGTH = 20;

/**
 * The AES-CM PRF: `n` octets of keystream under the master key, from IV = (salt ‖ 00 00) with the
 * label XORed into octet 7 (x = label ‖ r, right-aligned against the 112-bit salt; r = 0 as KDR is 0).
 * A 12-octet GCM salt is zero-padded on the right to 14 (RFC 7714 §11), as the zeroed IV leaves it.
 */
export function prf(masterKey: Uint8Array, masterSalt: Uint8Array, label: number, n: number): Uint8Array {
  const iv = new Uint8Array(16);
  iv.set(masterSalt.subarray(0, 14));
  iv[7] ^= label;
  return new Uint8Array(createCipheriv(`aes-${masterKey.length * 8}-ctr`, masterKey, iv).update(new Uint8Array(n)));
}

/** One direction's keys for one of RTP or RTCP. `auth` is empty for the GCM suites. */
export interface SessionKeys {
  key: Uint8Array;
  salt: Uint8Array;
  auth: Uint8Array;
}

export function deriveSessionKeys(
  suite: SrtpSuite,
  masterKey: Uint8Array,
  masterSalt: Uint8Array,
): { rtp: SessionKeys; rtcp: SessionKeys } {
  const s = SRTP_SUITES[suite];
  const keys = (k: number, a: number, n: number): SessionKeys => ({
    key: prf(masterKey, masterSalt, k, s.keyLength),
    salt: prf(masterKey, masterSalt, n, s.saltLength),
    auth: s.aead ? new Uint8Array(0) : prf(masterKey, masterSalt, a, AUTH_KEY_LENGTH),
  });
  return {
    rtp: keys(LABEL.rtpKey, LABEL.rtpAuth, LABEL.rtpSalt),
    rtcp: keys(LABEL.rtcpKey, LABEL.rtcpAuth, LABEL.rtcpSalt),
  };
}

/**
 * IV for AES-CM: (k_s · 2^16) ⊕ (SSRC · 2^64) ⊕ (i · 2^16), i.e. the 14-octet session salt, SSRC
 * XORed into octets 4–7, the 48-bit index (ROC ‖ SEQ, or the SRTCP index) into octets 8–13.
 */
export function cmIv(salt: Uint8Array, ssrc: number, index: number): Uint8Array {
  return cmIvInto(new Uint8Array(16), salt, ssrc, index);
}

/** `cmIv` written into the first 16 octets of `iv` (a reused buffer), which it returns. */
export function cmIvInto(iv: Uint8Array, salt: Uint8Array, ssrc: number, index: number): Uint8Array {
  iv.set(salt);
  iv[14] = 0;
  iv[15] = 0;
  xorIdentity(iv, 4, ssrc, index);
  return iv;
}

/** IV for GCM: the 12-octet salt ⊕ (00 00 ‖ SSRC ‖ ROC ‖ SEQ), or ⊕ (00 00 ‖ SSRC ‖ 00 00 ‖ index) for SRTCP. */
export function gcmIv(salt: Uint8Array, ssrc: number, index: number): Uint8Array {
  const iv = new Uint8Array(12);
  iv.set(salt);
  xorIdentity(iv, 2, ssrc, index);
  return iv;
}

/** XORs SSRC (32 bits) at `at` and the 48-bit index right after it. Index < 2^48 is exact in a double. */
function xorIdentity(iv: Uint8Array, at: number, ssrc: number, index: number): void {
  const hi = Math.floor(index / 0x1_0000_0000);
  const lo = index >>> 0;
  iv[at] ^= ssrc >>> 24;
  iv[at + 1] ^= ssrc >>> 16;
  iv[at + 2] ^= ssrc >>> 8;
  iv[at + 3] ^= ssrc;
  iv[at + 4] ^= hi >>> 8;
  iv[at + 5] ^= hi;
  iv[at + 6] ^= lo >>> 24;
  iv[at + 7] ^= lo >>> 16;
  iv[at + 8] ^= lo >>> 8;
  iv[at + 9] ^= lo;
}
