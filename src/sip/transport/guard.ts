/**
 * @module sip/transport/guard
 * What the transport checks before it reads anything a peer sent: the access filter (datagrams and
 * new connections), the datagram's size and shape, and the cap on open connections per source
 * address. Each refusal is counted in the layer's stats and logged through the log budget, since a
 * peer can cause any number of them: two lines a minute per kind at most, whatever the rate.
 */
import type net from "node:net";
import { errorMessage } from "../../lib/errors.ts";
import type { LogBudget } from "../../lib/log-budget.ts";
import { normalizeAddress } from "./address.ts";
import { PerSource } from "./per-source.ts";
import type { AccessFilter, TransportKind, TransportStats } from "./types.ts";
import { classifyDatagram } from "./udp.ts";

export interface InboundGuardOptions {
  allow: AccessFilter;
  /** Sources exempt from the per-source cap (the PBX and the proxy); none by default. */
  trusted?: AccessFilter;
  maxDatagramBytes: number;
  /** Inbound TCP/TLS connections open at once from one address (handshaking TLS ones included). */
  maxConnectionsPerSource: number;
  /** The layer's counters, updated in place. */
  counters: TransportStats;
  budget: LogBudget;
}

export class InboundGuard {
  /** Open inbound connections by source address, counted from accept to close. */
  readonly open = new PerSource();

  constructor(private readonly o: InboundGuardOptions) {}

  /** The access filter; one that throws says no. */
  allowed(address: string): boolean {
    try {
      return this.o.allow(address) === true;
    } catch (err) {
      this.o.budget.error("sip-filter-threw", "sip transport: access filter threw", {
        address,
        error: errorMessage(err),
      });
      return false;
    }
  }

  private trusted(address: string): boolean {
    try {
      return this.o.trusted?.(address) === true;
    } catch {
      return false;
    }
  }

  /** True when a datagram goes up to the parser; otherwise it was counted (keep-alives silently). */
  datagram(bytes: Uint8Array, from: string): boolean {
    const c = this.o.counters;
    if (!this.allowed(from)) {
      c.dropped.notAllowed++;
      this.o.budget.info("sip-not-allowed", "sip transport: traffic from an address not allowed dropped", {
        from,
        transport: "udp",
      });
      return false;
    }
    const verdict = classifyDatagram(bytes, this.o.maxDatagramBytes);
    if (verdict === "message") return true;
    if (verdict === "keepalive") return false;
    c.dropped[verdict]++;
    this.o.budget.info(`sip-datagram-${verdict}`, "sip transport: datagram dropped", {
      from,
      reason: verdict,
      bytes: bytes.length,
    });
    return false;
  }

  /**
   * A raw accepted socket (TCP, or TLS before its handshake): refused when the filter says no or its
   * source already has `maxConnectionsPerSource` open. An admitted socket counts until it closes.
   */
  admit(socket: net.Socket, kind: TransportKind, closed: boolean): boolean {
    const address = normalizeAddress(socket.remoteAddress);
    const c = this.o.counters;
    if (closed || !this.allowed(address)) {
      c.connections.refused++;
      c.dropped.notAllowed++;
      if (!closed) {
        this.o.budget.info("sip-not-allowed", "sip transport: traffic from an address not allowed dropped", {
          from: address,
          transport: kind,
        });
      }
      return false;
    }
    if (this.open.get(address) >= this.o.maxConnectionsPerSource && !this.trusted(address)) {
      c.connections.refused++;
      c.connections.overSourceLimit++;
      this.o.budget.warn("sip-connections-per-source", "sip transport: too many connections from one address", {
        from: address,
        transport: kind,
        limit: this.o.maxConnectionsPerSource,
      });
      return false;
    }
    this.open.add(address);
    socket.once("close", () => this.open.release(address));
    return true;
  }
}
