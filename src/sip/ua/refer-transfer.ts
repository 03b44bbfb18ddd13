/**
 * @module sip/ua/refer-transfer
 * One blind transfer of an answered call (RFC 3515): our REFER, its answer, then the NOTIFYs of the
 * implicit subscription until the referred call has a final status.
 *
 * - Any 2xx (202, or 200 from peers that send it) accepts the transfer. Then we wait, on the
 *   injected clock, for a NOTIFY whose sipfrag status line is final (≥ 200), for the end of the
 *   subscription (`Subscription-State: terminated`), for the far end's BYE, or at most `waitMs`
 *   (32 s, 64·T1, the time a SIP transaction is given); a 2xx with `Refer-Sub: false` (RFC 4488)
 *   means no NOTIFY comes and nothing is waited for. Ending our leg afterwards is the call's.
 *   A failed referred call (a final sipfrag ≥ 300) still accepts: the far end took the caller over,
 *   and what it does with them is its business; the status is reported for the log.
 * - Any other final answer (405, 501, 603…), no answer (Timer F), a send that fails or a call that
 *   ends before anything was sent refuses it; the call stays as it was.
 * - A NOTIFY may overtake the 2xx (RFC 6665 §4.1.2.4); it is kept and counted once the 2xx comes.
 *   A REFER that timed out after a NOTIFY arrived counts as accepted, as that NOTIFY implies.
 * - A 401/407 is answered with the port's credentials when the call has them (one more REFER, the
 *   next CSeq), at most twice.
 */
import type { Clock, TimerHandle } from "../../lib/clock.ts";
import { errorMessage } from "../../lib/errors.ts";
import type { Logger } from "../../lib/logger.ts";
import type { AuthHeader, DigestSession } from "../auth/session.ts";
import type { Dialog } from "../dialog/dialog.ts";
import { formatUri, type SipRequest, type SipResponse } from "../message/index.ts";
import type { Target } from "../transaction/types.ts";
import type { SipEndpoint } from "./endpoint.ts";
import { buildRefer, type ReferNotify, refusesSubscription } from "./refer.ts";

/** How long an accepted transfer waits for the referred call's final status: 64·T1. */
export const REFER_WAIT_MS = 32_000;

const MAX_AUTH_ROUNDS = 2;

export type ReferResult = "accepted" | "refused";

/** How a transfer ended, for the owner's log. */
export interface ReferReport {
  result: ReferResult;
  /**
   * What decided it. accepted: `notify-final` (a final sipfrag status), `terminated` (the
   * subscription ended), `no-subscription` (Refer-Sub: false), `call-ended` (the far end hung up, or we did at a stop),
   * `wait-timeout`; refused: `rejected` (a non-2xx), `no-answer`, `not-sent`.
   */
  end:
    | "notify-final"
    | "terminated"
    | "no-subscription"
    | "call-ended"
    | "wait-timeout"
    | "rejected"
    | "no-answer"
    | "not-sent";
  /** The final status of the REFER, when one came. */
  status?: number;
  /** The last final status the far end reported of the referred call (sipfrag). */
  progress?: number;
  /** A refusal's reason: the REFER's status line, "no answer", the send error. */
  reason?: string;
}

/** What a transfer needs of the call it moves. */
export interface ReferLeg {
  readonly dialog: Dialog;
  readonly isEnded: boolean;
  /** Where our in-dialog requests go. */
  target(): Target;
  via(target: Target): { transport: Target["transport"]; host: string; port: number };
}

export interface ReferTransferOptions {
  leg: ReferLeg;
  endpoint: SipEndpoint;
  /** Our Contact header value. */
  contact: string;
  referTo: string;
  referredBy: string;
  clock: Clock;
  logger: Logger;
  /** The port's digest session, for a challenged REFER. */
  auth?: DigestSession;
  waitMs?: number;
}

export class ReferTransfer {
  /** Resolves once, with how the transfer went. */
  readonly done: Promise<ReferReport>;
  private resolve!: (r: ReferReport) => void;
  private settled = false;
  private status: number | undefined;
  private accepted = false;
  private notified = false;
  private finalProgress: number | undefined;
  private terminated = false;
  private timer: TimerHandle | undefined;
  private authRounds = 0;

  constructor(private readonly o: ReferTransferOptions) {
    this.done = new Promise((r) => {
      this.resolve = r;
    });
  }

  /** Sends the REFER. */
  start(): void {
    if (this.o.leg.isEnded) {
      this.finish({ result: "refused", end: "not-sent", reason: "the call has ended" });
      return;
    }
    const uri = formatUri(this.o.leg.dialog.remoteTarget);
    this.send(this.o.auth?.authorize("REFER", uri) ?? []);
  }

  /** A NOTIFY of our subscription (already answered 200 by the call). */
  notify(n: ReferNotify): void {
    this.notified = true;
    if (n.status && n.status.status >= 200) this.finalProgress = n.status.status;
    if (n.terminated) this.terminated = true;
    this.o.logger.debug("transfer progress", { status: n.status?.status ?? null, terminated: n.terminated });
    if (this.accepted) this.checkDone();
  }

  /** The call ended (the far end's BYE, or ours at a stop). */
  legEnded(): void {
    if (this.accepted) this.accept("call-ended");
    // Before the answer to the REFER: that answer (or Timer F) still decides.
  }

  private send(auth: readonly AuthHeader[]): void {
    let req: SipRequest;
    let target: Target;
    try {
      target = this.o.leg.target();
      req = buildRefer(this.o.leg.dialog, {
        via: this.o.leg.via(target),
        contact: this.o.contact,
        referTo: this.o.referTo,
        referredBy: this.o.referredBy,
        userAgent: this.o.endpoint.userAgent,
        auth,
      });
      this.o.endpoint.transactions.request(req, target, {
        onFinal: (r) => this.onFinal(req, r),
        onTimeout: () => this.onNoAnswer("no answer to the REFER"),
        onTransportError: (err) => this.onNoAnswer(`REFER not sent: ${errorMessage(err)}`),
      });
    } catch (err) {
      this.finish({ result: "refused", end: "not-sent", reason: `REFER not sent: ${errorMessage(err)}` });
    }
  }

  private onFinal(req: SipRequest, r: SipResponse): void {
    if (this.settled) return;
    this.status = r.status;
    if (r.status >= 200 && r.status < 300) {
      this.accepted = true;
      if (refusesSubscription(r)) this.accept("no-subscription");
      else if (this.o.leg.isEnded) this.accept("call-ended");
      else if (!this.checkDone()) this.timer = this.o.clock.setTimeout(() => this.accept("wait-timeout"), this.waitMs);
      return;
    }
    const auth = this.o.auth;
    if ((r.status === 401 || r.status === 407) && auth && this.authRounds < MAX_AUTH_ROUNDS && !this.o.leg.isEnded) {
      this.authRounds++;
      const values = r.status === 401 ? r.wwwAuthenticate : r.proxyAuthenticate;
      const outcome = auth.onChallenge(r.status, values, { method: "REFER", uri: formatUri(req.uri) });
      if (outcome.action === "retry") {
        this.send(outcome.headers);
        return;
      }
      this.finish({ result: "refused", end: "rejected", status: r.status, reason: outcome.reason });
      return;
    }
    this.finish({ result: "refused", end: "rejected", status: r.status, reason: `${r.status} ${r.reason}` });
  }

  private onNoAnswer(reason: string): void {
    if (this.settled) return;
    if (this.notified) {
      // A NOTIFY of the subscription arrived, so the REFER was taken even if its 2xx was lost.
      this.accepted = true;
      if (!this.checkDone()) this.timer = this.o.clock.setTimeout(() => this.accept("wait-timeout"), this.waitMs);
      return;
    }
    this.finish({ result: "refused", end: reason.startsWith("REFER not sent") ? "not-sent" : "no-answer", reason });
  }

  private get waitMs(): number {
    return this.o.waitMs ?? REFER_WAIT_MS;
  }

  /** Accepted and the NOTIFYs say it is over: finishes (true). */
  private checkDone(): boolean {
    if (this.finalProgress !== undefined) this.accept("notify-final");
    else if (this.terminated) this.accept("terminated");
    else if (this.o.leg.isEnded) this.accept("call-ended");
    return this.settled;
  }

  private accept(end: ReferReport["end"]): void {
    this.finish({ result: "accepted", end });
  }

  private finish(r: ReferReport): void {
    if (this.settled) return;
    this.settled = true;
    this.o.clock.clearTimeout(this.timer);
    if (this.status !== undefined && r.status === undefined) r.status = this.status;
    if (this.finalProgress !== undefined) r.progress = this.finalProgress;
    this.resolve(r);
  }
}
