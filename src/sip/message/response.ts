/**
 * @module sip/message/response
 * Responses built from a request, or from what the parser could salvage of a malformed one
 * (RFC 3261 §8.2.6: Via, From, To, Call-ID and CSeq copied; a To tag added when missing).
 */

import { oneLine } from "./chars.ts";
import { Headers } from "./headers.ts";
import { SipRequest, SipResponse } from "./message.ts";
import { parseNameAddr } from "./name-addr.ts";
import type { AnswerableRequest } from "./parse.ts";
import { SipParseError } from "./types.ts";

/** A random To tag (48 bits, hex). */
export function newTag(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

const SALT = crypto.getRandomValues(new Uint32Array(1))[0];

/**
 * A To tag that is the same for every retransmission of `request` (RFC 3261 §8.2.7: a stateless
 * UAS must answer a retransmission with the tag it gave the first time): two FNV-1a hashes of the
 * Call-ID, From tag, CSeq number and top Via branch, salted per process. Built from the raw header
 * values, so it never throws.
 */
export function stableTag(request: SipRequest): string {
  const h = request.headers;
  const key = `${h.get("Call-ID") ?? ""}|${h.get("From") ?? ""}|${h.get("CSeq") ?? ""}|${h.get("Via") ?? ""}`;
  let a = 0x811c9dc5 ^ SALT;
  let b = 0x01000193 ^ SALT;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x000193b1);
  }
  return (a >>> 0).toString(16).padStart(8, "0") + (b >>> 0).toString(16).padStart(8, "0");
}

function withTag(to: string, tag: string): string {
  try {
    return parseNameAddr(to, "To").tag === undefined ? `${to};tag=${tag}` : to;
  } catch (err) {
    if (err instanceof SipParseError) return to; // copied as received: nothing better to do
    throw err;
  }
}

/**
 * A response to `request` (parsed, or salvaged by parseMessage as `canAnswer400`) with the headers
 * §8.2.6 requires. `toTag` defaults to a random tag when the To has none.
 */
export function buildErrorResponse(
  request: SipRequest | AnswerableRequest,
  status: number,
  reason: string,
  opts: { toTag?: string } = {},
): SipResponse {
  const headers = new Headers();
  const raw = request instanceof SipRequest;
  const via = raw ? request.headers.getAll("Via") : request.via;
  const from = raw ? request.headers.get("From") : request.from;
  const to = raw ? request.headers.get("To") : request.to;
  const callId = raw ? request.headers.get("Call-ID") : request.callId;
  const cseq = raw ? request.headers.get("CSeq") : request.cseq;
  for (const v of via) headers.append("Via", v);
  if (from !== undefined) headers.append("From", from);
  if (to !== undefined) headers.append("To", status === 100 ? to : withTag(to, opts.toTag ?? newTag()));
  if (callId !== undefined) headers.append("Call-ID", callId);
  if (cseq !== undefined) headers.append("CSeq", cseq);
  return new SipResponse(status, oneLine(reason), headers);
}
