/**
 * @module sip/transaction/key
 * Transaction matching (RFC 3261 §17.1.3, §17.2.3) as string keys of the layer's tables.
 *
 * - Client: the top Via branch plus the CSeq method. A CANCEL or an ACK reusing an INVITE's branch
 *   is therefore a different key, as the RFC wants.
 * - Server, RFC 3261 branch (starts with the magic cookie `z9hG4bK`): branch + sent-by (host
 *   lower-cased, port as written) + method, where an ACK takes the method INVITE so that the ACK of a
 *   non-2xx final finds its INVITE transaction.
 * - Server, RFC 2543 peer (no cookie, or no branch): matched loosely rather than rejected, since a
 *   request we cannot match would only be handed to the TU twice: Request-URI + From tag + Call-ID +
 *   CSeq number + method (ACK → INVITE) + top Via sent-by and branch. The To tag is left out of the
 *   key; for an ACK the layer checks it against the To tag of the response the transaction sent
 *   (§17.2.3), so an ACK of a 2xx still goes to the TU.
 * - We originate only cookie branches (`newBranch`); `TransactionLayer.request` refuses others.
 */
import type { SipRequest, SipResponse } from "../message/message.ts";
import { formatUri } from "../message/uri.ts";

export const MAGIC_COOKIE = "z9hG4bK";

/** A fresh RFC 3261 branch: the magic cookie and 96 random bits. */
export function newBranch(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  let out = MAGIC_COOKIE;
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

export function isRfc3261Branch(branch: string | undefined): branch is string {
  return branch?.startsWith(MAGIC_COOKIE) === true && branch.length > MAGIC_COOKIE.length;
}

/** Key of the client transaction a request creates, or undefined when its top Via has no RFC 3261 branch. */
export function clientKeyOfRequest(req: SipRequest): string | undefined {
  const branch = req.topVia?.branch;
  return isRfc3261Branch(branch) ? clientKey(branch, req.cseq.method) : undefined;
}

/** Key of the client transaction a response belongs to (§17.1.3), if it can have one. */
export function clientKeyOfResponse(resp: SipResponse): string | undefined {
  const branch = resp.topVia?.branch;
  return isRfc3261Branch(branch) ? clientKey(branch, resp.cseq.method) : undefined;
}

function clientKey(branch: string, method: string): string {
  return `c ${branch} ${method}`;
}

export interface ServerKey {
  key: string;
  /** True when the request has no RFC 3261 branch and was keyed by the RFC 2543 rules. */
  legacy: boolean;
}

/**
 * Key of the server transaction a request belongs to (§17.2.3); an ACK yields its INVITE's key.
 * Undefined for a request without a Via (nothing can be answered). `asMethod` keys the request as if
 * it had that method (a CANCEL looking for its INVITE).
 */
export function serverKey(req: SipRequest, asMethod?: string): ServerKey | undefined {
  const via = req.topVia;
  if (!via) return undefined;
  const method = asMethod ?? (req.method === "ACK" ? "INVITE" : req.method);
  const sentBy = `${via.host.toLowerCase()}:${via.port ?? ""}`;
  if (isRfc3261Branch(via.branch)) return { key: `s ${via.branch} ${sentBy} ${method}`, legacy: false };
  const parts = [formatUri(req.uri), req.from.tag ?? "", req.callId, String(req.cseq.seq), method, sentBy];
  return { key: `l ${parts.join(" ")} ${via.branch ?? ""}`, legacy: true };
}
