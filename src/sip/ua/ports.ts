/**
 * @module sip/ua/ports
 * The appliance's SIP ports: one endpoint on the VoIP NIC and a registration per configured port.
 * Built from the `sip` config; the rest of the appliance sees `status()`, `start()` and `stop()`.
 */
import { readFileSync } from "node:fs";
import type { SipConfig } from "../../config/schema.ts";
import type { Clock } from "../../lib/clock.ts";
import type { Logger } from "../../lib/logger.ts";
import { buildErrorResponse, type SipRequest } from "../message/index.ts";
import type { ServerTransaction } from "../transaction/server.ts";
import type { TransactionTimers } from "../transaction/timers.ts";
import { SipEndpoint } from "./endpoint.ts";
import type { MwiSubscriptionsLike } from "./mwi.ts";
import type { MessageSummary } from "./mwi-body.ts";
import { MwiSubscriptions } from "./mwi-subscriptions.ts";
import { PortRegistration, type PortStatus } from "./registration.ts";

export interface SipTraffic {
  datagramsIn: number;
  streamMessagesIn: number;
  droppedNotAllowed: number;
  droppedOversized: number;
  droppedFraming: number;
  unparseable: number;
  answered400: number;
  connectionsOpen: number;
  connectionsRefused: number;
}

const ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, NOTIFY, SUBSCRIBE";

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
  userAgent?: string;
  /** The message summary of an extension, for phones that SUBSCRIBE; undefined = unknown user (404). */
  summaryFor?: (user: string) => Promise<MessageSummary | undefined>;
}

export class SipPorts {
  readonly endpoint: SipEndpoint;
  /** Phones subscribed to message-summary; the MWI sender notifies them in their dialogs. */
  subscriptions: MwiSubscriptionsLike | undefined = undefined;
  private readonly registrations: PortRegistration[] = [];

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
    });
    this.endpoint.transactions.onRequest = (tx, req) => this.dispatch(tx, req);
    if (opts.summaryFor) {
      const subs = new MwiSubscriptions(this.endpoint, {
        clock: opts.clock,
        logger: logger.child({ part: "sip" }),
        summaryFor: opts.summaryFor,
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
    for (const p of config.ports) {
      this.registrations.push(
        new PortRegistration(
          this.endpoint,
          p,
          {
            domain,
            target,
            proxy: config.proxy ?? undefined,
            expiresSeconds: config.pbx.expiresSeconds,
            realm: config.pbx.realm,
            authRetryMs: opts.authRetryMs,
          },
          opts.clock,
          logger.child({ part: "sip" }),
        ),
      );
    }
  }

  /** Answers requests arriving on the ports. Calls (INVITE) are the wake-up/IVR work of a later issue. */
  private dispatch(tx: ServerTransaction, req: SipRequest): void {
    const reply = (status: number, reason: string, extra: [string, string][] = []) => {
      const resp = buildErrorResponse(req, status, reason);
      for (const [n, v] of extra) resp.headers.append(n, v);
      tx.respond(resp).catch(() => {});
    };
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
        reply(480, "Temporarily Unavailable");
        return;
      default:
        reply(405, "Method Not Allowed", [["Allow", ALLOW]]);
    }
  }

  /** Who handles SUBSCRIBE (message-summary); resolves false for events it does not serve. */
  subscribeHandler: ((tx: ServerTransaction, req: SipRequest) => Promise<boolean>) | undefined = undefined;

  async start(): Promise<void> {
    await this.endpoint.start();
    for (const r of this.registrations) r.start();
  }

  status(): PortStatus[] {
    return this.registrations.map((r) => r.status());
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
      connectionsOpen: t.connections.open,
      connectionsRefused: t.connections.refused,
    };
  }

  private closeSubscriptions: (() => Promise<void>) | undefined;

  async stop(): Promise<void> {
    await this.closeSubscriptions?.();
    await Promise.all(this.registrations.map((r) => r.stop()));
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
