/**
 * @module sip/ua/outbound-call
 * Places one call from a port (RFC 3261 §13.2): INVITE with our SDP offer, digest on 401/407 (a new
 * INVITE, CSeq + 1, same Call-ID and From tag), CANCEL when it has rung for the ring time, ACK of the
 * 2xx (re-sent for each retransmitted 2xx). The result says how it ended for the wake-up rules:
 *
 * - 2xx → answered (also when it crosses our CANCEL: somebody picked up, so the call goes on);
 * - 486 Busy Here / 600 Busy Everywhere → busy;
 * - 487 after our CANCEL, 408, 480, 603 → no-answer (rang out, unreachable, declined);
 * - Timer B (nothing at all from the PBX), a transport error, any other final → failed.
 *
 * A CANCEL may only follow a provisional response (§9.1); when the ring time ends before one came,
 * the CANCEL goes as soon as one does, and Timer B ends a call nobody answered at all. If the far end
 * never answers our CANCEL's INVITE with 487, a guard (64·T1) ends the attempt as no-answer.
 */
import type { Clock, TimerHandle } from "../../lib/clock.ts";
import { errorMessage } from "../../lib/errors.ts";
import type { Logger } from "../../lib/logger.ts";
import type { DigestSession } from "../auth/session.ts";
import { Dialog, DialogError } from "../dialog/dialog.ts";
import { formatUri, type SipRequest, type SipResponse, sipUri } from "../message/index.ts";
import type { ClientTransaction } from "../transaction/client.ts";
import type { Target } from "../transaction/types.ts";
import { SipCall } from "./call.ts";
import type { SipEndpoint } from "./endpoint.ts";
import { buildCancel, buildInvite, portContact } from "./invite-request.ts";
import { newCallId, newTag } from "./register-request.ts";

export interface OutboundCallOptions {
  endpoint: SipEndpoint;
  /** The port placing the call. */
  user: string;
  displayName: string | null;
  auth: DigestSession;
  domain: string;
  /** First hop of the INVITE: the outbound proxy or the PBX. */
  target: Target;
  proxy?: { address: string; port: number };
  callee: string;
  sdp: Uint8Array;
  ringTimeoutMs: number;
  clock: Clock;
  logger: Logger;
  /** 180/183 arrived (once). */
  onRinging?: () => void;
  /** Guard after CANCEL for a far end that never answers 487 (default 32 s, 64·T1). */
  cancelGuardMs?: number;
}

export type OutboundResult =
  | { answered: true; call: SipCall; remoteSdp: Uint8Array; status: number }
  | { answered: false; outcome: "no-answer" | "busy" | "failed"; status?: number; reason: string };

/** Auth rounds per call: a proxy challenge and a registrar challenge may both come. */
const MAX_AUTH_ROUNDS = 3;

export class OutboundCall {
  readonly callId: string;
  readonly result: Promise<OutboundResult>;
  private resolveResult!: (r: OutboundResult) => void;
  private readonly fromTag = newTag();
  private cseq = 0;
  private authRounds = 0;
  private invite!: SipRequest;
  private tx: ClientTransaction | undefined;
  private provisional = false;
  private ringing = false;
  private cancelWanted = false;
  private cancelSent = false;
  private ringTimer: TimerHandle | undefined;
  private guardTimer: TimerHandle | undefined;
  private settled = false;
  private ack: { req: SipRequest; call: SipCall } | undefined;
  private readonly log: Logger;

  constructor(private readonly o: OutboundCallOptions) {
    this.callId = newCallId(o.endpoint.bind);
    this.log = o.logger;
    this.result = new Promise((r) => {
      this.resolveResult = r;
    });
  }

  /** Sends the INVITE and starts the ring time. */
  start(): Promise<OutboundResult> {
    this.ringTimer = this.o.clock.setTimeout(() => this.ringTimeUp(), this.o.ringTimeoutMs);
    this.send(this.o.auth.authorize("INVITE", this.requestUri()));
    return this.result;
  }

  /** Gives up before an answer (shutdown): CANCEL if it rings, else drop it. */
  abort(): void {
    if (this.settled) return;
    if (this.provisional) this.sendCancel();
    else {
      this.tx?.cancel();
      this.finish({ answered: false, outcome: "failed", reason: "aborted" });
    }
  }

  private requestUri(): string {
    return formatUri(sipUri(this.o.domain, { user: this.o.callee }));
  }

  private local() {
    return { address: this.o.endpoint.bind, port: this.o.endpoint.port, transport: this.o.endpoint.kind };
  }

  private send(auth: { name: string; value: string }[]): void {
    this.invite = buildInvite({
      callee: this.o.callee,
      user: this.o.user,
      displayName: this.o.displayName,
      domain: this.o.domain,
      local: this.local(),
      callId: this.callId,
      fromTag: this.fromTag,
      cseq: ++this.cseq,
      proxy: this.o.proxy,
      userAgent: this.o.endpoint.userAgent,
      auth,
      sdp: this.o.sdp,
    });
    this.provisional = false;
    try {
      this.tx = this.o.endpoint.transactions.request(this.invite, this.o.target, {
        onProvisional: (r) => this.onProvisional(r),
        onFinal: (r) => this.onFinal(r),
        onRetransmitted2xx: (r) => this.onRetransmitted2xx(r),
        onTimeout: () => this.fail("failed", "no answer from the PBX (timeout)"),
        onTransportError: (err) => this.fail("failed", `transport error: ${errorMessage(err)}`),
      });
    } catch (err) {
      this.fail("failed", errorMessage(err));
    }
  }

  private onProvisional(r: SipResponse): void {
    if (r.status === 100) return;
    this.provisional = true;
    if (!this.ringing && (r.status === 180 || r.status === 183)) {
      this.ringing = true;
      try {
        this.o.onRinging?.();
      } catch {
        // the owner's progress callback must not break signalling
      }
    }
    if (this.cancelWanted) this.sendCancel();
  }

  private ringTimeUp(): void {
    this.ringTimer = undefined;
    if (this.settled) return;
    this.cancelWanted = true;
    if (this.provisional) this.sendCancel();
  }

  private sendCancel(): void {
    if (this.cancelSent || this.settled) return;
    this.cancelSent = true;
    try {
      this.o.endpoint.transactions.request(buildCancel(this.invite), this.o.target, {});
    } catch (err) {
      this.log.info("CANCEL not sent", { callId: this.callId, error: errorMessage(err) });
    }
    this.guardTimer = this.o.clock.setTimeout(() => {
      this.tx?.cancel();
      this.fail("no-answer", "rang out; the far end did not answer the CANCEL");
    }, this.o.cancelGuardMs ?? 32_000);
  }

  private onFinal(r: SipResponse): void {
    if (this.settled) return;
    const line = `${r.status} ${r.reason}`;
    if (r.status >= 200 && r.status < 300) {
      this.answered(r);
      return;
    }
    if ((r.status === 401 || r.status === 407) && !this.cancelSent) {
      const values = r.status === 401 ? r.wwwAuthenticate : r.proxyAuthenticate;
      const outcome = this.o.auth.onChallenge(r.status, values, { method: "INVITE", uri: this.requestUri() });
      if (outcome.action === "retry" && ++this.authRounds <= MAX_AUTH_ROUNDS) {
        this.send(outcome.headers);
        return;
      }
      this.fail("failed", outcome.action === "retry" ? "too many authentication rounds" : outcome.reason, r.status);
      return;
    }
    if (r.status === 486 || r.status === 600) this.fail("busy", line, r.status);
    else if (r.status === 487 || r.status === 408 || r.status === 480 || r.status === 603)
      this.fail("no-answer", this.cancelSent && r.status === 487 ? "rang out" : line, r.status);
    else this.fail("failed", line, r.status);
  }

  private answered(r: SipResponse): void {
    let dialog: Dialog;
    try {
      dialog = Dialog.asUac(this.invite, r);
    } catch (err) {
      // Cannot even ACK it properly: report it; the far end gives up without its ACK.
      this.fail("failed", `unusable 2xx: ${err instanceof DialogError ? err.message : errorMessage(err)}`, r.status);
      return;
    }
    const call = new SipCall({
      endpoint: this.o.endpoint,
      dialog,
      fallback: this.o.target,
      contact: portContact(this.o.user, this.local()),
      localSdp: this.o.sdp,
      clock: this.o.clock,
      logger: this.log,
    });
    const auth: [string, string][] = [];
    for (const name of ["Authorization", "Proxy-Authorization"])
      for (const v of this.invite.headers.getAll(name)) auth.push([name, v]);
    const ack = dialog.createAck(this.invite.cseq.seq, { via: call.via(), headers: auth });
    this.ack = { req: ack, call };
    call.sendRaw(ack);
    this.finish({ answered: true, call, remoteSdp: r.body, status: r.status });
  }

  private onRetransmitted2xx(r: SipResponse): void {
    if (this.ack && r.to.tag === this.ack.call.dialog.id.remoteTag) this.ack.call.sendRaw(this.ack.req);
  }

  private fail(outcome: "no-answer" | "busy" | "failed", reason: string, status?: number): void {
    this.finish({ answered: false, outcome, reason, status });
  }

  private finish(r: OutboundResult): void {
    if (this.settled) return;
    this.settled = true;
    this.o.clock.clearTimeout(this.ringTimer);
    this.o.clock.clearTimeout(this.guardTimer);
    this.resolveResult(r);
  }
}
