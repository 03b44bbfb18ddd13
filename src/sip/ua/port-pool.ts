/**
 * @module sip/ua/port-pool
 * The configured ports: their registrations with the PBX (over TLS with the flows they live on,
 * RFC 5626) and which of them are in a call. A port is free when it is registered and not leased;
 * a port whose flow died is not registered until its new REGISTER is answered, so no wake-up call
 * is placed on it meanwhile.
 */
import type { SipConfig } from "../../config/schema.ts";
import type { Clock } from "../../lib/clock.ts";
import type { Logger } from "../../lib/logger.ts";
import { DigestSession } from "../auth/session.ts";
import type { Target } from "../transaction/types.ts";
import type { SipEndpoint } from "./endpoint.ts";
import { FlowKeeper, type FlowTimings } from "./flows.ts";
import { usesFlows } from "./outbound.ts";
import { type PortAccount, PortRegistration, type PortStatus } from "./registration.ts";

/** A port taken for one call; `release` frees it (idempotent). */
export interface PortLease {
  readonly user: string;
  release(): void;
}

export interface PortPoolOptions {
  endpoint: SipEndpoint;
  config: SipConfig;
  /** Where REGISTERs go: the PBX, or the outbound proxy. */
  target: Target;
  /** Request-URI / AoR host. */
  domain: string;
  clock: Clock;
  logger: Logger;
  /** Tests shorten the slow retry after a rejected password. */
  authRetryMs?: number;
  /** Keep-alive timings of the TLS flows (tests shrink them). */
  flow?: FlowTimings;
}

export class PortPool {
  readonly accounts: readonly PortAccount[];
  /** TLS only: the flows the registrations live on. */
  readonly flows: FlowKeeper | undefined;
  private readonly registrations: PortRegistration[] = [];
  private readonly callAuth = new Map<string, DigestSession>();
  private readonly busy = new Set<string>();

  constructor(o: PortPoolOptions) {
    const { config, endpoint } = o;
    this.accounts = config.ports;
    this.flows = usesFlows(config.local.transport)
      ? new FlowKeeper(endpoint.transport, o.clock, o.logger, o.flow)
      : undefined;
    for (const p of config.ports) {
      this.callAuth.set(
        p.user,
        new DigestSession({
          username: p.authUser || p.user,
          password: p.password,
          realm: config.pbx.realm ?? undefined,
        }),
      );
      this.registrations.push(
        new PortRegistration(
          endpoint,
          p,
          {
            domain: o.domain,
            target: o.target,
            proxy: config.proxy ?? undefined,
            expiresSeconds: config.pbx.expiresSeconds,
            realm: config.pbx.realm,
            authRetryMs: o.authRetryMs,
            flows: this.flows,
          },
          o.clock,
          o.logger,
        ),
      );
    }
  }

  account(user: string): PortAccount | undefined {
    return this.accounts.find((a) => a.user === user);
  }

  /** The digest session of a port's calls (INVITE challenges). */
  auth(user: string): DigestSession | undefined {
    return this.callAuth.get(user);
  }

  /** Registered ports not in a call. */
  freePorts(): number {
    let n = 0;
    for (let i = 0; i < this.registrations.length; i++) if (this.isFree(i)) n++;
    return n;
  }

  /**
   * Takes a registered port that is not in a call (`prefer` first, when free), marking it busy at
   * once; undefined when none is free.
   */
  acquire(prefer?: string): PortLease | undefined {
    let chosen: string | undefined;
    for (let i = 0; i < this.registrations.length; i++) {
      if (!this.isFree(i)) continue;
      const user = this.accounts[i].user;
      if (chosen === undefined || user === prefer) chosen = user;
      if (user === prefer) break;
    }
    return chosen === undefined ? undefined : this.lease(chosen);
  }

  /** The port a call was delivered to when it is ours and not in a call, else any free one. */
  leaseFor(dialled: string | undefined): PortLease | undefined {
    const mine = dialled !== undefined && this.accounts.some((a) => a.user === dialled);
    return mine && !this.busy.has(dialled) ? this.lease(dialled) : this.acquire();
  }

  start(): void {
    for (const r of this.registrations) r.start();
  }

  status(): PortStatus[] {
    return this.registrations.map((r) => r.status());
  }

  /** Unregisters every port, then stops the keep-alives. */
  async stop(): Promise<void> {
    await Promise.all(this.registrations.map((r) => r.stop()));
    this.flows?.close();
  }

  private isFree(i: number): boolean {
    return !this.busy.has(this.accounts[i].user) && this.registrations[i].status().state === "registered";
  }

  private lease(user: string): PortLease {
    this.busy.add(user);
    let released = false;
    return {
      user,
      release: () => {
        if (released) return;
        released = true;
        this.busy.delete(user);
      },
    };
  }
}
