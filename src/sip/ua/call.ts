/**
 * @module sip/ua/call
 * An established call (an INVITE dialog usage), whichever side placed it: the requests that arrive
 * inside it and our BYE. What the call carries (RTP, prompts) is the owner's business; this module
 * reports what the far end does: hang up (BYE), press keys by SIP INFO (the fallback of RFC 4733:
 * `application/dtmf-relay` and `application/dtmf` bodies), refresh or hold the session (re-INVITE,
 * answered with our unchanged SDP: we neither stop nor move our media). It also moves the caller on
 * by a blind transfer (REFER, RFC 3515): the NOTIFYs of that REFER arrive in this dialog and are
 * answered here; other NOTIFYs get the 405 they always got.
 */
import type { Clock, TimerHandle } from "../../lib/clock.ts";
import { errorMessage } from "../../lib/errors.ts";
import type { Logger } from "../../lib/logger.ts";
import type { DigestSession } from "../auth/session.ts";
import type { Dialog } from "../dialog/dialog.ts";
import { buildErrorResponse, formatNameAddr, type SipRequest, type SipResponse } from "../message/index.ts";
import type { ServerTransaction } from "../transaction/server.ts";
import type { Target } from "../transaction/types.ts";
import { dialogTarget } from "./dialog-target.ts";
import type { SipEndpoint } from "./endpoint.ts";
import { CALL_ALLOW } from "./invite-request.ts";
import { isReferNotify, readReferNotify } from "./refer.ts";
import { targetHeader } from "./refer-target.ts";
import { type ReferReport, type ReferResult, ReferTransfer } from "./refer-transfer.ts";

export type CallEndReason = "remote-bye" | "local-bye" | "closed";

/** The owner's verdict on a re-offer: take it (answered with our unchanged SDP) or 488 with a Warning code. */
export type ReofferVerdict = { ok: true } | { ok: false; reason: string; warning: 302 | 304 | 305 | null };

export interface SipCallOptions {
  endpoint: SipEndpoint;
  dialog: Dialog;
  /** Where in-dialog requests go when the next hop is a host name (no DNS here): the PBX or proxy, or the caller's source. */
  fallback: Target;
  /** Our Contact header value. */
  contact: string;
  /** Our SDP (the offer or answer that set up the media), repeated in answers to re-INVITEs. */
  localSdp: Uint8Array;
  clock: Clock;
  logger: Logger;
  /**
   * The host our ports register with (the PBX domain): a transfer target `100` is referred as
   * `sip:100@<domain>`. Default: the host of our URI in the dialog (a call we placed: the domain).
   */
  domain?: string;
  /** The port's user (Referred-By `sip:<user>@<domain>`); default our URI in the dialog. */
  user?: string;
  /** The port's digest session: a REFER the PBX challenges is sent again with credentials. */
  auth?: DigestSession;
}

export class SipCall {
  readonly dialog: Dialog;
  /** Keys pressed, sent by SIP INFO. */
  onInfoDigit: ((digit: string) => void) | undefined;
  /**
   * Checks the SDP offer of a re-INVITE or UPDATE against the call's media (SRTP: the same crypto
   * line, no downgrade); unset, every re-offer is answered with our SDP as before.
   */
  onReoffer: ((sdp: Uint8Array) => ReofferVerdict) | undefined;
  /** Resolves once, when the call has ended. */
  readonly ended: Promise<CallEndReason>;
  private endedWith: CallEndReason | undefined;
  private resolveEnded!: (r: CallEndReason) => void;
  private byeSent: Promise<void> | undefined;
  private readonly log: Logger;
  /** The transfer in progress (at most one at a time). */
  private transfer: ReferTransfer | undefined;
  /** A REFER went out: NOTIFYs for `refer` are answered 200 for the rest of the call. */
  private referred = false;

  constructor(private readonly opts: SipCallOptions) {
    this.dialog = opts.dialog;
    this.log = opts.logger;
    this.ended = new Promise((r) => {
      this.resolveEnded = r;
    });
  }

  get isEnded(): boolean {
    return this.endedWith !== undefined;
  }

  /** A request inside this dialog (the registry matched it by dialog id). */
  handleRequest(tx: ServerTransaction, req: SipRequest): void {
    const reply = (status: number, reason: string, extra?: (r: SipResponse) => void) => {
      const resp = buildErrorResponse(req, status, reason, { toTag: this.dialog.id.localTag });
      extra?.(resp);
      tx.respond(resp).catch((err) => this.log.debug("in-dialog answer not sent", { error: errorMessage(err) }));
    };
    let order: "ok" | "out-of-order";
    try {
      order = this.dialog.receive(req);
    } catch (err) {
      reply(400, errorMessage(err));
      return;
    }
    if (order === "out-of-order") {
      reply(500, "CSeq Out of Order");
      return;
    }
    switch (req.method) {
      case "BYE":
        reply(200, "OK");
        this.end("remote-bye");
        return;
      case "INFO": {
        const digit = infoDigit(req);
        reply(200, "OK");
        if (digit !== undefined && !this.isEnded) this.onInfoDigit?.(digit);
        return;
      }
      case "INVITE":
      case "UPDATE":
        if (this.isEnded) {
          reply(481, "Call/Transaction Does Not Exist");
          return;
        }
        if (req.body.length > 0 && this.onReoffer) {
          const verdict = this.reoffer(req.body);
          if (!verdict.ok) {
            // RFC 3261 §14.2: a refused re-offer leaves the session as it was; the call goes on.
            this.log.warn("re-offer refused", { method: req.method, reason: verdict.reason });
            reply(488, "Not Acceptable Here", (r) =>
              r.headers.append("Warning", `${verdict.warning ?? 399} bellhop "${WARNING[verdict.warning ?? 399]}"`),
            );
            return;
          }
        }
        reply(200, "OK", (r) => {
          r.headers.append("Contact", this.opts.contact);
          r.headers.append("Allow", CALL_ALLOW);
          if (req.body.length > 0) {
            r.headers.append("Content-Type", "application/sdp");
            r.body = this.opts.localSdp;
          }
        });
        return;
      case "OPTIONS":
        reply(200, "OK", (r) => r.headers.append("Allow", CALL_ALLOW));
        return;
      case "NOTIFY":
        if (this.referred && isReferNotify(req)) {
          reply(200, "OK");
          this.transfer?.notify(readReferNotify(req));
          return;
        }
        reply(405, "Method Not Allowed", (r) => r.headers.append("Allow", CALL_ALLOW));
        return;
      default:
        reply(405, "Method Not Allowed", (r) => r.headers.append("Allow", CALL_ALLOW));
    }
  }

  private reoffer(body: Uint8Array): ReofferVerdict {
    try {
      return this.onReoffer?.(body) ?? { ok: true };
    } catch (err) {
      return { ok: false, reason: errorMessage(err), warning: null };
    }
  }

  /**
   * Blind transfer (RFC 3515): REFER with `Refer-To: <sip:target@domain>` (or `target` itself when
   * it is a sip:/sips:/tel: URI) and `Referred-By` the port. `accepted`: the far end took it (2xx),
   * reported the referred call's final status or ended the subscription (or `waitMs` passed, 32 s),
   * and our leg is ended (our BYE, unless the far end already hung up). `refused`: a non-2xx, no
   * answer, or a target that cannot be sent; the call goes on. Never rejects.
   */
  async refer(target: string, opts: { waitMs?: number } = {}): Promise<ReferResult> {
    return (await this.referReport(target, opts)).result;
  }

  /** {@link refer} with what happened on the wire, for the owner's log. */
  async referReport(target: string, opts: { waitMs?: number } = {}): Promise<ReferReport> {
    if (this.transfer) return { result: "refused", end: "not-sent", reason: "a transfer is in progress" };
    const local = this.dialog.local.uri;
    const domain = this.opts.domain ?? (local.kind === "sip" ? local.host : undefined);
    let referTo: string;
    try {
      if (domain === undefined) throw new TypeError("no domain to refer to");
      referTo = targetHeader(target, domain);
    } catch (err) {
      this.log.warn("transfer not sent", { target, error: errorMessage(err) });
      return { result: "refused", end: "not-sent", reason: errorMessage(err) };
    }
    const referredBy =
      this.opts.user !== undefined && domain !== undefined
        ? targetHeader(this.opts.user, domain)
        : formatNameAddr({ uri: local });
    const transfer = new ReferTransfer({
      leg: this,
      endpoint: this.opts.endpoint,
      contact: this.opts.contact,
      referTo,
      referredBy,
      clock: this.opts.clock,
      logger: this.log,
      auth: this.opts.auth,
      waitMs: opts.waitMs,
    });
    this.transfer = transfer;
    this.referred = true;
    void this.ended.then(() => transfer.legEnded());
    transfer.start();
    const report = await transfer.done;
    this.transfer = undefined;
    this.log.info("transfer", { target, referTo, ...report });
    if (report.result === "accepted") await this.hangup();
    return report;
  }

  /** Where our in-dialog requests go: the next hop when it is an IP address, else the fallback. */
  target(): Target {
    return dialogTarget(this.dialog, this.opts.fallback);
  }

  /** Sends an in-dialog request built by `build(via)` outside a transaction (the ACK of a 2xx). */
  sendRaw(req: SipRequest, target = this.target()): void {
    this.opts.endpoint.send(req, target).catch((err) => this.log.info("SIP send failed", { error: errorMessage(err) }));
  }

  /** Via values for a request of ours inside the dialog. */
  via(target = this.target()) {
    return { transport: target.transport, host: this.opts.endpoint.bind, port: this.opts.endpoint.port };
  }

  /**
   * Hangs up (BYE) unless the call already ended; resolves on the BYE's final answer, its timeout,
   * or at the latest after `waitMs`. The call counts as ended as soon as the BYE is sent. `headers`
   * go on the BYE (a `Reason`, RFC 3326, when the media failed).
   */
  hangup(waitMs = 5000, headers: [string, string][] = []): Promise<void> {
    if (this.byeSent) return this.byeSent;
    if (this.isEnded) return Promise.resolve();
    const target = this.target();
    const bye = this.dialog.createRequest("BYE", {
      via: this.via(target),
      headers: [["User-Agent", this.opts.endpoint.userAgent], ...headers],
    });
    this.end("local-bye");
    this.byeSent = new Promise<void>((resolve) => {
      const clock = this.opts.clock;
      let timer: TimerHandle | undefined;
      const done = () => {
        clock.clearTimeout(timer);
        resolve();
      };
      timer = clock.setTimeout(done, waitMs);
      try {
        this.opts.endpoint.transactions.request(bye, target, {
          onFinal: done,
          onTimeout: done,
          onTransportError: (err) => {
            this.log.info("BYE not sent", { error: errorMessage(err) });
            done();
          },
          onTerminated: done,
        });
      } catch (err) {
        this.log.info("BYE not sent", { error: errorMessage(err) });
        done();
      }
    });
    return this.byeSent;
  }

  /** Marks the call ended without signalling (shutdown, or a failure already answered). */
  end(reason: CallEndReason): void {
    if (this.endedWith !== undefined) return;
    this.endedWith = reason;
    this.resolveEnded(reason);
  }
}

/** RFC 3261 §20.43 texts; the reason itself stays in our log (it may name SDP details). */
const WARNING: Record<number, string> = {
  302: "Incompatible transport protocol",
  304: "Media type not available",
  305: "Incompatible media format",
  399: "Miscellaneous warning",
};

/** The key of a SIP INFO: `application/dtmf-relay` (`Signal=5`) or `application/dtmf` (`5`). */
export function infoDigit(req: SipRequest): string | undefined {
  let type: string | undefined;
  try {
    const ct = req.contentType;
    type = ct ? `${ct.type}/${ct.subtype}`.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
  const text = new TextDecoder().decode(req.body);
  let value: string | undefined;
  if (type === "application/dtmf-relay") {
    for (const line of text.split("\n")) {
      const i = line.indexOf("=");
      if (i > 0 && line.slice(0, i).trim().toLowerCase() === "signal") value = line.slice(i + 1).trim();
    }
  } else if (type === "application/dtmf") {
    value = text.trim();
  }
  if (value === undefined || value.length !== 1) return undefined;
  const d = value.toUpperCase();
  return "0123456789*#ABCD".includes(d) ? d : undefined;
}
