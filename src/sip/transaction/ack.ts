/**
 * @module sip/transaction/ack
 * The ACK a client INVITE transaction sends for a non-2xx final response (RFC 3261 §17.1.1.3): same
 * Request-URI, Call-ID, From and CSeq number (method ACK) as the INVITE, the To of the response (it
 * carries the tag), only the INVITE's top Via, and the INVITE's Route headers. Max-Forwards, which
 * every request carries (§8.1.1), is copied from the INVITE (70 if it had none). No body.
 */
import { Headers } from "../message/headers.ts";
import { SipRequest, type SipResponse } from "../message/message.ts";
import { formatVia } from "../message/via.ts";

export function buildAck(invite: SipRequest, response: SipResponse): SipRequest {
  const top = invite.topVia;
  if (!top) throw new TypeError("buildAck: the INVITE has no Via");
  const headers = new Headers();
  const firstLine = invite.headers.getAll("Via")[0];
  // A Via line may hold several hops; the ACK gets the top one alone.
  headers.append("Via", firstLine.indexOf(",") < 0 ? firstLine : formatVia(top));
  headers.append("Max-Forwards", invite.headers.get("Max-Forwards") ?? "70");
  for (const route of invite.headers.getAll("Route")) headers.append("Route", route);
  headers.append("From", requireHeader(invite, "From"));
  headers.append("To", requireHeader(response, "To"));
  headers.append("Call-ID", requireHeader(invite, "Call-ID"));
  headers.append("CSeq", `${invite.cseq.seq} ACK`);
  headers.append("Content-Length", "0");
  return new SipRequest("ACK", invite.uri, headers);
}

function requireHeader(msg: SipRequest | SipResponse, name: string): string {
  const v = msg.headers.get(name);
  if (v === undefined) throw new TypeError(`buildAck: no ${name}`);
  return v;
}
