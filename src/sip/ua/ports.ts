/**
 * @module sip/ua/ports
 * The appliance's SIP ports: one endpoint on the VoIP NIC and a registration per configured port.
 * Built from the `sip` config; the rest of the appliance sees `status()`, `start()` and `stop()`.
 */
import { readFileSync } from "node:fs";
import type { SipConfig } from "../../config/schema.ts";
import type { Clock } from "../../lib/clock.ts";
import type { Logger } from "../../lib/logger.ts";
import type { TransactionTimers } from "../transaction/timers.ts";
import { SipEndpoint } from "./endpoint.ts";
import { PortRegistration, type PortStatus } from "./registration.ts";

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
}

export class SipPorts {
  readonly endpoint: SipEndpoint;
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

  async start(): Promise<void> {
    await this.endpoint.start();
    for (const r of this.registrations) r.start();
  }

  status(): PortStatus[] {
    return this.registrations.map((r) => r.status());
  }

  async stop(): Promise<void> {
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
