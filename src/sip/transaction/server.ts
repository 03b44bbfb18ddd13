/**
 * @module sip/transaction/server
 * What the TU sees of a server transaction, INVITE or not.
 *
 * Responses go back symmetrically: to the source address and port the request came from, on its
 * connection for TCP/TLS. §18.2.2 would send a UDP response to the `received` address and the Via
 * sent-by port, which breaks behind NAT; RFC 3581 (rport) sends to the source port instead, and that
 * is what Kamailio and the phones expect, whether or not they asked with `;rport`.
 */
import type { SipRequest, SipResponse } from "../message/message.ts";
import type { ServerInviteState, ServerNonInviteState, Target } from "./types.ts";

export interface ServerTransactionEvents {
  /** INVITE only: Timer H fired without an ACK for the non-2xx final (the transaction is terminated). */
  onAckTimeout?: () => void;
  /** A send rejected; the transaction is terminated. */
  onTransportError?: (error: Error) => void;
  /** The transaction ended, whatever the reason. */
  onTerminated?: () => void;
}

export interface ServerTransaction extends ServerTransactionEvents {
  readonly key: string;
  readonly request: SipRequest;
  /** Where the request came from; every response goes there. */
  readonly source: Target;
  readonly state: ServerInviteState | ServerNonInviteState;
  /** The last response handed to `respond` (or the automatic 100 Trying). */
  readonly lastResponse: SipResponse | undefined;
  /**
   * Sends a 1xx or final response. Rejects when the state does not allow it (a second final, a 1xx
   * after the final; a 2xx again is allowed while an INVITE is Accepted: the TU's own 2xx
   * retransmissions, RFC 6026) or when the send fails (then `onTransportError` fires as well).
   */
  respond(resp: SipResponse): Promise<void>;
}

export class TransactionStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TransactionStateError";
  }
}
