/**
 * @module sip/transaction/types
 * What the transaction layer deals in: where a message goes (`Target`), how it is sent (`SendFn`,
 * supplied by the UA, which serializes and hands the bytes to the transport layer), and the states
 * of the four RFC 3261 §17 state machines (with the RFC 6026 Accepted states).
 */
import type { SipMessage } from "../message/message.ts";
import type { TransportKind } from "../transport/types.ts";

/**
 * Where a message goes, or where a request came from. For TCP/TLS `connectionId` names the
 * connection to answer on (the transport's `Inbound.connectionId`).
 */
export interface Target {
  transport: TransportKind;
  address: string;
  port: number;
  connectionId?: string;
}

/** Sends one message; a rejection is a transport error (§17.1.4, §17.2.4) and ends the transaction. */
export type SendFn = (msg: SipMessage, target: Target) => Promise<void>;

export type ClientInviteState = "calling" | "proceeding" | "completed" | "accepted" | "terminated";
export type ClientNonInviteState = "trying" | "proceeding" | "completed" | "terminated";
export type ServerInviteState = "proceeding" | "completed" | "confirmed" | "accepted" | "terminated";
export type ServerNonInviteState = "trying" | "proceeding" | "completed" | "terminated";

export type TransactionState = ClientInviteState | ClientNonInviteState | ServerInviteState | ServerNonInviteState;

export function isReliable(target: Target): boolean {
  return target.transport !== "udp";
}
