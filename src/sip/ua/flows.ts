/**
 * @module sip/ua/flows
 * The flows the ports are registered on (RFC 5626): over TLS the appliance listens nowhere, so the
 * connection a REGISTER was answered on is the only way the PBX can reach that port. Each such
 * connection gets one CRLF keep-alive (keepalive.ts), however many ports share it, and every port
 * bound to it hears once when it dies: no pong, a ping that cannot be sent, or the connection closed
 * by either side. A flow whose pong is missing is closed here, so nothing is sent on it any more and
 * the next REGISTER opens a new connection.
 */
import type { Clock } from "../../lib/clock.ts";
import type { Logger } from "../../lib/logger.ts";
import type { TransportLayer } from "../transport/layer.ts";
import { DEFAULT_KEEPALIVE_MS, KeepAlive, PONG_TIMEOUT_MS } from "./keepalive.ts";

/** Keep-alive timings; tests shrink them (the clock may shrink them too). */
export interface FlowTimings {
  /** Upper bound between pings when the registrar sends no Flow-Timer (default 120 s). */
  keepaliveMs?: number;
  /** Default 10 s. */
  pongTimeoutMs?: number;
  random?: () => number;
}

/** What one registration sees of its flow. */
export interface FlowInfo {
  connectionId: string;
  /** Upper bound between pings in force. */
  keepaliveMs: number;
  /** clock.now() of the last pong, null before the first. */
  lastPong: number | null;
  /** A missing pong kills the flow (outbound registrar, or the peer has answered a ping). */
  pongsRequired: boolean;
}

/** What flows need of the transport layer (a fake in unit tests). */
export type FlowTransport = Pick<
  TransportLayer,
  "onPong" | "onConnectionClose" | "ping" | "isOpen" | "closeConnection"
>;

type Watcher = { intervalMs: number; onDead: (reason: string) => void };

interface Flow {
  id: string;
  keepalive: KeepAlive;
  watchers: Map<object, Watcher>;
}

export class FlowKeeper {
  private readonly flows = new Map<string, Flow>();
  private readonly unsubscribe: (() => void)[];

  constructor(
    private readonly transport: FlowTransport,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly timings: FlowTimings = {},
  ) {
    this.unsubscribe = [
      transport.onPong((id) => this.flows.get(id)?.keepalive.pong()),
      transport.onConnectionClose((c) => {
        const flow = this.flows.get(c.connectionId);
        if (flow) this.fail(flow, `connection closed: ${c.reason}`);
      }),
    ];
  }

  /**
   * Binds `owner` to connection `connectionId` (replacing its interval, if already bound) and keeps
   * that connection alive. `registrar` is what the REGISTER's 2xx said: its Flow-Timer, and whether
   * it supports outbound (then a missing pong is a dead flow at once; else only once the peer has
   * answered a ping). `onDead` fires once if the flow dies while bound. False when the connection is
   * already closed: the flow died before it could be kept, and `onDead` will not fire.
   */
  watch(
    connectionId: string,
    owner: object,
    registrar: { flowTimerSeconds?: number; outbound: boolean },
    onDead: (reason: string) => void,
  ): boolean {
    if (!this.transport.isOpen(connectionId)) return false;
    let flow = this.flows.get(connectionId);
    if (!flow) {
      const created: Flow = {
        id: connectionId,
        watchers: new Map(),
        keepalive: new KeepAlive({
          clock: this.clock,
          intervalMs: this.defaultMs(),
          pongTimeoutMs: this.timings.pongTimeoutMs ?? PONG_TIMEOUT_MS,
          random: this.timings.random,
          ping: () => this.transport.ping(connectionId),
          onDead: (reason) => this.fail(created, reason),
        }),
      };
      flow = created;
      this.flows.set(connectionId, flow);
      this.log.debug("sip flow kept alive", { connection: connectionId });
    }
    const t = registrar.flowTimerSeconds;
    const intervalMs = t && t > 0 ? t * 1000 : this.defaultMs();
    flow.watchers.set(owner, { intervalMs, onDead });
    if (registrar.outbound) flow.keepalive.requirePongs();
    flow.keepalive.setInterval(Math.min(...[...flow.watchers.values()].map((w) => w.intervalMs)));
    flow.keepalive.start();
    return true;
  }

  /** `owner` no longer lives on this flow; the last one gone stops its keep-alive. */
  unwatch(connectionId: string, owner: object): void {
    const flow = this.flows.get(connectionId);
    if (!flow?.watchers.delete(owner)) return;
    if (flow.watchers.size > 0) return;
    flow.keepalive.stop();
    this.flows.delete(connectionId);
  }

  info(connectionId: string): FlowInfo | undefined {
    const flow = this.flows.get(connectionId);
    if (!flow) return undefined;
    return {
      connectionId,
      keepaliveMs: flow.keepalive.interval,
      lastPong: flow.keepalive.lastPong,
      pongsRequired: flow.keepalive.strict,
    };
  }

  /** Flows kept alive now. */
  get size(): number {
    return this.flows.size;
  }

  /** Stops every keep-alive (shutdown); nobody is told of a death. */
  close(): void {
    for (const flow of this.flows.values()) flow.keepalive.stop();
    this.flows.clear();
    for (const u of this.unsubscribe) u();
  }

  private defaultMs(): number {
    return this.timings.keepaliveMs ?? DEFAULT_KEEPALIVE_MS;
  }

  private fail(flow: Flow, reason: string): void {
    if (this.flows.get(flow.id) !== flow) return;
    this.flows.delete(flow.id);
    flow.keepalive.closed(reason);
    this.log.warn("SIP flow lost", { connection: flow.id, reason, ports: flow.watchers.size });
    // Closing it makes the next REGISTER (and every request) open a new connection.
    this.transport.closeConnection(flow.id);
    for (const w of flow.watchers.values()) {
      try {
        w.onDead(reason);
      } catch (err) {
        this.log.error("sip flow: a port's flow handler threw", { error: String(err) });
      }
    }
  }
}
