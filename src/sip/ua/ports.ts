/**
 * @module sip/ua/ports
 * The appliance's SIP ports: one endpoint on the VoIP NIC and a registration per configured port
 * (port-pool.ts), the calls they place and the requests that reach them. Built from the `sip`
 * config; the rest of the appliance sees `status()`, `start()` and `stop()`.
 */
import { readFileSync } from "node:fs";
import type { SipConfig } from "../../config/schema.ts";
import type { Clock } from "../../lib/clock.ts";
import type { Logger } from "../../lib/logger.ts";
import { buildErrorResponse, type SipRequest } from "../message/index.ts";
import type { ServerTransaction } from "../transaction/server.ts";
import type { TransactionTimers } from "../transaction/timers.ts";
import type { Target } from "../transaction/types.ts";
import { CallRegistry } from "./calls.ts";
import type { EndpointLimitStats } from "./endpoint.ts";
import { SipEndpoint } from "./endpoint.ts";
import type { FlowTimings } from "./flows.ts";
import { InboundCall } from "./inbound-call.ts";
import type { MwiSubscriptionsLike } from "./mwi.ts";
import type { MessageSummary } from "./mwi-body.ts";
import { mailboxWatchers } from "./mwi-subscribe-request.ts";
import { MwiSubscriptions } from "./mwi-subscriptions.ts";
import { OutboundCall, type OutboundResult } from "./outbound-call.ts";
import { type PortLease, PortPool } from "./port-pool.ts";
import type { PortStatus } from "./registration.ts";
import { ALLOW, statelessAnswer } from "./stateless.ts";

export interface SipTraffic {
  datagramsIn: number;
  streamMessagesIn: number;
  droppedNotAllowed: number;
  droppedOversized: number;
  droppedFraming: number;
  unparseable: number;
  answered400: number;
  /** Malformed and not answerable (no Via, or a bare CR in what a response copies): dropped. */
  droppedMalformed: number;
  connectionsOpen: number;
  connectionsRefused: number;
}

export type { PortLease } from "./port-pool.ts";

export interface PlaceCallOptions {
  callee: string;
  sdp: Uint8Array;
  ringTimeoutMs: number;
  onRinging?: () => void;
}

/** An INVITE that reached a port, not yet answered; the owner accepts, redirects or rejects it. */
export interface IncomingCall {
  readonly invite: InboundCall;
  /** The port it is for, taken for the duration of the call (release it when the call is over). */
  readonly lease: PortLease;
}

export interface SipPortsOptions {
  config: SipConfig;
  clock: Clock;
  logger: Logger;
  /** Inbound SIP filter beyond the PBX and proxy addresses (the phone networks). */
  allowAlso?: (address: string) => boolean;
  debug?: () => boolean;
  timers?: TransactionTimers;
  /** Tests shorten the slow retry after a rejected password. */
  authRetryMs?: number;
  /** Keep-alive timings of the TLS flows (RFC 5626); tests shrink them. */
  flow?: FlowTimings;
  userAgent?: string;
  /** The message summary of an extension, for phones that SUBSCRIBE; undefined = unknown user (404). */
  summaryFor?: (user: string) => Promise<MessageSummary | undefined>;
  /**
   * The phone address (`IP:port`) the room with this extension knows: a SUBSCRIBE for its mailbox is
   * accepted from that IP, or from the PBX or proxy, and refused (403) from anywhere else.
   */
  mailboxPhoneOf?: (user: string) => Promise<string | null | undefined>;
}

export class SipPorts {
  readonly endpoint: SipEndpoint;
  /** Phones subscribed to message-summary; the MWI sender notifies them in their dialogs. */
  subscriptions: MwiSubscriptionsLike | undefined = undefined;
  private readonly pool: PortPool;
  readonly calls = new CallRegistry();
  private readonly pendingInvites = new Map<string, InboundCall>();
  private readonly outbound = new Set<OutboundCall>();
  private readonly target: Target;
  private readonly domain: string;
  private readonly proxy: { address: string; port: number } | undefined;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly timers: TransactionTimers | undefined;
  /**
   * Inbound calls (the IVR). Without a handler, INVITEs are answered 480. The handler must accept
   * or reject `call.invite` and release `call.lease` when the call is over.
   */
  onInvite: ((call: IncomingCall) => void) | undefined = undefined;

  constructor(opts: SipPortsOptions) {
    const { config, logger } = opts;
    const pbx = config.pbx.address;
    if (!pbx) throw new Error("sip.pbx.address is not set");
    const trusted = new Set([pbx, config.proxy?.address].filter((a): a is string => !!a));
    const tls = config.local.transport === "tls" ? tlsOptions(config) : undefined;
    if (tls?.rejectUnauthorized === false)
      logger.warn("SIP TLS certificate verification is switched off (sip.tls.verify)");
    this.endpoint = new SipEndpoint({
      bind: config.bind,
      port: config.local.port,
      transport: config.local.transport,
      allow: (a) => trusted.has(a) || (opts.allowAlso?.(a) ?? false),
      clock: opts.clock,
      logger: logger.child({ part: "sip" }),
      tls,
      debug: opts.debug,
      timers: opts.timers,
      userAgent: opts.userAgent,
      // The PBX and proxy are exempt from the per-source caps: every phone behind them shares their address.
      trusted: (a) => trusted.has(a),
      limits: config.limits,
    });
    this.endpoint.transactions.onRequest = (tx, req) => this.dispatch(tx, req);
    this.endpoint.transactions.onAck = (ack) => this.calls.ack(ack);
    this.endpoint.transactions.onStateless = (req) =>
      statelessAnswer(req, {
        knowsDialog: (r) => this.calls.knows(r),
        subscriptions: this.subscribeHandler !== undefined,
      });
    this.clock = opts.clock;
    this.log = logger.child({ part: "sip" });
    this.timers = opts.timers;
    if (opts.summaryFor) {
      const subs = new MwiSubscriptions(this.endpoint, {
        clock: opts.clock,
        logger: logger.child({ part: "sip" }),
        summaryFor: opts.summaryFor,
        authorize: mailboxWatchers(trusted, opts.mailboxPhoneOf),
      });
      this.subscriptions = subs;
      this.subscribeHandler = (tx, req) => subs.handleSubscribe(tx, req);
      this.closeSubscriptions = () => subs.close({ notify: true });
    }
    const target = {
      transport: config.local.transport,
      address: config.proxy?.address ?? pbx,
      port: config.proxy ? config.proxy.port : config.pbx.port,
    };
    const domain = config.pbx.registerUsing === "domain" && config.pbx.domain ? config.pbx.domain : pbx;
    this.target = target;
    this.domain = domain;
    this.proxy = config.proxy ?? undefined;
    this.pool = new PortPool({
      endpoint: this.endpoint,
      config,
      target,
      domain,
      clock: opts.clock,
      logger: logger.child({ part: "sip" }),
      authRetryMs: opts.authRetryMs,
      flow: opts.flow,
    });
  }

  /** Registered ports not in a call. */
  freePorts(): number {
    return this.pool.freePorts();
  }

  /**
   * Takes a registered port that is not in a call (`prefer` first, when free), marking it busy at
   * once; undefined when none is free.
   */
  acquirePort(prefer?: string): PortLease | undefined {
    return this.pool.acquire(prefer);
  }

  /** Places a call from the leased port through the PBX (or proxy); resolves when answered or failed. */
  async placeCall(lease: PortLease, o: PlaceCallOptions): Promise<OutboundResult> {
    const account = this.pool.account(lease.user);
    const auth = this.pool.auth(lease.user);
    if (!account || !auth) return { answered: false, outcome: "failed", reason: `no port ${lease.user}` };
    const call = new OutboundCall({
      endpoint: this.endpoint,
      user: account.user,
      displayName: account.displayName,
      auth,
      domain: this.domain,
      target: this.target,
      proxy: this.proxy,
      callee: o.callee,
      sdp: o.sdp,
      ringTimeoutMs: o.ringTimeoutMs,
      clock: this.clock,
      logger: this.log,
      onRinging: o.onRinging,
      cancelGuardMs: this.timers ? this.timers.b : undefined,
    });
    this.outbound.add(call);
    try {
      const r = await call.start();
      if (r.answered) this.calls.add(r.call);
      return r;
    } finally {
      this.outbound.delete(call);
    }
  }

  /** A new INVITE: a port answers it through `onInvite`, else 480/486. */
  private incomingInvite(tx: ServerTransaction, req: SipRequest): void {
    const inbound = (lease?: PortLease) =>
      new InboundCall({
        endpoint: this.endpoint,
        tx,
        request: req,
        user: req.uri.kind === "sip" && req.uri.user ? req.uri.user : (this.pool.accounts[0]?.user ?? "bellhop"),
        domain: this.domain,
        port: lease?.user,
        auth: lease ? this.pool.auth(lease.user) : undefined,
        clock: this.clock,
        logger: this.log,
        t1: this.timers?.t1,
        t2: this.timers?.t2,
        onAccepted: (call, ack) => this.calls.add(call, ack),
      });
    if (!this.onInvite) {
      inbound().reject(480, "Temporarily Unavailable");
      return;
    }
    // The port the PBX delivered the call to, when the Request-URI names one; else any free one.
    const lease = this.pool.leaseFor(req.uri.kind === "sip" ? req.uri.user : undefined);
    if (!lease) {
      inbound().reject(486, "Busy Here");
      return;
    }
    const call = inbound(lease);
    const key = tx.key;
    this.pendingInvites.set(key, call);
    void call.confirmed.then(() => this.pendingInvites.delete(key));
    try {
      this.onInvite({ invite: call, lease });
    } catch (err) {
      lease.release();
      call.reject(500, "Server Internal Error");
      this.log.error("inbound call handler failed", { error: String(err) });
    }
  }

  private cancelInvite(tx: ServerTransaction, req: SipRequest): void {
    const inviteTx = this.endpoint.transactions.inviteServerFor(req);
    const inbound = inviteTx ? this.pendingInvites.get(inviteTx.key) : undefined;
    if (!inbound) {
      tx.respond(buildErrorResponse(req, 481, "Call/Transaction Does Not Exist")).catch(() => {});
      return;
    }
    tx.respond(buildErrorResponse(req, 200, "OK", { toTag: inbound.localTag })).catch(() => {});
    inbound.cancel();
  }

  /** Answers requests arriving on the ports: calls, in-dialog requests, OPTIONS, SUBSCRIBE. */
  private dispatch(tx: ServerTransaction, req: SipRequest): void {
    const reply = (status: number, reason: string, extra: [string, string][] = []) => {
      const resp = buildErrorResponse(req, status, reason);
      for (const [n, v] of extra) resp.headers.append(n, v);
      tx.respond(resp).catch(() => {});
    };
    if (req.method === "CANCEL") {
      this.cancelInvite(tx, req);
      return;
    }
    let inDialog = false;
    try {
      inDialog = req.to.tag !== undefined;
    } catch {
      reply(400, "Bad To header");
      return;
    }
    if (inDialog && req.method !== "SUBSCRIBE") {
      this.calls.dispatch(tx, req);
      return;
    }
    switch (req.method) {
      case "OPTIONS":
        reply(200, "OK", [["Allow", ALLOW]]);
        return;
      case "SUBSCRIBE":
        if (this.subscribeHandler) {
          this.subscribeHandler(tx, req)
            .then((handled) => {
              if (!handled) reply(489, "Bad Event", [["Allow-Events", "message-summary"]]);
            })
            .catch(() => reply(500, "Server Internal Error"));
          return;
        }
        reply(489, "Bad Event", [["Allow-Events", "message-summary"]]);
        return;
      case "INVITE":
        this.incomingInvite(tx, req);
        return;
      default:
        reply(405, "Method Not Allowed", [["Allow", ALLOW]]);
    }
  }

  /** Who handles SUBSCRIBE (message-summary); resolves false for events it does not serve. */
  subscribeHandler: ((tx: ServerTransaction, req: SipRequest) => Promise<boolean>) | undefined = undefined;

  async start(): Promise<void> {
    await this.endpoint.start();
    this.pool.start();
  }

  status(): PortStatus[] {
    return this.pool.status();
  }

  /** What reached the SIP sockets: accepted, and dropped by reason (not allowed, oversized, unparseable). */
  traffic(): SipTraffic {
    const t = this.endpoint.transport.stats();
    return {
      datagramsIn: t.datagramsIn,
      streamMessagesIn: t.streamMessagesIn,
      droppedNotAllowed: t.dropped.notAllowed,
      droppedOversized: t.dropped.oversized,
      droppedFraming: t.dropped.framing,
      unparseable: this.endpoint.counters.unparseable,
      answered400: this.endpoint.counters.answered400,
      droppedMalformed: this.endpoint.counters.droppedMalformed,
      connectionsOpen: t.connections.open,
      connectionsRefused: t.connections.refused,
    };
  }

  /** The caps of the endpoint, what is live under them and what they refused. */
  limits(): EndpointLimitStats {
    return this.endpoint.limitStats();
  }

  private closeSubscriptions: (() => Promise<void>) | undefined;

  async stop(): Promise<void> {
    for (const c of this.outbound) c.abort();
    await Promise.all(this.calls.all().map((c) => c.hangup(1000)));
    await this.closeSubscriptions?.();
    await this.pool.stop();
    await this.endpoint.close();
  }
}

function tlsOptions(config: SipConfig) {
  return {
    ca: config.tls.caFile ? readFileSync(config.tls.caFile, "utf8") : undefined,
    servername: config.tls.serverName ?? undefined,
    rejectUnauthorized: config.tls.verify,
  };
}
