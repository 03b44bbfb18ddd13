/**
 * @module sip/message
 * The SIP message layer (RFC 3261): parse bytes into requests and responses, serialize them back,
 * cut messages out of a stream, and the URI / name-addr / Via / CSeq value types. Imports nothing
 * outside this folder; every other SIP layer builds on it.
 */
export { oneLine, quote, splitList } from "./chars.ts";
export { formatMediaType, parseMediaType } from "./content-type.ts";
export { formatCSeq, parseCSeq } from "./cseq.ts";
export { COMPACT_FORMS, type HeaderField, Headers, headerName, isListHeader } from "./headers.ts";
export { type SipMessage, SipRequest, SipResponse, validateHeaders } from "./message.ts";
export {
  formatNameAddr,
  parseContactList,
  parseNameAddr,
  parseNameAddrList,
} from "./name-addr.ts";
export { parseContentLength, parseExpires, parseMaxForwards } from "./numbers.ts";
export { formatHeaderParams } from "./params.ts";
export {
  type AnswerableRequest,
  DEFAULT_MAX_HEADERS,
  DEFAULT_MAX_MESSAGE_SIZE,
  type ParseOptions,
  type ParseResult,
  parseMessage,
} from "./parse.ts";
export { buildErrorResponse, newTag, stableTag } from "./response.ts";
export { serialize, serializeHead } from "./serialize.ts";
export { type FramerOptions, SipStreamFramer, type StreamEvent } from "./stream.ts";
export {
  type AbsoluteUri,
  type ContactList,
  type CSeq,
  getParam,
  hasParam,
  type MediaType,
  type NameAddr,
  type Param,
  SipParseError,
  type SipUri,
  type TelUri,
  type Uri,
  type ViaHop,
} from "./types.ts";
export { formatHost, formatUri, parseUri, sipUri } from "./uri.ts";
export { formatVia, parseVia, parseViaList } from "./via.ts";
