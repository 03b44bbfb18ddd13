/**
 * @module sip/sdp
 * SDP (RFC 4566) parse and format, and the offer/answer (RFC 3264) for G.711 audio with RFC 4733
 * telephone-event. Imports nothing outside this folder.
 */
export {
  cryptoValues,
  type LocalCrypto,
  maskSdpKeys,
  type SdesKey,
  type SdesSuite,
} from "./crypto.ts";
export { formatSdp } from "./format.ts";
export {
  buildAnswer,
  buildOffer,
  type G711,
  type LocalMedia,
  type Negotiated,
  type NegotiateOptions,
  type NegotiateResult,
  negotiate,
  PTIME,
  type RtpTransport,
  type SdpWarning,
  TELEPHONE_EVENT_PT,
  TELEPHONE_EVENTS,
} from "./offer.ts";
export { isRtp, parseSdp } from "./parse.ts";
export {
  type SdesKeys,
  type SdesRefusal,
  type SrtpPolicy,
  sdesAnswer,
  sdesAnswerOffer,
  sdesOffer,
  sdesReoffer,
  sdesTransports,
  WARNING_TEXT,
  warningValue,
} from "./sdes.ts";
export type * from "./types.ts";
