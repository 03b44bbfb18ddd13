/**
 * @module sip/transport/layer
 * The SIP transport layer (RFC 3261 §18): owns every listener and connection, moves bytes between
 * them and the layer above (`onMessage`), and guards the appliance: an access filter before anything
 * is read, size limits, a read timeout for incomplete stream messages, a connection limit in total
 * and per source address (guard.ts). Nothing a peer sends can throw out of here or stall another
 * flow, and what it makes happen is logged within a log budget, never once per packet.
 */
import net from "node:net";
import { type Clock, systemClock } from "../../lib/clock.ts";
import { errorMessage } from "../../lib/errors.ts";
import { LogBudget } from "../../lib/log-budget.ts";
import { type Logger, silentLogger } from "../../lib/logger.ts";
import { endpointKey, isIPv6, isWildcard } from "./address.ts";
import { ConnectionTable } from "./connections.ts";
import { InboundGuard } from "./guard.ts";
import {
  emptyStats,
  type ListenOptions,
  type SendOptions,
  TRANSPORT_DEFAULTS,
  type TransportLayerOptions,
} from "./options.ts";
import { StreamConnection, type StreamDrop, type StreamEvents, tuneSocket } from "./stream-connection.ts";
import { dialTcp, listenTcp, type StreamListener } from "./tcp.ts";
import { dialTls, listenTls } from "./tls.ts";
import type {
  CloseHandler,
  Inbound,
  MessageHandler,
  PongHandler,
  Remote,
  TransportKind,
  TransportStats,
} from "./types.ts";
import { UdpListener } from "./udp.ts";

export { type ListenOptions, type SendOptions, TRANSPORT_DEFAULTS, type TransportLayerOptions } from "./options.ts";

type AnyListener = { kind: TransportKind; address: string; port: number; close(): Promise<void> };

export class TransportLayer {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly limits: Required<
    Omit<TransportLayerOptions, "allow" | "trusted" | "budget" | "framer" | "clock" | "logger" | "tls" | "onPacket">
  >;
  private readonly budget: LogBudget;
  private readonly guard: InboundGuard;
  private readonly counters = emptyStats();
  private readonly udp: UdpListener[] = [];
  private readonly listeners: AnyListener[] = [];
  private readonly table: ConnectionTable<StreamConnection>;
  private readonly dialing = new Map<string, Promise<StreamConnection>>();
  private readonly messageHandlers = new Set<MessageHandler>();
  private readonly closeHandlers = new Set<CloseHandler>();
  private readonly pongHandlers = new Set<PongHandler>();
  private readonly streamEvents: StreamEvents;
  private nextConnection = 1;
  private closed = false;

  constructor(private readonly opts: TransportLayerOptions) {
    this.clock = opts.clock ?? systemClock;
    this.log = opts.logger ?? silentLogger;
    this.limits = {
      maxDatagramBytes: opts.maxDatagramBytes ?? TRANSPORT_DEFAULTS.maxDatagramBytes,
      maxMessageBytes: opts.maxMessageBytes ?? TRANSPORT_DEFAULTS.maxMessageBytes,
      readTimeoutMs: opts.readTimeoutMs ?? TRANSPORT_DEFAULTS.readTimeoutMs,
      idleTimeoutMs: opts.idleTimeoutMs ?? TRANSPORT_DEFAULTS.idleTimeoutMs,
      connectTimeoutMs: opts.connectTimeoutMs ?? TRANSPORT_DEFAULTS.connectTimeoutMs,
      maxConnections: Math.max(1, opts.maxConnections ?? TRANSPORT_DEFAULTS.maxConnections),
      maxConnectionsPerSource: Math.max(1, opts.maxConnectionsPerSource ?? TRANSPORT_DEFAULTS.maxConnectionsPerSource),
      maxWriteBufferBytes: opts.maxWriteBufferBytes ?? TRANSPORT_DEFAULTS.maxWriteBufferBytes,
    };
    this.budget = opts.budget ?? new LogBudget(this.log, this.clock);
    this.guard = new InboundGuard({
      allow: opts.allow,
      trusted: opts.trusted,
      maxDatagramBytes: this.limits.maxDatagramBytes,
      maxConnectionsPerSource: this.limits.maxConnectionsPerSource,
      counters: this.counters,
      budget: this.budget,
    });
    if (opts.tls?.rejectUnauthorized === false) {
      this.log.warn("sip transport: TLS certificate verification is OFF (tls.rejectUnauthorized false)");
    }
    this.table = new ConnectionTable<StreamConnection>({
      clock: this.clock,
      idleTimeoutMs: this.limits.idleTimeoutMs,
      maxConnections: this.limits.maxConnections,
      onIdle: () => this.counters.connections.idleClosed++,
      onEvict: (c) => {
        this.counters.connections.evicted++;
        this.budget.info(
          "sip-connection-evicted",
          "sip transport: connection limit reached, closing the one idle longest",
          {
            remote: endpointKey(c.remote),
          },
        );
      },
    });
    this.streamEvents = {
      message: (conn, bytes) => this.streamMessage(conn, bytes),
      keepalive: () => this.counters.keepalivesAnswered++,
      pong: (conn) => this.pong(conn),
      drop: (conn, why, detail) => this.streamDrop(conn, why, detail),
      closed: (conn, reason) => this.connectionClosed(conn, reason),
    };
  }

  /** Starts a listener; resolves with the bound port. */
  async listen(o: ListenOptions): Promise<number> {
    if (this.closed) throw new Error("transport layer is closed");
    if (!o.bind) throw new Error(`sip transport: ${o.kind} listener needs a bind address`);
    const log = this.log;
    if (o.kind === "udp") {
      const l = await UdpListener.bind({
        host: o.bind,
        port: o.port,
        logger: log,
        onDatagram: (bytes, from) => this.datagram(l, bytes, from),
      });
      // `l` is assigned before the first datagram can be delivered (delivery is a later event).
      this.udp.push(l);
      this.listeners.push({ kind: "udp", address: l.local.address, port: l.local.port, close: () => l.close() });
      log.info("sip transport: listening", { transport: "udp", address: l.local.address, port: l.local.port });
      return l.local.port;
    }
    const kind = o.kind;
    const common = {
      host: o.bind,
      port: o.port,
      logger: log,
      admit: (s: net.Socket) => this.guard.admit(s, kind, this.closed),
      accept: (s: net.Socket) => this.adopt(s, kind, true),
    };
    let listener: StreamListener;
    if (kind === "tcp") listener = await listenTcp(common);
    else {
      if (!o.tls?.key || !o.tls?.cert) throw new Error("sip transport: a tls listener needs tls.key and tls.cert");
      listener = await listenTls({ ...common, tls: o.tls, handshakeTimeoutMs: this.limits.readTimeoutMs });
    }
    this.listeners.push({ kind, address: o.bind, port: listener.port, close: () => listener.close() });
    log.info("sip transport: listening", { transport: kind, address: o.bind, port: listener.port });
    return listener.port;
  }

  /** Subscribes to every accepted datagram and framed stream message; returns the unsubscribe. */
  onMessage(handler: MessageHandler): () => void {
    this.messageHandlers.add(handler);
    return () => this.messageHandlers.delete(handler);
  }

  /** Called when a TCP/TLS connection closes, whoever closed it (flow failure, RFC 5626). */
  onConnectionClose(handler: CloseHandler): () => void {
    this.closeHandlers.add(handler);
    return () => this.closeHandlers.delete(handler);
  }

  /** Called when a CRLF pong arrives on a TCP/TLS connection (the answer to `ping`). */
  onPong(handler: PongHandler): () => void {
    this.pongHandlers.add(handler);
    return () => this.pongHandlers.delete(handler);
  }

  /** Sends a CRLFCRLF keep-alive ping on this connection; rejects when it is not open. */
  async ping(connectionId: string): Promise<void> {
    const c = this.table.get(connectionId);
    if (!c || c.isClosed) throw new Error(`sip transport: connection ${connectionId} is not open`);
    this.counters.keepalivesSent++;
    await c.ping();
  }

  /** Whether this TCP/TLS connection is open. */
  isOpen(connectionId: string): boolean {
    const c = this.table.get(connectionId);
    return c !== undefined && !c.isClosed;
  }

  /**
   * UDP: from the bound socket of the remote's address family. TCP/TLS: over the connection named in
   * `options.connectionId` if open, else an open one to `remote` (inbound ones included), else a new one.
   */
  async send(remote: Remote, bytes: Uint8Array, options: SendOptions = {}): Promise<void> {
    if (this.closed) throw new Error("transport layer is closed");
    if (net.isIP(remote.address.split("%")[0] ?? "") === 0 || !(remote.port > 0 && remote.port < 65536)) {
      throw new Error(`sip transport: send needs an IP address and port, got ${endpointKey(remote)}`);
    }
    if (remote.transport === "udp") {
      const { socket, address } = this.udpFor(remote.address);
      this.packet("out", remote, bytes);
      await socket.send(bytes, address, remote.port);
      this.counters.datagramsOut++;
      return;
    }
    const conn = await this.connectionFor(remote, options);
    this.packet("out", conn.remote, bytes);
    await conn.write(bytes);
    this.counters.streamMessagesOut++;
  }

  /** Closes one TCP/TLS connection; false if it is not open. */
  closeConnection(connectionId: string): boolean {
    const c = this.table.get(connectionId);
    if (!c) return false;
    c.close("closed locally");
    return true;
  }

  stats(): TransportStats {
    const c = this.counters;
    return {
      ...c,
      dropped: { ...c.dropped },
      connections: { ...c.connections, open: this.table.size },
    };
  }

  /** Closes listeners and connections; sends fail afterwards. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.table.all()) c.close("transport closed");
    const results = await Promise.allSettled(this.listeners.map((l) => l.close()));
    for (const r of results) {
      if (r.status === "rejected") this.log.warn("sip transport: close failed", { error: errorMessage(r.reason) });
    }
    this.listeners.length = 0;
    this.udp.length = 0;
  }

  // ---- inbound ----

  private datagram(l: UdpListener, bytes: Uint8Array, from: { address: string; port: number }): void {
    if (this.closed || !this.guard.datagram(bytes, from.address)) return;
    this.counters.datagramsIn++;
    const remote: Remote = { transport: "udp", address: from.address, port: from.port };
    this.deliver({ bytes, remote, local: l.local }, remote);
  }

  /** Takes an established socket (accepted, or dialled by us) into the table. */
  private adopt(socket: net.Socket, kind: "tcp" | "tls", inbound: boolean): StreamConnection {
    tuneSocket(socket, this.log);
    if (inbound) this.counters.connections.accepted++;
    else this.counters.connections.opened++;
    this.table.makeRoom();
    const conn = new StreamConnection({
      id: `${kind}-${this.nextConnection++}`,
      socket,
      transport: kind,
      inbound,
      framer: this.opts.framer(),
      clock: this.clock,
      limits: this.limits,
      events: this.streamEvents,
      logger: this.log,
    });
    if (this.closed || socket.destroyed) {
      conn.close(this.closed ? "transport closed" : "closed before use");
      return conn;
    }
    this.table.add(conn);
    this.log.debug("sip transport: connection open", {
      id: conn.id,
      remote: endpointKey(conn.remote),
      inbound,
    });
    return conn;
  }

  private streamMessage(conn: StreamConnection, bytes: Uint8Array): void {
    this.counters.streamMessagesIn++;
    this.deliver({ bytes, remote: conn.remote, local: conn.local, connectionId: conn.id }, conn.remote);
  }

  private streamDrop(conn: StreamConnection, why: StreamDrop, detail: string): void {
    if (why === "read-timeout") this.counters.connections.timedOut++;
    else this.counters.dropped[why]++;
    this.budget.info(`sip-connection-${why}`, "sip transport: closing connection", {
      id: conn.id,
      remote: endpointKey(conn.remote),
      why,
      detail,
    });
  }

  private connectionClosed(conn: StreamConnection, reason: string): void {
    this.table.remove(conn);
    this.log.debug("sip transport: connection closed", { id: conn.id, remote: endpointKey(conn.remote), reason });
    for (const h of this.closeHandlers) {
      try {
        h({ connectionId: conn.id, remote: conn.remote, reason });
      } catch (err) {
        this.log.error("sip transport: close handler threw", { error: errorMessage(err) });
      }
    }
  }

  private pong(conn: StreamConnection): void {
    this.counters.pongsReceived++;
    for (const h of this.pongHandlers) {
      try {
        h(conn.id);
      } catch (err) {
        this.log.error("sip transport: pong handler threw", { error: errorMessage(err) });
      }
    }
  }

  private deliver(m: Inbound, remote: Remote): void {
    this.packet("in", remote, m.bytes);
    for (const h of this.messageHandlers) {
      try {
        h(m);
      } catch (err) {
        // A bug above, not the peer's doing, but the peer can repeat it: budgeted like the rest.
        this.budget.error("sip-handler-threw", "sip transport: message handler threw", { error: errorMessage(err) });
      }
    }
  }

  private packet(dir: "in" | "out", remote: Remote, bytes: Uint8Array): void {
    if (!this.opts.onPacket) return;
    try {
      this.opts.onPacket(dir, remote, bytes);
    } catch (err) {
      this.log.error("sip transport: packet hook threw", { error: errorMessage(err) });
    }
  }

  // ---- outbound ----

  private udpFor(address: string): { socket: UdpListener; address: string } {
    const v6 = isIPv6(address);
    const same = this.udp.find((u) => (u.family === "IPv6") === v6);
    if (same) return { socket: same, address };
    // A dual-stack "::" socket reaches IPv4 peers by their mapped address.
    const dual = !v6 && this.udp.find((u) => u.family === "IPv6" && isWildcard(u.local.address));
    if (dual) return { socket: dual, address: `::ffff:${address}` };
    throw new Error(`sip transport: no udp listener for ${v6 ? "IPv6" : "IPv4"} (to ${address})`);
  }

  private async connectionFor(remote: Remote, options: SendOptions): Promise<StreamConnection> {
    const kind = remote.transport as "tcp" | "tls";
    if (options.connectionId) {
      const byId = this.table.get(options.connectionId);
      if (byId && !byId.isClosed && byId.remote.transport === kind) return byId;
    }
    const open = this.table.find(remote);
    if (open && !open.isClosed) return open;
    const key = endpointKey(remote);
    let pending = this.dialing.get(key);
    if (!pending) {
      pending = this.dial(remote, kind, options).finally(() => this.dialing.delete(key));
      this.dialing.set(key, pending);
    }
    return pending;
  }

  private async dial(remote: Remote, kind: "tcp" | "tls", options: SendOptions): Promise<StreamConnection> {
    const localAddress = this.outboundAddress(remote.address);
    const common = {
      host: remote.address,
      port: remote.port,
      timeoutMs: this.limits.connectTimeoutMs,
      clock: this.clock,
      ...(localAddress ? { localAddress } : {}),
    };
    let socket: net.Socket;
    try {
      socket =
        kind === "tcp"
          ? await dialTcp(common)
          : await dialTls({ ...common, client: this.opts.tls ?? {}, servername: options.serverName });
    } catch (err) {
      this.counters.connections.failed++;
      this.log.warn("sip transport: connect failed", {
        remote: endpointKey(remote),
        error: errorMessage(err),
        code: (err as { code?: unknown }).code,
      });
      throw err;
    }
    const conn = this.adopt(socket, kind, false);
    if (conn.isClosed) throw new Error(`sip transport: connection to ${endpointKey(remote)} closed before use`);
    return conn;
  }

  /** Outbound connections leave from our listening address of the same family (the VoIP NIC). */
  private outboundAddress(remoteAddress: string): string | undefined {
    const v6 = isIPv6(remoteAddress);
    return this.listeners.find((l) => !isWildcard(l.address) && isIPv6(l.address) === v6)?.address;
  }
}
