/**
 * @module sip/transaction/client
 * What the TU sees of a client transaction, INVITE or not.
 */
import type { SipRequest, SipResponse } from "../message/message.ts";
import type { ClientInviteState, ClientNonInviteState, Target } from "./types.ts";

export interface ClientTransactionEvents {
  /** A 1xx. */
  onProvisional?: (resp: SipResponse) => void;
  /** The final response, exactly once (the first; retransmissions are absorbed). */
  onFinal?: (resp: SipResponse) => void;
  /**
   * INVITE only, in Accepted (RFC 6026): a further 2xx, a retransmission or one from another fork;
   * the TU ACKs it (the transaction never ACKs a 2xx).
   */
  onRetransmitted2xx?: (resp: SipResponse) => void;
  /** Timer B (INVITE) or F (non-INVITE) fired without a final response. */
  onTimeout?: () => void;
  /** The send rejected; the transaction is terminated. */
  onTransportError?: (error: Error) => void;
  /** The transaction ended, whatever the reason. */
  onTerminated?: () => void;
}

export interface ClientTransaction extends ClientTransactionEvents {
  readonly key: string;
  readonly request: SipRequest;
  readonly target: Target;
  readonly state: ClientInviteState | ClientNonInviteState;
  /**
   * Where the latest response came from; on TCP/TLS its `connectionId` names the connection the
   * server answered on (a registration's flow, RFC 5626).
   */
  readonly responseSource: Target | undefined;
  /** Terminates at once, silently but for `onTerminated` (tests and cleanup; real CANCEL is the TU's). */
  cancel(): void;
}
