/**
 * @module sip/rtp/srtp/suites
 * The SRTP crypto suites we implement, by their SDES names (RFC 4568 §10.3.2.1, RFC 6188 §7.1,
 * RFC 7714 §14.2), with the lengths each one needs. sip/sdp/crypto.ts keeps its own copy of the
 * names and key lengths (that folder imports nothing outside itself); a unit test holds them equal.
 */

export type SrtpSuite =
  | "AEAD_AES_256_GCM"
  | "AES_256_CM_HMAC_SHA1_80"
  | "AEAD_AES_128_GCM"
  | "AES_CM_128_HMAC_SHA1_80"
  | "AES_256_CM_HMAC_SHA1_32"
  | "AES_CM_128_HMAC_SHA1_32";

export interface SrtpSuiteInfo {
  /** AES-CM + HMAC-SHA1 (RFC 3711/6188) or AES-GCM (RFC 7714). */
  aead: boolean;
  /** Master key and session encryption key, octets (16 or 32). */
  keyLength: number;
  /** Master salt and session salt, octets: 14 for AES-CM, 12 for GCM. */
  saltLength: number;
  /** Tag appended to SRTP packets: 10 or 4 (HMAC-SHA1 truncated), 16 (GCM). */
  rtpTagLength: number;
  /**
   * Tag appended to the SRTCP packets we send. Always 80 bits for the HMAC suites, _32 included:
   * libsrtp, libwebrtc and linphone send and expect that (RFC 3711 §3.4 leaves SRTCP's tag to the
   * crypto context; only baresip 1.0 sends 4-byte tags, which we accept on receive).
   */
  rtcpTagLength: number;
}

const cm = (keyLength: number, rtpTagLength: number): SrtpSuiteInfo => ({
  aead: false,
  keyLength,
  saltLength: 14,
  rtpTagLength,
  rtcpTagLength: 10,
});
const gcm = (keyLength: number): SrtpSuiteInfo => ({
  aead: true,
  keyLength,
  saltLength: 12,
  rtpTagLength: 16,
  rtcpTagLength: 16,
});

export const SRTP_SUITES: Readonly<Record<SrtpSuite, Readonly<SrtpSuiteInfo>>> = {
  AEAD_AES_256_GCM: gcm(32),
  AES_256_CM_HMAC_SHA1_80: cm(32, 10),
  AEAD_AES_128_GCM: gcm(16),
  AES_CM_128_HMAC_SHA1_80: cm(16, 10),
  AES_256_CM_HMAC_SHA1_32: cm(32, 4),
  AES_CM_128_HMAC_SHA1_32: cm(16, 4),
};

export function isSrtpSuite(name: string): name is SrtpSuite {
  return Object.hasOwn(SRTP_SUITES, name);
}
