/**
 * @module sip/transaction/client-invite
 * The INVITE client transaction (RFC 3261 §17.1.1, Figure 5, as corrected by RFC 6026 §7.2).
 *
 *   Calling ──1xx──▶ Proceeding ──300-699 / send ACK──▶ Completed ──Timer D──▶ Terminated
 *   Calling/Proceeding ──2xx──▶ Accepted ──Timer M──▶ Terminated
 *   Calling ──Timer B or transport error──▶ Terminated
 *
 * On UDP Timer A retransmits the INVITE at T1, 2T1, 4T1… (no cap) while Calling; a 1xx stops it.
 * Timer B runs in Calling only (a ringing call is the TU's to give up on, with CANCEL). The ACK of a
 * non-2xx final is built and sent here and re-sent for each retransmission of that final. A 2xx goes
 * to the TU, which ACKs it; further 2xx while Accepted go to `onRetransmitted2xx`.
 */
import type { SipRequest, SipResponse } from "../message/message.ts";
import { buildAck } from "./ack.ts";
import type { ClientTransaction } from "./client.ts";
import { type CommonInput, Transaction, type TransactionContext } from "./transaction.ts";
import type { ClientInviteState, Target } from "./types.ts";

type Input =
  | { kind: "1xx"; resp: SipResponse }
  | { kind: "2xx"; resp: SipResponse }
  | { kind: "300-699"; resp: SipResponse }
  | { kind: "timer_a" }
  | { kind: "timer_b" }
  | { kind: "timer_d" }
  | { kind: "timer_m" };

export class ClientInviteTransaction extends Transaction<ClientInviteState, Input> implements ClientTransaction {
  onProvisional?: (resp: SipResponse) => void;
  onFinal?: (resp: SipResponse) => void;
  onRetransmitted2xx?: (resp: SipResponse) => void;
  onTimeout?: () => void;
  responseSource: Target | undefined = undefined;
  private intervalA: number;
  /** The ACK of the non-2xx final, once there is one. */
  private ack: SipRequest | undefined;

  constructor(
    key: string,
    readonly request: SipRequest,
    target: Target,
    ctx: TransactionContext,
  ) {
    super(key, target, "calling", ctx);
    this.intervalA = this.timers.a;
  }

  /** Sends the INVITE and arms A (UDP) and B. */
  start(): void {
    if (!this.reliable) this.setTimer("a", this.intervalA, { kind: "timer_a" });
    this.setTimer("b", this.timers.b, { kind: "timer_b" });
    void this.transmit(this.request);
  }

  receive(resp: SipResponse): void {
    if (resp.status < 200) this.spin({ kind: "1xx", resp });
    else if (resp.status < 300) this.spin({ kind: "2xx", resp });
    else this.spin({ kind: "300-699", resp });
  }

  cancel(): void {
    this.kill();
  }

  protected spin(input: Input | CommonInput): void {
    if (this.common(input)) return;
    const i = input as Input;
    switch (this.current) {
      case "calling":
        this.stateCalling(i);
        return;
      case "proceeding":
        this.stateProceeding(i);
        return;
      case "completed":
        this.stateCompleted(i);
        return;
      case "accepted":
        this.stateAccepted(i);
        return;
      case "terminated":
        return;
    }
  }

  private stateCalling(input: Input): void {
    switch (input.kind) {
      case "1xx":
        this.clearTimer("a");
        this.clearTimer("b");
        this.current = "proceeding";
        this.emit("onProvisional", this.onProvisional, input.resp);
        return;
      case "2xx":
        this.accept(input.resp);
        return;
      case "300-699":
        this.complete(input.resp);
        return;
      case "timer_a":
        this.intervalA *= 2;
        this.setTimer("a", this.intervalA, { kind: "timer_a" });
        void this.transmit(this.request);
        return;
      case "timer_b":
        this.budget.info("sip-tx-timer-b", "sip transaction: INVITE timeout (Timer B)", { tx: this.key });
        this.emit("onTimeout", this.onTimeout);
        this.terminate();
        return;
    }
  }

  private stateProceeding(input: Input): void {
    switch (input.kind) {
      case "1xx":
        this.emit("onProvisional", this.onProvisional, input.resp);
        return;
      case "2xx":
        this.accept(input.resp);
        return;
      case "300-699":
        this.complete(input.resp);
        return;
    }
  }

  private stateCompleted(input: Input): void {
    switch (input.kind) {
      case "300-699":
        // A retransmission of the final (our ACK was lost): ACK again, tell the TU nothing.
        if (this.ack) void this.transmit(this.ack);
        return;
      case "timer_d":
        this.terminate();
        return;
    }
  }

  private stateAccepted(input: Input): void {
    switch (input.kind) {
      case "2xx":
        this.emit("onRetransmitted2xx", this.onRetransmitted2xx, input.resp);
        return;
      case "timer_m":
        this.terminate();
        return;
    }
  }

  private accept(resp: SipResponse): void {
    this.clearTimer("a");
    this.clearTimer("b");
    this.current = "accepted";
    this.setTimer("m", this.timers.m, { kind: "timer_m" });
    this.emit("onFinal", this.onFinal, resp);
  }

  private complete(resp: SipResponse): void {
    this.clearTimer("a");
    this.clearTimer("b");
    this.current = "completed";
    try {
      this.ack = buildAck(this.request, resp);
    } catch (err) {
      this.log.warn("sip transaction: cannot build the ACK", { tx: this.key, error: String(err) });
    }
    if (this.ack) void this.transmit(this.ack);
    this.emit("onFinal", this.onFinal, resp);
    if (!this.terminated) this.lingerThenTerminate("d", this.timers.d, { kind: "timer_d" });
  }
}
