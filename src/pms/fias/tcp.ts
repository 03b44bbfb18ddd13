/**
 * @module fias/tcp
 * FIAS over TCP with node:net (not Bun APIs, so it also runs under Deno). Every socket and server
 * has an 'error' listener: a PMS that resets the connection must never crash the appliance.
 */
import net from "node:net";
import { clearTimeout, setTimeout } from "node:timers";
import { errorMessage } from "../../lib/errors.ts";
import type { Logger } from "../../lib/logger.ts";
import { unmapIPv4 } from "../../lib/networks.ts";
import type {
  AttachConnection,
  ConnectionEvents,
  FiasClientConnector,
  FiasConnection,
  FiasListener,
  FiasServerConnector,
} from "./connection.ts";

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const KEEPALIVE_DELAY_MS = 30_000;
// After end(), how long a peer may take to close its side before we destroy the socket.
const CLOSE_GRACE_MS = 1000;

export interface TcpClientOptions {
  host: string;
  port: number;
  /** Local address to dial from (sites that whitelist one appliance IP on a multi-homed box). */
  bind?: string;
  connectTimeoutMs?: number;
  logger: Logger;
}

export interface TcpServerOptions {
  /** Listen address; "0.0.0.0" for all IPv4 interfaces. */
  host: string;
  /** 0 picks a free port (tests); read it back from `port`. */
  port: number;
  logger: Logger;
  /**
   * Who may connect (config `pms.allow`). Anyone else is closed at once, before a byte is read, and
   * counted: a host on the PMS network must not be able to feed records or take the link over.
   */
  allow?: (address: string) => boolean;
  /** Called for each refused connection, with its address (counting and budgeted logging). */
  onRefused?: (address: string) => void;
}

function hostPort(host: string | undefined, port: number | undefined): string {
  const h = host ?? "?";
  return h.includes(":") ? `[${h}]:${port}` : `${h}:${port}`;
}

function tune(socket: net.Socket, log: Logger): void {
  try {
    socket.setNoDelay(true);
    // Detects a PMS host that vanished without a FIN long before the FIAS alive check would.
    socket.setKeepAlive(true, KEEPALIVE_DELAY_MS);
  } catch (err) {
    log.warn("fias tcp: cannot tune socket", { error: errorMessage(err) });
  }
}

class TcpConnection implements FiasConnection {
  readonly remote: string;
  closing = false;
  private grace: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly socket: net.Socket) {
    this.remote = hostPort(socket.remoteAddress, socket.remotePort);
    socket.once("close", () => clearTimeout(this.grace));
  }

  write(bytes: Uint8Array): void {
    if (this.closing || this.socket.destroyed || !this.socket.writable) return;
    this.socket.write(bytes);
  }

  close(): void {
    if (this.closing) return;
    this.closing = true;
    // end() lets a just-written LE reach the PMS; the timer stops a peer that never closes from keeping the socket.
    this.socket.end();
    if (this.socket.destroyed) return;
    this.grace = setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
    this.grace.unref();
  }
}

function wire(socket: net.Socket, conn: TcpConnection, events: ConnectionEvents, log: Logger): void {
  let error: string | undefined;
  socket.on("data", (chunk: Uint8Array) => {
    try {
      events.onData(chunk);
    } catch (err) {
      log.error("fias tcp: data handler threw", { remote: conn.remote, error: errorMessage(err) });
    }
  });
  socket.on("error", (err: Error) => {
    error = err.message;
    log.warn("fias tcp: socket error", { remote: conn.remote, error: err.message });
  });
  socket.once("close", () => {
    const reason = error ?? (conn.closing ? "closed locally" : "closed by peer");
    try {
      events.onClose(reason);
    } catch (err) {
      log.error("fias tcp: close handler threw", { remote: conn.remote, error: errorMessage(err) });
    }
  });
}

/** Dials the PMS (the Oracle IFC is always the server). */
export class TcpClientConnector implements FiasClientConnector {
  readonly mode = "client";
  readonly target: string;

  constructor(private readonly opts: TcpClientOptions) {
    this.target = hostPort(opts.host, opts.port);
  }

  connect(attach: AttachConnection): Promise<FiasConnection> {
    const { host, port, bind, logger } = this.opts;
    const timeoutMs = this.opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      let settled = false;
      const socket = net.createConnection({ host, port, ...(bind ? { localAddress: bind } : {}) });
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      const timer = setTimeout(() => fail(new Error(`connect timeout after ${timeoutMs} ms`)), timeoutMs);
      socket.on("error", fail);
      socket.once("connect", () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.off("error", fail);
        tune(socket, logger);
        const conn = new TcpConnection(socket);
        wire(socket, conn, attach(conn), logger);
        resolve(conn);
      });
    });
  }
}

/**
 * Accepts the PMS's connections from allowed addresses. Which connection is the live one (a new one
 * replaces the old only once its link start completed) is the link's decision, not the socket's.
 */
export class TcpServerConnector implements FiasServerConnector {
  readonly mode = "server";
  readonly target: string;
  private bound: net.AddressInfo | undefined;

  constructor(private readonly opts: TcpServerOptions) {
    this.target = hostPort(opts.host, opts.port);
  }

  /** The port actually listened on, once listening. */
  get port(): number | undefined {
    return this.bound?.port;
  }

  listen(attach: AttachConnection): Promise<FiasListener> {
    const { host, port, logger } = this.opts;
    return new Promise((resolve, reject) => {
      let listening = false;
      const server = net.createServer((socket) => this.accept(socket, attach));
      server.on("error", (err: Error) => {
        if (listening) {
          logger.error("fias tcp: server error", { target: this.target, error: err.message });
          return;
        }
        server.close();
        reject(err);
      });
      server.listen({ host, port }, () => {
        listening = true;
        const addr = server.address();
        this.bound = addr && typeof addr === "object" ? addr : undefined;
        resolve({
          close: () => {
            this.bound = undefined;
            server.close();
          },
        });
      });
    });
  }

  private accept(socket: net.Socket, attach: AttachConnection): void {
    const { logger, allow, onRefused } = this.opts;
    const address = unmapIPv4(socket.remoteAddress ?? "");
    if (allow && !allow(address)) {
      socket.on("error", () => {});
      socket.destroy();
      onRefused?.(address);
      return;
    }
    tune(socket, logger);
    const conn = new TcpConnection(socket);
    wire(socket, conn, attach(conn), logger);
  }
}
