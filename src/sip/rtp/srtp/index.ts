/**
 * @module sip/rtp/srtp
 * SRTP and SRTCP (RFC 3711, RFC 6188 AES-256, RFC 7714 AES-GCM) on node:crypto. A call keys one
 * `SrtpContext` with its own SDES key for sending and one with the peer's for receiving; see
 * sip/sdp/crypto.ts for the keys and context.ts for the packet rules.
 */
export {
  estimateIndex,
  isRtcpPacket,
  SrtpContext,
  type SrtpContextOptions,
  type SrtpCounters,
  type UnprotectFailure,
  type UnprotectResult,
} from "./context.ts";
export { DEFAULT_REPLAY_WINDOW } from "./replay.ts";
export { isSrtpSuite, SRTP_SUITES, type SrtpSuite, type SrtpSuiteInfo } from "./suites.ts";
