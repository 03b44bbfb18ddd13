/**
 * @module sip/transaction/client-non-invite
 * The non-INVITE client transaction (RFC 3261 §17.1.2, Figure 6).
 *
 *   Trying ──1xx──▶ Proceeding ──200-699──▶ Completed ──Timer K──▶ Terminated
 *   Trying ──200-699──▶ Completed;  Trying/Proceeding ──Timer F or transport error──▶ Terminated
 *
 * On UDP Timer E retransmits the request at T1, 2T1, 4T1… capped at T2 while Trying, and every T2
 * once Proceeding. Retransmitted finals in Completed are absorbed. Timer K is T4 on UDP, 0 reliable.
 */
import type { SipRequest, SipResponse } from "../message/message.ts";
import type { ClientTransaction } from "./client.ts";
import { backoff } from "./timers.ts";
import { type CommonInput, Transaction, type TransactionContext } from "./transaction.ts";
import type { ClientNonInviteState, Target } from "./types.ts";

type Input =
  | { kind: "1xx"; resp: SipResponse }
  | { kind: "200-699"; resp: SipResponse }
  | { kind: "timer_e" }
  | { kind: "timer_f" }
  | { kind: "timer_k" };

export class ClientNonInviteTransaction extends Transaction<ClientNonInviteState, Input> implements ClientTransaction {
  onProvisional?: (resp: SipResponse) => void;
  onFinal?: (resp: SipResponse) => void;
  onTimeout?: () => void;
  responseSource: Target | undefined = undefined;
  /** The interval Timer E was last armed with. */
  private intervalE: number;

  constructor(
    key: string,
    readonly request: SipRequest,
    target: Target,
    ctx: TransactionContext,
  ) {
    super(key, target, "trying", ctx);
    this.intervalE = this.timers.e;
  }

  /** Sends the request and arms E (UDP) and F. */
  start(): void {
    if (!this.reliable) this.setTimer("e", this.intervalE, { kind: "timer_e" });
    this.setTimer("f", this.timers.f, { kind: "timer_f" });
    void this.transmit(this.request);
  }

  /** A response matched to this transaction. */
  receive(resp: SipResponse): void {
    this.spin(resp.status < 200 ? { kind: "1xx", resp } : { kind: "200-699", resp });
  }

  cancel(): void {
    this.kill();
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
        this.emit("onProvisional", this.onProvisional, input.resp);
        return;
      case "200-699":
        this.complete(input.resp);
        return;
      case "timer_e":
        this.intervalE = backoff(this.intervalE, this.timers.t2);
        this.setTimer("e", this.intervalE, { kind: "timer_e" });
        void this.transmit(this.request);
        return;
      case "timer_f":
        this.timeout();
        return;
    }
  }

  private stateProceeding(input: Input): void {
    switch (input.kind) {
      case "1xx":
        this.emit("onProvisional", this.onProvisional, input.resp);
        return;
      case "200-699":
        this.complete(input.resp);
        return;
      case "timer_e":
        this.intervalE = this.timers.t2;
        this.setTimer("e", this.intervalE, { kind: "timer_e" });
        void this.transmit(this.request);
        return;
      case "timer_f":
        this.timeout();
        return;
    }
  }

  private stateCompleted(input: Input): void {
    // Retransmitted responses are absorbed; only Timer K matters here.
    if (input.kind === "timer_k") this.terminate();
  }

  private complete(resp: SipResponse): void {
    this.clearTimer("e");
    this.clearTimer("f");
    this.current = "completed";
    this.emit("onFinal", this.onFinal, resp);
    if (!this.terminated) this.lingerThenTerminate("k", this.timers.k, { kind: "timer_k" });
  }

  private timeout(): void {
    this.budget.info("sip-tx-timer-f", "sip transaction: timeout (Timer F)", {
      tx: this.key,
      method: this.request.method,
    });
    this.emit("onTimeout", this.onTimeout);
    this.terminate();
  }
}
