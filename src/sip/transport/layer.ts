/**
 * @module sip/transport/layer
 * The SIP transport layer (RFC 3261 §18): owns every listener and connection, moves bytes between
 * them and the layer above (`onMessage`), and guards the appliance: an access filter before anything
 * is read, size limits, a read timeout for incomplete stream messages, a connection limit. Nothing a
 * peer sends can throw out of here or stall another flow.
 */
import net from "node:net";
import { type Clock, systemClock } from "../../lib/clock.ts";
import { errorMessage } from "../../lib/errors.ts";
import { type Logger, silentLogger } from "../../lib/logger.ts";
import { endpointKey, isIPv6, isWildcard, normalizeAddress } from "./address.ts";
import { ConnectionTable } from "./connections.ts";
import { StreamConnection, type StreamDrop, type StreamEvents, tuneSocket } from "./stream-connection.ts";
import { dialTcp, listenTcp, type StreamListener } from "./tcp.ts";
import { dialTls, listenTls, type TlsClientOptions, type TlsServerOptions } from "./tls.ts";
import type {
  AccessFilter,
  CloseHandler,
  FramerFactory,
  Inbound,
  MessageHandler,
  PacketHook,
  Remote,
  TransportKind,
  TransportStats,
} from "./types.ts";
import { classifyDatagram, UdpListener } from "./udp.ts";

export const TRANSPORT_DEFAULTS = {
  maxDatagramBytes: 64 * 1024,
  maxMessageBytes: 64 * 1024,
  readTimeoutMs: 30_000,
  idleTimeoutMs: 600_000,
  connectTimeoutMs: 10_000,
  maxConnections: 256,
  maxWriteBufferBytes: 1024 * 1024,
} as const;

export interface TransportLayerOptions {
  /** Inbound traffic is accepted only from addresses this returns true for. */
  allow: AccessFilter;
  /** A new stream framer per TCP/TLS connection (src/sip/message's Content-Length framer). */
  framer: FramerFactory;
  clock?: Clock;
  logger?: Logger;
  /** Larger datagrams are dropped (default 64 KiB). */
  maxDatagramBytes?: number;
  /** A larger stream message, or a larger incomplete one, closes the connection (default 64 KiB). */
  maxMessageBytes?: number;
  /** An incomplete stream message not completed this long after its first byte closes the connection (30 s). */
  readTimeoutMs?: number;
  /** A connection with no traffic either way this long is closed (10 min); 0 never. */
  idleTimeoutMs?: number;
  /** Outbound TCP connect / TLS connect + handshake (10 s). */
  connectTimeoutMs?: number;
  /** Open TCP+TLS connections; at the limit the one idle longest is closed (256). */
  maxConnections?: number;
  /** A peer that does not read and lets this much queue up is disconnected (1 MiB). */
  maxWriteBufferBytes?: number;
  /** TLS client settings (CA, SNI name, verification). */
  tls?: TlsClientOptions;
  /** Debug packet log; the UA masks credentials before logging. */
  onPacket?: PacketHook;
}

export interface ListenOptions {
  kind: TransportKind;
  /** The address to bind (the VoIP NIC, `sip.bind`); a wildcard only if configured so. */
  bind: string;
  /** 0 picks a free port. */
  port: number;
  /** Required for kind "tls". */
  tls?: TlsServerOptions;
}

export interface SendOptions {
  /** TCP/TLS: use this connection if it is still open (answering on the request's connection). */
  connectionId?: string;
  /** TLS: SNI and certificate name for a new connection (overrides `tls.servername`). */
  serverName?: string;
}

type AnyListener = { kind: TransportKind; address: string; port: number; close(): Promise<void> };

function emptyStats(): TransportStats {
  return {
    datagramsIn: 0,
    datagramsOut: 0,
    streamMessagesIn: 0,
    streamMessagesOut: 0,
    keepalivesAnswered: 0,
    dropped: { notAllowed: 0, oversized: 0, framing: 0 },
    connections: { open: 0, accepted: 0, opened: 0, refused: 0, failed: 0, timedOut: 0, idleClosed: 0, evicted: 0 },
  };
}

export class TransportLayer {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly limits: Required<
    Omit<TransportLayerOptions, "allow" | "framer" | "clock" | "logger" | "tls" | "onPacket">
  >;
  private readonly counters = emptyStats();
  private readonly udp: UdpListener[] = [];
  private readonly listeners: AnyListener[] = [];
  private readonly table: ConnectionTable<StreamConnection>;
  private readonly dialing = new Map<string, Promise<StreamConnection>>();
  private readonly messageHandlers = new Set<MessageHandler>();
  private readonly closeHandlers = new Set<CloseHandler>();
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
      maxWriteBufferBytes: opts.maxWriteBufferBytes ?? TRANSPORT_DEFAULTS.maxWriteBufferBytes,
    };
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
        this.log.info("sip transport: connection limit reached, closing the one idle longest", {
          remote: endpointKey(c.remote),
        });
      },
    });
    this.streamEvents = {
      message: (conn, bytes) => this.streamMessage(conn, bytes),
      keepalive: () => this.counters.keepalivesAnswered++,
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
      admit: (s: net.Socket) => this.admit(s),
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

  private allowed(address: string): boolean {
    try {
      return this.opts.allow(address) === true;
    } catch (err) {
      this.log.error("sip transport: access filter threw", { address, error: errorMessage(err) });
      return false;
    }
  }

  private datagram(l: UdpListener, bytes: Uint8Array, from: { address: string; port: number }): void {
    if (this.closed) return;
    if (!this.allowed(from.address)) {
      this.counters.dropped.notAllowed++;
      this.log.debug("sip transport: datagram not allowed", { from: from.address });
      return;
    }
    const verdict = classifyDatagram(bytes, this.limits.maxDatagramBytes);
    if (verdict === "keepalive") return;
    if (verdict !== "message") {
      this.counters.dropped[verdict]++;
      this.log.debug("sip transport: datagram dropped", { from: from.address, reason: verdict, bytes: bytes.length });
      return;
    }
    this.counters.datagramsIn++;
    const remote: Remote = { transport: "udp", address: from.address, port: from.port };
    this.deliver({ bytes, remote, local: l.local }, remote);
  }

  /** Access filter on a raw accepted socket (TCP, or TLS before its handshake). */
  private admit(socket: net.Socket): boolean {
    const address = normalizeAddress(socket.remoteAddress);
    if (!this.closed && this.allowed(address)) return true;
    this.counters.connections.refused++;
    this.counters.dropped.notAllowed++;
    this.log.debug("sip transport: connection refused", { from: address });
    return false;
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
    this.log.info("sip transport: closing connection", { id: conn.id, remote: endpointKey(conn.remote), why, detail });
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

  private deliver(m: Inbound, remote: Remote): void {
    this.packet("in", remote, m.bytes);
    for (const h of this.messageHandlers) {
      try {
        h(m);
      } catch (err) {
        this.log.error("sip transport: message handler threw", { error: errorMessage(err) });
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
