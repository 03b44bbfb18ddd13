/**
 * @module sip/ua/calls
 * The calls alive on the ports, by dialog id, so requests inside a dialog (BYE, INFO, re-INVITE)
 * and the ACK of a 2xx we sent reach their call. Unknown dialogs get 481 (RFC 3261 §12.2.2).
 */
import { dialogKey, incomingDialogId } from "../dialog/dialog.ts";
import { buildErrorResponse, type SipRequest } from "../message/index.ts";
import type { ServerTransaction } from "../transaction/server.ts";
import type { SipCall } from "./call.ts";

interface Entry {
  call: SipCall;
  /** Gets the ACK itself: after a late offer (an INVITE without SDP) it carries the answer. */
  onAck?: (ack: SipRequest) => void;
}

export class CallRegistry {
  private readonly byKey = new Map<string, Entry>();

  /** Tracks `call` until it ends; `onAck` receives the ACK of our 2xx (calls we answered). */
  add(call: SipCall, onAck?: (ack: SipRequest) => void): void {
    const key = call.dialog.key;
    this.byKey.set(key, { call, onAck });
    void call.ended.then(() => {
      // Keep absorbing the far end's retransmitted BYE for a moment, answered by the transaction layer.
      if (this.byKey.get(key)?.call === call) this.byKey.delete(key);
    });
  }

  get size(): number {
    return this.byKey.size;
  }

  /** A request with a To tag: its call handles it; true when one did (else it was answered 481). */
  dispatch(tx: ServerTransaction, req: SipRequest): boolean {
    const id = incomingDialogId(req);
    const entry = id ? this.byKey.get(dialogKey(id)) : undefined;
    if (!entry) {
      tx.respond(buildErrorResponse(req, 481, "Call/Transaction Does Not Exist")).catch(() => {});
      return false;
    }
    entry.call.handleRequest(tx, req);
    return true;
  }

  /** Whether a request with a To tag belongs to a live call (else it is answered 481 statelessly). */
  knows(req: SipRequest): boolean {
    const id = incomingDialogId(req);
    return id !== undefined && this.byKey.has(dialogKey(id));
  }

  /** The ACK of a 2xx; ignored when no call knows it. */
  ack(req: SipRequest): void {
    const id = incomingDialogId(req);
    if (id) this.byKey.get(dialogKey(id))?.onAck?.(req);
  }

  /** Every live call, for shutdown. */
  all(): SipCall[] {
    return [...this.byKey.values()].map((e) => e.call);
  }
}
