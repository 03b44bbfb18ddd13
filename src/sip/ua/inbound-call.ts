/**
 * @module sip/ua/inbound-call
 * Answering a call that reached a port (RFC 3261 §13.3): the 2xx with our SDP answer, our To tag,
 * our Contact and the request's Record-Route echoed; on UDP the 2xx is retransmitted (T1, doubling
 * to T2) until its ACK arrives — the transaction layer leaves that to us (RFC 6026) — and a call
 * whose ACK never comes (64·T1) is hung up (§13.3.1.4).
 *
 * Late offer (RFC 3261 §13.2.1, RFC 3264): an INVITE without SDP gets our offer in the 2xx, and the
 * answer arrives in the ACK; the ACK is kept (`ackBody`) for the owner to read once `confirmed`.
 *
 * Instead of answering, the owner may send the call elsewhere (302 with the target as Contact,
 * RFC 3261 §21.3.3) or refuse it; the ACK of such a final answer is the INVITE server
 * transaction's, as for every non-2xx (§17.2.1). One final answer per INVITE: whichever comes
 * first (answer, redirect, reject, the caller's CANCEL) wins, and the others do nothing.
 */
import type { Clock, TimerHandle } from "../../lib/clock.ts";
import { errorMessage } from "../../lib/errors.ts";
import type { Logger } from "../../lib/logger.ts";
import type { DigestSession } from "../auth/session.ts";
import { Dialog } from "../dialog/dialog.ts";
import { buildErrorResponse, newTag, type SipRequest, type SipResponse } from "../message/index.ts";
import type { ServerTransaction } from "../transaction/server.ts";
import { T1, T2 } from "../transaction/timers.ts";
import { isReliable } from "../transaction/types.ts";
import { SipCall } from "./call.ts";
import type { SipEndpoint } from "./endpoint.ts";
import { CALL_ALLOW, portContact } from "./invite-request.ts";
import { targetHeader } from "./refer-target.ts";

export interface InboundCallOptions {
  endpoint: SipEndpoint;
  tx: ServerTransaction;
  request: SipRequest;
  /** The port user answering (our Contact). */
  user: string;
  /**
   * The host the ports register with: a redirect or transfer target `100` becomes
   * `sip:100@<domain>`. Default: the Request-URI's host.
   */
  domain?: string;
  /** The port the call is on (Referred-By of a transfer); default `user`. */
  port?: string;
  /** That port's digest session (a challenged REFER). */
  auth?: DigestSession;
  clock: Clock;
  logger: Logger;
  t1?: number;
  t2?: number;
  /** Called with the call as soon as it is accepted, so its ACK and in-dialog requests find it. */
  onAccepted?: (call: SipCall, ack: (req: SipRequest) => void) => void;
}

export class InboundCall {
  readonly request: SipRequest;
  readonly localTag = newTag();
  private answeredWith: SipResponse | undefined;
  private call: SipCall | undefined;
  private retransmit: TimerHandle | undefined;
  private giveUp: TimerHandle | undefined;
  private acked = false;
  private ackedWith: SipRequest | undefined;
  private cancelled = false;
  /** A final non-2xx went out (reject, redirect). */
  private refused = false;
  /** Resolves when the ACK of our 2xx arrived (true) or never did (false). */
  readonly confirmed: Promise<boolean>;
  private resolveConfirmed!: (ok: boolean) => void;
  /** The caller gave up before we answered (CANCEL). */
  onCancel: (() => void) | undefined;

  constructor(private readonly o: InboundCallOptions) {
    this.request = o.request;
    this.confirmed = new Promise((r) => {
      this.resolveConfirmed = r;
    });
  }

  get isCancelled(): boolean {
    return this.cancelled;
  }

  /** The body of the ACK of our 2xx (empty before it, or when it has none): the answer to a late offer. */
  get ackBody(): Uint8Array {
    return this.ackedWith?.body ?? new Uint8Array(0);
  }

  /** Whether a final answer (2xx, redirect, reject, 487 after CANCEL) was sent. */
  get finalSent(): boolean {
    return this.answeredWith !== undefined || this.cancelled || this.refused;
  }

  /**
   * A final non-2xx (e.g. 488 for an offer we cannot take, 486 when every port is busy); false when
   * the INVITE already had its final answer. Throws TypeError for a status outside 300–699.
   */
  reject(status: number, reason: string, extra: [string, string][] = []): boolean {
    if (!Number.isInteger(status) || status < 300 || status > 699)
      throw new TypeError(`a rejection needs a status of 300-699, not ${status}`);
    if (this.finalSent) return false;
    this.refused = true;
    const resp = buildErrorResponse(this.request, status, reason, { toTag: this.localTag });
    for (const [n, v] of extra) resp.headers.append(n, v);
    this.o.tx.respond(resp).catch(() => {});
    this.resolveConfirmed(false);
    return true;
  }

  /**
   * 302 Moved Temporarily with `Contact: <sip:target@domain>` (or `target` itself when it is a
   * sip:/sips:/tel: URI): the PBX calls the target instead. False when the INVITE already had its
   * final answer; throws TypeError for a target that cannot be sent (nothing is sent then).
   */
  redirect(target: string): boolean {
    const uri = this.request.uri;
    const domain = this.o.domain ?? (uri.kind === "sip" ? uri.host : undefined);
    if (domain === undefined) throw new TypeError("no domain to redirect to");
    const contact = targetHeader(target, domain);
    return this.reject(302, "Moved Temporarily", [["Contact", contact]]);
  }

  /** 180 Ringing while the media is prepared (optional). */
  ringing(): void {
    if (this.finalSent) return;
    this.o.tx.respond(buildErrorResponse(this.request, 180, "Ringing", { toTag: this.localTag })).catch(() => {});
  }

  /** Answers 200 with `sdp`; the returned call is live at once (media may start), confirmed on ACK. */
  accept(sdp: Uint8Array): SipCall | undefined {
    if (this.cancelled || this.refused) return undefined;
    if (this.call) return this.call;
    const req = this.request;
    const local = { address: this.o.endpoint.bind, port: this.o.endpoint.port, transport: this.o.endpoint.kind };
    const contact = portContact(this.o.user, local);
    const resp = buildErrorResponse(req, 200, "OK", { toTag: this.localTag });
    for (const rr of req.headers.getAll("Record-Route")) resp.headers.append("Record-Route", rr);
    resp.headers.append("Contact", contact);
    resp.headers.append("Allow", CALL_ALLOW);
    resp.headers.append("User-Agent", this.o.endpoint.userAgent);
    resp.headers.append("Content-Type", "application/sdp");
    resp.body = sdp;
    const dialog = Dialog.asUas(req, { localTag: this.localTag });
    this.call = new SipCall({
      endpoint: this.o.endpoint,
      dialog,
      fallback: this.o.tx.source,
      contact,
      localSdp: sdp,
      clock: this.o.clock,
      logger: this.o.logger,
      domain: this.o.domain,
      user: this.o.port ?? this.o.user,
      auth: this.o.auth,
    });
    this.answeredWith = resp;
    this.o.onAccepted?.(this.call, (req) => this.ack(req));
    this.send();
    const t1 = this.o.t1 ?? T1;
    if (!isReliable(this.o.tx.source)) this.scheduleRetransmit(t1);
    this.giveUp = this.o.clock.setTimeout(() => this.noAck(), 64 * t1);
    return this.call;
  }

  /** The ACK of our 2xx (the registry matched its dialog); retransmitted ACKs after the first change nothing. */
  ack(req?: SipRequest): void {
    if (this.acked) return;
    this.acked = true;
    this.ackedWith = req;
    this.o.clock.clearTimeout(this.retransmit);
    this.o.clock.clearTimeout(this.giveUp);
    this.resolveConfirmed(true);
  }

  /** CANCEL before our 2xx: 487 to the INVITE (the CANCEL itself is answered by the caller of this). */
  cancel(): boolean {
    if (this.finalSent) return false;
    this.cancelled = true;
    this.o.tx
      .respond(buildErrorResponse(this.request, 487, "Request Terminated", { toTag: this.localTag }))
      .catch(() => {});
    this.resolveConfirmed(false);
    try {
      this.onCancel?.();
    } catch {
      // owner's callback
    }
    return true;
  }

  /** Stops retransmitting (the call ended some other way). */
  dispose(): void {
    this.o.clock.clearTimeout(this.retransmit);
    this.o.clock.clearTimeout(this.giveUp);
    if (!this.acked) this.resolveConfirmed(false);
  }

  private send(): void {
    const resp = this.answeredWith;
    if (!resp) return;
    this.o.tx.respond(resp).catch((err) => this.o.logger.debug("2xx not sent", { error: errorMessage(err) }));
  }

  private scheduleRetransmit(ms: number): void {
    this.retransmit = this.o.clock.setTimeout(() => {
      if (this.acked || this.call?.isEnded) return;
      this.send();
      this.scheduleRetransmit(Math.min(ms * 2, this.o.t2 ?? T2));
    }, ms);
  }

  private noAck(): void {
    if (this.acked) return;
    this.o.clock.clearTimeout(this.retransmit);
    // The caller decides whether an ACK comes: logged within the endpoint's budget.
    this.o.endpoint.budget.warn("sip-call-no-ack", "no ACK for our 200 OK; hanging up", {
      callId: this.request.callId,
    });
    this.resolveConfirmed(false);
    void this.call?.hangup();
  }
}
