/**
 * @module sip/transaction/server-invite
 * The INVITE server transaction (RFC 3261 §17.2.1, Figure 7, as corrected by RFC 6026 §7.1).
 *
 *   Proceeding ──300-699 from TU──▶ Completed ──ACK──▶ Confirmed ──Timer I──▶ Terminated
 *   Proceeding ──2xx from TU──▶ Accepted ──Timer L──▶ Terminated
 *   Completed ──Timer H (onAckTimeout) or transport error──▶ Terminated
 *
 * If the TU has sent nothing 200 ms after the INVITE arrived, the transaction sends 100 Trying
 * itself. A retransmitted INVITE gets the last provisional again while Proceeding and the final
 * while Completed; it is absorbed while Confirmed or Accepted (the TU retransmits its own 2xx, and
 * any 2xx it passes while Accepted is sent). On UDP Timer G retransmits a non-2xx final at T1, 2T1…
 * capped at T2 until the ACK arrives or Timer H (64·T1) gives up. Timer I is T4 on UDP, 0 reliable.
 */
import type { SipRequest, SipResponse } from "../message/message.ts";
import { type ServerTransaction, TransactionStateError } from "./server.ts";
import { backoff } from "./timers.ts";
import { type CommonInput, Transaction, type TransactionContext } from "./transaction.ts";
import { buildTrying } from "./trying.ts";
import type { ServerInviteState, Target } from "./types.ts";

type Input =
  | { kind: "invite" }
  | { kind: "ack" }
  | { kind: "1xx"; resp: SipResponse }
  | { kind: "2xx"; resp: SipResponse }
  | { kind: "300-699"; resp: SipResponse }
  | { kind: "timer_trying" }
  | { kind: "timer_g" }
  | { kind: "timer_h" }
  | { kind: "timer_i" }
  | { kind: "timer_l" };

export class ServerInviteTransaction extends Transaction<ServerInviteState, Input> implements ServerTransaction {
  onAckTimeout?: () => void;
  private last: SipResponse | undefined;
  private intervalG: number;
  private sent: Promise<void> | undefined;

  constructor(
    key: string,
    readonly request: SipRequest,
    readonly source: Target,
    ctx: TransactionContext,
  ) {
    super(key, source, "proceeding", ctx);
    this.intervalG = this.timers.g;
  }

  get lastResponse(): SipResponse | undefined {
    return this.last;
  }

  /** Arms the 200 ms 100 Trying timer; called by the layer before the TU sees the request. */
  start(): void {
    this.setTimer("trying", this.timers.trying, { kind: "timer_trying" });
  }

  respond(resp: SipResponse): Promise<void> {
    if (resp.status < 100 || resp.status > 699) return Promise.reject(new RangeError(`bad status ${resp.status}`));
    const ok =
      this.current === "proceeding" || (this.current === "accepted" && resp.status >= 200 && resp.status < 300);
    if (!ok) {
      return Promise.reject(new TransactionStateError(`cannot send ${resp.status}: transaction ${this.current}`));
    }
    this.sent = undefined;
    if (resp.status < 200) this.spin({ kind: "1xx", resp });
    else if (resp.status < 300) this.spin({ kind: "2xx", resp });
    else this.spin({ kind: "300-699", resp });
    return this.sent ?? Promise.resolve();
  }

  /** The INVITE again (a retransmission). */
  receive(_req: SipRequest): void {
    this.spin({ kind: "invite" });
  }

  /**
   * An ACK matching this transaction. True when the transaction took it (the ACK of its non-2xx
   * final, or a retransmission of it); false while Accepted, where an ACK is the TU's (RFC 6026 §8.7).
   */
  receiveAck(_ack: SipRequest): boolean {
    if (this.current === "accepted") return false;
    this.spin({ kind: "ack" });
    return true;
  }

  protected spin(input: Input | CommonInput): void {
    if (this.common(input)) return;
    const i = input as Input;
    switch (this.current) {
      case "proceeding":
        this.stateProceeding(i);
        return;
      case "completed":
        this.stateCompleted(i);
        return;
      case "confirmed":
        this.stateConfirmed(i);
        return;
      case "accepted":
        this.stateAccepted(i);
        return;
      case "terminated":
        return;
    }
  }

  private stateProceeding(input: Input): void {
    switch (input.kind) {
      case "timer_trying":
        if (!this.last) this.send(buildTrying(this.request));
        return;
      case "invite":
        if (this.last) void this.transmit(this.last);
        return;
      case "1xx":
        this.clearTimer("trying");
        this.send(input.resp);
        return;
      case "2xx":
        this.clearTimer("trying");
        this.current = "accepted";
        this.setTimer("l", this.timers.l, { kind: "timer_l" });
        this.send(input.resp);
        return;
      case "300-699":
        this.clearTimer("trying");
        this.current = "completed";
        if (!this.reliable) this.setTimer("g", this.intervalG, { kind: "timer_g" });
        this.setTimer("h", this.timers.h, { kind: "timer_h" });
        this.send(input.resp);
        return;
      // An ACK before any final response matches nothing we sent: ignored.
    }
  }

  private stateCompleted(input: Input): void {
    switch (input.kind) {
      case "invite":
        if (this.last) void this.transmit(this.last);
        return;
      case "timer_g":
        this.intervalG = backoff(this.intervalG, this.timers.t2);
        this.setTimer("g", this.intervalG, { kind: "timer_g" });
        if (this.last) void this.transmit(this.last);
        return;
      case "ack":
        this.clearTimer("g");
        this.clearTimer("h");
        this.current = "confirmed";
        this.lingerThenTerminate("i", this.timers.i, { kind: "timer_i" });
        return;
      case "timer_h":
        this.budget.info("sip-tx-timer-h", "sip transaction: no ACK for the final response (Timer H)", {
          tx: this.key,
          status: this.last?.status,
        });
        this.emit("onAckTimeout", this.onAckTimeout);
        this.terminate();
        return;
    }
  }

  private stateConfirmed(input: Input): void {
    // Retransmitted ACKs and INVITEs are absorbed.
    if (input.kind === "timer_i") this.terminate();
  }

  private stateAccepted(input: Input): void {
    switch (input.kind) {
      case "2xx":
        this.send(input.resp);
        return;
      case "timer_l":
        this.terminate();
        return;
      // A retransmitted INVITE is absorbed: the TU retransmits its 2xx itself.
    }
  }

  private send(resp: SipResponse): void {
    this.last = resp;
    this.sent = this.transmit(resp);
  }
}
