/**
 * @module sip/transaction/server-non-invite
 * The non-INVITE server transaction (RFC 3261 §17.2.2, Figure 8).
 *
 *   Trying ──1xx from TU──▶ Proceeding ──200-699 from TU──▶ Completed ──Timer J──▶ Terminated
 *   Trying ──200-699 from TU──▶ Completed;  any ──transport error──▶ Terminated
 *
 * A retransmitted request is absorbed while Trying, answered with the last provisional while
 * Proceeding and with the final while Completed. Timer J is 64·T1 on UDP, 0 reliable.
 */
import type { SipRequest, SipResponse } from "../message/message.ts";
import { type ServerTransaction, TransactionStateError } from "./server.ts";
import { type CommonInput, Transaction, type TransactionContext } from "./transaction.ts";
import type { ServerNonInviteState, Target } from "./types.ts";

type Input =
  | { kind: "request" }
  | { kind: "1xx"; resp: SipResponse }
  | { kind: "200-699"; resp: SipResponse }
  | { kind: "timer_j" };

export class ServerNonInviteTransaction extends Transaction<ServerNonInviteState, Input> implements ServerTransaction {
  private last: SipResponse | undefined;
  /** What the current `respond` call sent, for its promise. */
  private sent: Promise<void> | undefined;

  constructor(
    key: string,
    readonly request: SipRequest,
    readonly source: Target,
    ctx: TransactionContext,
  ) {
    super(key, source, "trying", ctx);
  }

  get lastResponse(): SipResponse | undefined {
    return this.last;
  }

  respond(resp: SipResponse): Promise<void> {
    if (resp.status < 100 || resp.status > 699) return Promise.reject(new RangeError(`bad status ${resp.status}`));
    if (this.current === "completed" || this.current === "terminated") {
      return Promise.reject(new TransactionStateError(`cannot send ${resp.status}: transaction ${this.current}`));
    }
    this.sent = undefined;
    this.spin(resp.status < 200 ? { kind: "1xx", resp } : { kind: "200-699", resp });
    return this.sent ?? Promise.resolve();
  }

  /** The same request again (a retransmission). */
  receive(_req: SipRequest): void {
    this.spin({ kind: "request" });
  }

  protected spin(input: Input | CommonInput): void {
    if (this.common(input)) return;
    const i = input as Input;
    switch (this.current) {
      case "trying":
        this.stateTrying(i);
        return;
      case "proceeding":
        this.stateProceeding(i);
        return;
      case "completed":
        this.stateCompleted(i);
        return;
      case "terminated":
        return;
    }
  }

  private stateTrying(input: Input): void {
    switch (input.kind) {
      case "1xx":
        this.current = "proceeding";
        this.send(input.resp);
        return;
      case "200-699":
        this.complete(input.resp);
        return;
      // A retransmission before any response: absorbed.
    }
  }

  private stateProceeding(input: Input): void {
    switch (input.kind) {
      case "request":
        if (this.last) void this.transmit(this.last);
        return;
      case "1xx":
        this.send(input.resp);
        return;
      case "200-699":
        this.complete(input.resp);
        return;
    }
  }

  private stateCompleted(input: Input): void {
    switch (input.kind) {
      case "request":
        if (this.last) void this.transmit(this.last);
        return;
      case "timer_j":
        this.terminate();
        return;
    }
  }

  private complete(resp: SipResponse): void {
    this.current = "completed";
    this.send(resp);
    if (!this.terminated) this.lingerThenTerminate("j", this.timers.j, { kind: "timer_j" });
  }

  private send(resp: SipResponse): void {
    this.last = resp;
    this.sent = this.transmit(resp);
  }
}
