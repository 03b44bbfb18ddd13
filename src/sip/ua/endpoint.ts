/**
 * @module sip/ua/endpoint
 * One SIP endpoint: the transports bound to the VoIP NIC, the parser, and the transaction layer,
 * wired together. Bytes in are parsed (a request that cannot be parsed but can be answered gets its
 * 400) and handed to the transactions; messages out are serialized and sent. The debug packet log
 * masks credentials.
 *
 * It also holds what bounds the endpoint under abuse: the caps of every layer (`EndpointLimits`),
 * the subscription caps the MWI code asks, and one log budget for every event a peer can repeat at
 * will (malformed messages, refused sources, caps reached). Nothing received can throw out of
 * `receive`: a message that breaks something is dropped and counted.
 */

import type { Clock } from "../../lib/clock.ts";
import { errorMessage } from "../../lib/errors.ts";
import { LogBudget } from "../../lib/log-budget.ts";
import type { Logger } from "../../lib/logger.ts";
import { maskSipHeaders } from "../auth/credentials.ts";
import { SubscriptionLimits, type SubscriptionStats } from "../dialog/limits.ts";
import {
  buildErrorResponse,
  type ParseResult,
  parseMessage,
  type SipMessage,
  SipStreamFramer,
  serialize,
} from "../message/index.ts";
import type { ServerLimits } from "../transaction/admission.ts";
import { type ServerStats, TransactionLayer } from "../transaction/layer.ts";
import type { TransactionTimers } from "../transaction/timers.ts";
import type { Target } from "../transaction/types.ts";
import { TRANSPORT_DEFAULTS, TransportLayer } from "../transport/layer.ts";
import type { TlsClientOptions } from "../transport/tls.ts";
import type { FramerEvent, Inbound, StreamFramer, TransportKind } from "../transport/types.ts";

export interface EndpointOptions {
  /** VoIP NIC address every socket binds to. */
  bind: string;
  port: number;
  transport: TransportKind;
  /** Inbound SIP is accepted only from addresses this allows (PBX, proxy, phone networks). */
  allow: (address: string) => boolean;
  clock: Clock;
  logger: Logger;
  tls?: TlsClientOptions;
  /** Debug packet log, switchable at run time. */
  debug?: () => boolean;
  /** Shrunk T1/T2/T4 in tests (deriveTimers). */
  timers?: TransactionTimers;
  userAgent?: string;
  /** Sources exempt from the per-source caps (the PBX and the proxy). */
  trusted?: (address: string) => boolean;
  limits?: EndpointLimits;
}

/** Every cap of the endpoint; each defaults as in its layer (see `sip.limits` in the config). */
export interface EndpointLimits extends ServerLimits {
  subscriptionsPerSource?: number;
  subscriptionsTotal?: number;
  connectionsPerSource?: number;
}

/** The caps in force, what is live, and what was refused or dropped, for the API. */
export interface EndpointLimitStats {
  serverTransactions: ServerStats;
  subscriptions: SubscriptionStats;
  connections: { limitPerSource: number; open: number; refusedPerSource: number };
  malformed: { received: number; answered400: number; dropped: number };
}

export class SipEndpoint {
  readonly transport: TransportLayer;
  readonly transactions: TransactionLayer;
  /** The port actually listened on (after `start`). */
  port = 0;
  readonly userAgent: string;
  /** Caps on subscription dialogs; the MWI subscriptions ask it before granting one. */
  readonly subscriptionLimits: SubscriptionLimits;
  /** Where every peer-caused event of this endpoint is logged. */
  readonly budget: LogBudget;
  private readonly textDecoder = new TextDecoder();
  /** Malformed messages: received, answered 400/505, dropped without an answer. */
  counters = { unparseable: 0, answered400: 0, droppedMalformed: 0 };
  private readonly connectionsPerSource: number | undefined;

  constructor(private readonly opts: EndpointOptions) {
    this.userAgent = opts.userAgent ?? "bellhop";
    const log = opts.logger;
    const limits = opts.limits ?? {};
    this.budget = new LogBudget(log, opts.clock);
    this.subscriptionLimits = new SubscriptionLimits({
      perSource: limits.subscriptionsPerSource,
      total: limits.subscriptionsTotal,
      trusted: opts.trusted,
      budget: this.budget,
    });
    this.connectionsPerSource = limits.connectionsPerSource;
    this.transport = new TransportLayer({
      allow: opts.allow,
      trusted: opts.trusted,
      budget: this.budget,
      maxConnectionsPerSource: limits.connectionsPerSource,
      framer: () => streamFramer(new SipStreamFramer()),
      clock: opts.clock,
      logger: log,
      tls: opts.tls,
      onPacket: (dir, remote, bytes) => {
        if (!opts.debug?.()) return;
        log.debug("sip packet", {
          dir,
          remote: `${remote.transport}:${remote.address}:${remote.port}`,
          text: maskSipHeaders(this.textDecoder.decode(bytes)),
        });
      },
    });
    this.transactions = new TransactionLayer({
      clock: opts.clock,
      logger: log,
      timers: opts.timers,
      send: (msg, target) => this.send(msg, target),
      limits,
      trusted: opts.trusted,
      budget: this.budget,
    });
    this.transport.onMessage((m) => this.receive(m));
  }

  get bind(): string {
    return this.opts.bind;
  }

  get kind(): TransportKind {
    return this.opts.transport;
  }

  async start(): Promise<void> {
    // A TLS client needs no listener of its own (the PBX reuses our connection); UDP and TCP listen.
    if (this.opts.transport !== "tls") {
      this.port = await this.transport.listen({
        kind: this.opts.transport,
        bind: this.opts.bind,
        port: this.opts.port,
      });
    } else {
      this.port = this.opts.port;
    }
  }

  async send(msg: SipMessage, target: Target): Promise<void> {
    await this.transport.send(
      { transport: target.transport, address: target.address, port: target.port },
      serialize(msg),
      { connectionId: target.connectionId },
    );
  }

  /** The caps, what is live and what was refused, across the layers. */
  limitStats(): EndpointLimitStats {
    const t = this.transport.stats();
    const c = this.counters;
    return {
      serverTransactions: this.transactions.serverStats(),
      subscriptions: this.subscriptionLimits.stats(),
      connections: {
        limitPerSource: this.connectionsPerSource ?? TRANSPORT_DEFAULTS.maxConnectionsPerSource,
        open: t.connections.open,
        refusedPerSource: t.connections.overSourceLimit,
      },
      malformed: { received: c.unparseable, answered400: c.answered400, dropped: c.droppedMalformed },
    };
  }

  private receive(m: Inbound): void {
    const source: Target = { ...m.remote, connectionId: m.connectionId };
    let parsed: ParseResult;
    try {
      parsed = parseMessage(m.bytes, { stream: m.remote.transport !== "udp" });
    } catch (err) {
      // parseMessage never throws on input; should it ever, the message is malformed all the same.
      parsed = { ok: false, reason: `parser failed: ${errorMessage(err)}` };
    }
    if (!parsed.ok) {
      if (!parsed.keepalive) this.malformed(parsed, source);
      return;
    }
    this.transactions.handle(parsed.message, source);
  }

  /** Answers 400 (505) when the parser salvaged what a response copies, else drops; logged within the budget. */
  private malformed(parsed: Extract<ParseResult, { ok: false }>, source: Target): void {
    this.counters.unparseable++;
    const answerable = parsed.canAnswer400;
    let resp: SipMessage | undefined;
    if (answerable) {
      try {
        resp = buildErrorResponse(answerable, answerable.status, parsed.reason);
      } catch {
        resp = undefined;
      }
    }
    this.budget.warn("sip-malformed", "malformed SIP message", {
      from: `${source.address}:${source.port}`,
      reason: parsed.reason,
      answered: resp ? answerable?.status : "dropped",
    });
    if (!resp) {
      this.counters.droppedMalformed++;
      return;
    }
    this.counters.answered400++;
    this.send(resp, source).catch((err) =>
      this.opts.logger.debug("cannot answer a bad request", { error: errorMessage(err) }),
    );
  }

  async close(): Promise<void> {
    this.transactions.close();
    await this.transport.close();
    this.budget.flush();
  }
}

/** The SIP framer as the transport wants it (pings are answered there, pongs feed the flows' keep-alives). */
function streamFramer(framer: SipStreamFramer): StreamFramer {
  return {
    push: (chunk: Uint8Array): FramerEvent[] => framer.push(chunk),
    buffered: () => framer.buffered,
    expectPong: () => framer.expectPong(),
  };
}
