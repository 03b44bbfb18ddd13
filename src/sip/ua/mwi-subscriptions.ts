import type { Clock, TimerHandle } from "../../lib/clock.ts";
import { errorMessage } from "../../lib/errors.ts";
import { LogBudget } from "../../lib/log-budget.ts";
import type { Logger } from "../../lib/logger.ts";
import { Mutex } from "../../lib/mutex.ts";
import { Dialog, DialogError, dialogKey, incomingDialogId } from "../dialog/dialog.ts";
import { buildErrorResponse, newTag, type SipRequest, type SipResponse, validateHeaders } from "../message/index.ts";
import type { RequestHandler } from "../transaction/layer.ts";
import type { ServerTransaction } from "../transaction/server.ts";
import type { Target } from "../transaction/types.ts";
import type { SipEndpoint } from "./endpoint.ts";
import { portContact } from "./invite-request.ts";
import { type MessageSummary, MWI_CONTENT_TYPE, MWI_EVENT } from "./mwi-body.ts";
import {
  type NotifyOutcome,
  type NotifyResult,
  notifyTarget,
  type Subscription,
  sendInDialogNotify,
} from "./mwi-dialog-notify.ts";
import { acceptsSummary, parseEvent, requestUser, safeCallId } from "./mwi-subscribe-request.ts";

export type { NotifyOutcome, Subscription };
export { parseEvent };

export interface MwiSubscriptionsOptions {
  clock: Clock;
  logger: Logger;
  /** The current summary of a mailbox, or undefined when there is no such user (→ 404). */
  summaryFor(user: string): Promise<MessageSummary | undefined>;
  /**
   * Whether `source` may watch the mailbox of `user`: undefined when it may, else the reason phrase
   * of the 403 (see `mailboxWatchers`). Asked for every SUBSCRIBE, refreshes included.
   */
  authorize(user: string, source: Target): Promise<string | undefined>;
  /** Longest subscription granted, seconds (default 3600). */
  maxExpires?: number;
  /** Shortest subscription accepted, seconds (default 60); shorter asks get 423. */
  minExpires?: number;
  /** Granted when the SUBSCRIBE has no Expires (default 3600, RFC 3842), then clamped. */
  defaultExpires?: number;
}

export class MwiSubscriptions {
  private readonly byKey = new Map<string, Subscription>();
  private readonly byUser = new Map<string, Set<Subscription>>();
  private readonly maxExpires: number;
  private readonly minExpires: number;
  private readonly defaultExpires: number;
  private readonly log: Logger;
  private readonly budget: LogBudget;
  private closed = false;

  constructor(
    private readonly endpoint: SipEndpoint,
    private readonly opts: MwiSubscriptionsOptions,
  ) {
    this.maxExpires = opts.maxExpires ?? 3600;
    this.minExpires = opts.minExpires ?? 60;
    this.defaultExpires = opts.defaultExpires ?? 3600;
    if (!(this.minExpires >= 1 && this.maxExpires >= this.minExpires)) {
      throw new RangeError("MWI subscriptions: need 1 ≤ minExpires ≤ maxExpires");
    }
    this.log = opts.logger;
    this.budget = new LogBudget(opts.logger, opts.clock);
  }

  /**
   * Answers a SUBSCRIBE for message-summary and resolves true; resolves false, answering nothing,
   * for a request that is not a SUBSCRIBE or whose Event is not message-summary (the caller
   * answers 489). Never rejects: an unexpected error is logged and answered 500.
   */
  async handleSubscribe(tx: ServerTransaction, req: SipRequest): Promise<boolean> {
    if (req.method !== "SUBSCRIBE") return false;
    const event = parseEvent(req.headers.get("Event"));
    if (event === undefined || event.type !== MWI_EVENT) return false;
    try {
      await this.subscribe(tx, req, event.id);
    } catch (err) {
      this.log.error("MWI SUBSCRIBE failed", { error: errorMessage(err), callId: safeCallId(req) });
      await this.answer(tx, req, 500, "Server Internal Error");
    }
    return true;
  }

  /**
   * Sends a NOTIFY with `summary` in every active subscription of `user` and resolves once each has
   * its final response (or timed out). Subscriptions that end while waiting for their turn count
   * neither as sent nor as failed.
   */
  async notify(user: string, summary: MessageSummary): Promise<NotifyOutcome> {
    const subs = [...(this.byUser.get(user) ?? [])];
    const results = await Promise.all(subs.map((sub) => this.enqueue(sub, summary)));
    const out: NotifyOutcome = { sent: 0, reached: [], failed: 0 };
    results.forEach((r, i) => {
      if (r === "ok") {
        out.sent++;
        out.reached.push(notifyTarget(this.log, subs[i]).address);
      } else if (r !== "skipped") out.failed++;
    });
    return out;
  }

  /** Where the NOTIFYs of `user`'s subscriptions go (IPs), so the sender knows if the phone holds one. */
  targets(user: string): string[] {
    return [...(this.byUser.get(user) ?? [])].map((sub) => notifyTarget(this.log, sub).address);
  }

  /** Whether `user` has an active subscription. */
  has(user: string): boolean {
    return (this.byUser.get(user)?.size ?? 0) > 0;
  }

  /** Active subscriptions. */
  count(): number {
    return this.byKey.size;
  }

  /**
   * Forgets every subscription and stops the timers; later SUBSCRIBEs get 503. With
   * `notify: true` each subscriber first gets `Subscription-State: terminated;reason=deactivated`
   * (it may subscribe again at once), and this resolves when those are answered or `waitMs` passed.
   */
  async close(opts: { notify?: boolean; waitMs?: number } = {}): Promise<void> {
    this.closed = true;
    const subs = [...this.byKey.values()];
    for (const sub of subs) this.remove(sub, "closed");
    if (!opts.notify || subs.length === 0) return;
    const finals = Promise.all(subs.map((sub) => this.enqueue(sub, sub.last, "deactivated")));
    let timer: TimerHandle | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = this.opts.clock.setTimeout(resolve, opts.waitMs ?? 2000);
    });
    await Promise.race([finals, timeout]);
    this.opts.clock.clearTimeout(timer);
  }

  /**
   * The request handler for the endpoint's transaction layer: SUBSCRIBE → `handleSubscribe`, and
   * 489 Bad Event (with Allow-Events) when that declines; any other method → `next`, or 405.
   */
  requestHandler(next?: RequestHandler): RequestHandler {
    return (tx, req) => {
      if (req.method !== "SUBSCRIBE") {
        if (next) next(tx, req);
        else void this.answer(tx, req, 405, "Method Not Allowed", [["Allow", "SUBSCRIBE"]]);
        return;
      }
      void this.handleSubscribe(tx, req).then((handled) => {
        if (!handled) return this.answer(tx, req, 489, "Bad Event", [["Allow-Events", MWI_EVENT]]);
      });
    };
  }

  /**
   * Installs `requestHandler` on the endpoint's transaction layer, in front of the handler already
   * there (it keeps every other method). Returns a function that puts the previous one back.
   */
  attach(): () => void {
    const layer = this.endpoint.transactions;
    const previous = layer.onRequest;
    const handler = this.requestHandler(previous);
    layer.onRequest = handler;
    return () => {
      if (layer.onRequest === handler) layer.onRequest = previous;
    };
  }

  private async subscribe(tx: ServerTransaction, req: SipRequest, eventId: string | undefined): Promise<void> {
    if (this.closed) {
      await this.answer(tx, req, 503, "Service Unavailable");
      return;
    }
    const bad = validateHeaders(req, ["contact", "expires", "record-route"]);
    if (bad !== undefined) {
      await this.answer(tx, req, 400, bad);
      return;
    }
    if (!acceptsSummary(req)) {
      await this.answer(tx, req, 406, "Not Acceptable", [["Accept", MWI_CONTENT_TYPE]]);
      return;
    }
    const asked = req.expires ?? this.defaultExpires;
    if (asked > 0 && asked < this.minExpires) {
      await this.answer(tx, req, 423, "Interval Too Brief", [["Min-Expires", String(this.minExpires)]]);
      return;
    }
    const expires = Math.min(asked, this.maxExpires);
    if (req.to.tag !== undefined) await this.refresh(tx, req, eventId, expires);
    else await this.create(tx, req, eventId, expires);
  }

  private async create(
    tx: ServerTransaction,
    req: SipRequest,
    eventId: string | undefined,
    expires: number,
  ): Promise<void> {
    const user = requestUser(req.uri);
    if (user !== undefined && (await this.refused(tx, req, user))) return;
    const summary = user === undefined ? undefined : await this.opts.summaryFor(user);
    if (user === undefined || summary === undefined) {
      await this.answer(tx, req, 404, "Not Found");
      return;
    }
    if (this.closed) {
      await this.answer(tx, req, 503, "Service Unavailable");
      return;
    }
    const localTag = newTag();
    let dialog: Dialog;
    try {
      dialog = Dialog.asUas(req, { localTag });
    } catch (err) {
      if (!(err instanceof DialogError)) throw err;
      await this.answer(tx, req, 400, err.message);
      return;
    }
    if (dialog.strictRouting) {
      this.log.warn("MWI subscription through a strict router: routed as if loose", { user });
    }
    const sub: Subscription = {
      user,
      dialog,
      eventId,
      source: tx.source,
      expiresAt: this.opts.clock.now() + expires * 1000,
      timer: undefined,
      queue: new Mutex(),
      ended: expires === 0,
      last: summary,
    };
    const resp = this.ok(req, sub, expires, localTag);
    for (const rr of req.headers.getAll("Record-Route")) resp.headers.append("Record-Route", rr);
    if (expires === 0) {
      if (await this.send(tx, resp)) void this.enqueue(sub, summary, "timeout");
      return;
    }
    // Caps per source and in total (sip/dialog/limits.ts): a refusal is a 503 with Retry-After.
    const capped = this.endpoint.subscriptionLimits.admit(sub, tx.source);
    if (capped) return void (await this.answer(tx, req, capped.status, capped.reason, capped.headers));
    this.add(sub, expires);
    // Queued before the 200 goes out, so a notify() racing with it comes after the first NOTIFY.
    const okSent = this.send(tx, resp);
    void this.enqueue(sub, summary, undefined, okSent);
    if (await okSent)
      this.log.info("MWI subscription", { user, expires, from: `${tx.source.address}:${tx.source.port}` });
    else this.remove(sub, "200 OK not sent");
  }

  private async refresh(
    tx: ServerTransaction,
    req: SipRequest,
    eventId: string | undefined,
    expires: number,
  ): Promise<void> {
    const id = incomingDialogId(req);
    const sub = id === undefined ? undefined : this.byKey.get(dialogKey(id));
    if (sub === undefined || sub.ended || sub.eventId !== eventId) {
      await this.answer(tx, req, 481, "Subscription Does Not Exist");
      return;
    }
    // The room's phone may have changed since: a subscriber no longer allowed loses the subscription.
    if (await this.refused(tx, req, sub.user)) return this.remove(sub, "subscriber no longer allowed");
    let order: "ok" | "out-of-order";
    try {
      order = sub.dialog.receive(req);
    } catch (err) {
      if (!(err instanceof DialogError)) throw err;
      await this.answer(tx, req, 400, err.message);
      return;
    }
    if (order === "out-of-order") {
      await this.answer(tx, req, 500, "CSeq Out of Order");
      return;
    }
    sub.source = tx.source;
    if (expires === 0) {
      this.remove(sub, "unsubscribed");
      if (await this.send(tx, this.ok(req, sub, 0))) void this.enqueue(sub, sub.last, "timeout");
      return;
    }
    let summary: MessageSummary | undefined;
    try {
      summary = await this.opts.summaryFor(sub.user);
    } catch (err) {
      this.log.warn("MWI summary lookup failed; the last one is sent", { user: sub.user, error: errorMessage(err) });
    }
    if (sub.ended) {
      await this.answer(tx, req, 481, "Subscription Does Not Exist");
      return;
    }
    this.arm(sub, expires);
    const okSent = this.send(tx, this.ok(req, sub, expires));
    void this.enqueue(sub, summary ?? sub.last, undefined, okSent);
    await okSent;
  }

  /** Answers 403 when `authorize` refuses the source; the log line is budgeted (a peer can repeat it). */
  private async refused(tx: ServerTransaction, req: SipRequest, user: string): Promise<boolean> {
    const why = await this.opts.authorize(user, tx.source);
    if (why === undefined) return false;
    const from = `${tx.source.address}:${tx.source.port}`;
    this.budget.info("mwi-subscribe-refused", "MWI SUBSCRIBE refused", { user, from, reason: why });
    await this.answer(tx, req, 403, why);
    return true;
  }

  /** 200 OK with To tag (a new dialog's), Contact and the granted Expires. */
  private ok(req: SipRequest, sub: Subscription, expires: number, toTag?: string): SipResponse {
    const resp = buildErrorResponse(req, 200, "OK", toTag === undefined ? {} : { toTag });
    resp.headers.append("Contact", this.contact(sub.user));
    resp.headers.append("Expires", String(expires));
    resp.headers.append("Server", this.endpoint.userAgent);
    return resp;
  }

  private contact(user: string): string {
    return portContact(user, { address: this.endpoint.bind, port: this.endpoint.port, transport: this.endpoint.kind });
  }

  private add(sub: Subscription, expires: number): void {
    this.byKey.set(sub.dialog.key, sub);
    let set = this.byUser.get(sub.user);
    if (!set) {
      set = new Set();
      this.byUser.set(sub.user, set);
    }
    set.add(sub);
    this.arm(sub, expires);
  }

  private arm(sub: Subscription, expires: number): void {
    const clock = this.opts.clock;
    clock.clearTimeout(sub.timer);
    sub.expiresAt = clock.now() + expires * 1000;
    sub.timer = clock.setTimeout(() => {
      sub.timer = undefined;
      if (sub.ended) return;
      this.remove(sub, "expired");
      void this.enqueue(sub, sub.last, "timeout");
    }, expires * 1000);
  }

  private remove(sub: Subscription, reason: string): void {
    const wasActive = !sub.ended;
    sub.ended = true;
    this.opts.clock.clearTimeout(sub.timer);
    sub.timer = undefined;
    if (this.byKey.get(sub.dialog.key) === sub) this.byKey.delete(sub.dialog.key);
    const set = this.byUser.get(sub.user);
    if (set?.delete(sub) && set.size === 0) this.byUser.delete(sub.user);
    if (wasActive) this.log.info("MWI subscription ended", { user: sub.user, reason });
  }

  /**
   * Queues a NOTIFY behind the subscription's previous one. Without `terminated` it is an active
   * NOTIFY, skipped if the subscription has ended by its turn; with it, the final NOTIFY. With
   * `after` (the 200 to the SUBSCRIBE being sent) it waits for that and is skipped if it failed.
   */
  private enqueue(
    sub: Subscription,
    summary: MessageSummary,
    terminated?: string,
    after?: Promise<boolean>,
  ): Promise<NotifyResult | "skipped"> {
    if (terminated === undefined) sub.last = summary;
    return sub.queue.run(async () => {
      if (after !== undefined && !(await after)) return "skipped";
      if (terminated === undefined && sub.ended) return "skipped";
      const remaining = Math.max(1, Math.ceil((sub.expiresAt - this.opts.clock.now()) / 1000));
      const state = terminated === undefined ? `active;expires=${remaining}` : `terminated;reason=${terminated}`;
      const result = await this.sendNotify(sub, state, summary);
      if (result === "gone") this.remove(sub, "NOTIFY rejected");
      return result;
    });
  }

  private sendNotify(sub: Subscription, state: string, summary: MessageSummary): Promise<NotifyResult> {
    return sendInDialogNotify(this.endpoint, this.log, sub, state, summary, this.contact(sub.user));
  }

  /** Sends a final error (or other) response; false if it could not be sent. */
  private answer(
    tx: ServerTransaction,
    req: SipRequest,
    status: number,
    reason: string,
    headers: ReadonlyArray<readonly [string, string]> = [],
  ): Promise<boolean> {
    if (tx.lastResponse !== undefined && tx.lastResponse.status >= 200) return Promise.resolve(false);
    const resp = buildErrorResponse(req, status, reason);
    for (const [name, value] of headers) resp.headers.append(name, value);
    return this.send(tx, resp);
  }

  private async send(tx: ServerTransaction, resp: SipResponse): Promise<boolean> {
    try {
      await tx.respond(resp);
      return true;
    } catch (err) {
      this.log.debug("MWI: response not sent", { status: resp.status, error: errorMessage(err) });
      return false;
    }
  }
}
