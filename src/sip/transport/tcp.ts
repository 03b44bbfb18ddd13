/**
 * @module sip/transport/tcp
 * TCP listeners and outbound connects (node:net). The access filter runs on the raw socket before a
 * byte is read; a connect is bounded by a timeout on the injected clock.
 */
import net from "node:net";
import type { Clock } from "../../lib/clock.ts";
import { errorMessage } from "../../lib/errors.ts";
import type { Logger } from "../../lib/logger.ts";

export interface StreamListenerOptions {
  host: string;
  port: number;
  /** Decides on a raw socket (access filter); false destroys it at once. */
  admit(socket: net.Socket): boolean;
  /** An admitted (for TLS: handshaken) socket. */
  accept(socket: net.Socket): void;
  logger: Logger;
}

export interface StreamListener {
  readonly port: number;
  close(): Promise<void>;
}

/** Resolves once `server` listens; a later server error is logged, never thrown. */
export function startServer(server: net.Server, host: string, port: number, log: Logger): Promise<StreamListener> {
  return new Promise((resolve, reject) => {
    let listening = false;
    server.on("error", (err: Error) => {
      if (listening) {
        log.error("sip transport: listener error", { error: err.message });
        return;
      }
      reject(err);
    });
    server.listen({ host, port }, () => {
      listening = true;
      const addr = server.address();
      const bound = addr && typeof addr === "object" ? addr.port : port;
      resolve({
        port: bound,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}

export function guardedAdmit(opts: StreamListenerOptions, socket: net.Socket): boolean {
  socket.on("error", () => {});
  let ok = false;
  try {
    ok = opts.admit(socket);
  } catch (err) {
    opts.logger.error("sip transport: admit threw", { error: errorMessage(err) });
  }
  if (!ok) socket.destroy();
  return ok;
}

export function listenTcp(opts: StreamListenerOptions): Promise<StreamListener> {
  const server = net.createServer((socket) => {
    if (guardedAdmit(opts, socket)) opts.accept(socket);
  });
  return startServer(server, opts.host, opts.port, opts.logger);
}

/** An Error with a node-style `code`, for time-outs raised here. */
export function codedError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/**
 * Creates a socket and waits for `ready` ("connect", or "secureConnect" for TLS: handshake and
 * certificate check done). Rejects with the socket's own error (its `code` intact) or a time-out.
 */
export function connectWithTimeout<S extends net.Socket>(
  create: () => S,
  ready: "connect" | "secureConnect",
  timeoutMs: number,
  clock: Clock,
  what: string,
): Promise<S> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let socket: S;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      socket?.destroy();
      reject(err);
    };
    const timer = clock.setTimeout(
      () => fail(codedError(`${what}: connect timeout after ${timeoutMs} ms`, "ETIMEDOUT")),
      timeoutMs,
    );
    try {
      socket = create();
    } catch (err) {
      fail(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    socket.on("error", fail);
    socket.once("close", () => fail(codedError(`${what}: closed while connecting`, "ECONNRESET")));
    socket.once(ready, () => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      // `fail` stays attached as a no-op 'error' listener until the connection adds its own.
      resolve(socket);
    });
  });
}

export interface TcpDialOptions {
  host: string;
  port: number;
  localAddress?: string;
  timeoutMs: number;
  clock: Clock;
}

export function dialTcp(o: TcpDialOptions): Promise<net.Socket> {
  return connectWithTimeout(
    () => net.connect({ host: o.host, port: o.port, ...(o.localAddress ? { localAddress: o.localAddress } : {}) }),
    "connect",
    o.timeoutMs,
    o.clock,
    `tcp ${o.host}:${o.port}`,
  );
}
