/**
 * @module sip/transport/tls
 * TLS (node:tls): the client side to the PBX with certificate verification on by default, and an
 * optional listener when a key and certificate are configured. The access filter runs on the raw TCP
 * connection, before the handshake.
 */
import { Buffer } from "node:buffer";
import net from "node:net";
import type tls from "node:tls";
import type { Clock } from "../../lib/clock.ts";
import { errorMessage } from "../../lib/errors.ts";
import {
  connectWithTimeout,
  guardedAdmit,
  type StreamListener,
  type StreamListenerOptions,
  startServer,
} from "./tcp.ts";

export type Pem = string | Uint8Array;

/**
 * node:tls, loaded when SIP over TLS is used, not imported: the compiled binary loads every imported
 * built-in at its start.
 */
function tlsModule(): typeof tls {
  return process.getBuiltinModule("node:tls");
}

/** TLS as a client (the usual case: we connect to the PBX). */
export interface TlsClientOptions {
  /** Contents of the CA file (PEM) to trust; without it the system's roots are used. */
  ca?: Pem;
  /**
   * The name to send as SNI and to verify the certificate against; overridable per send. Without it
   * the certificate is checked against the IP address connected to.
   */
  servername?: string;
  /** Verification is on unless this is explicitly false (commissioning only). */
  rejectUnauthorized?: boolean;
  /** Client certificate and key, for a PBX that wants mutual TLS. */
  cert?: Pem;
  key?: Pem;
}

export interface TlsServerOptions {
  key: Pem;
  cert: Pem;
  /** CA of client certificates, with `requestCert`. */
  ca?: Pem;
  requestCert?: boolean;
}

function toPem(p: Pem): string | Buffer {
  return typeof p === "string" ? p : Buffer.from(p);
}

export function listenTls(
  opts: StreamListenerOptions & { tls: TlsServerOptions; handshakeTimeoutMs: number },
): Promise<StreamListener> {
  const server = tlsModule().createServer(
    {
      key: toPem(opts.tls.key),
      cert: toPem(opts.tls.cert),
      ...(opts.tls.ca ? { ca: toPem(opts.tls.ca) } : {}),
      requestCert: opts.tls.requestCert ?? false,
      rejectUnauthorized: opts.tls.requestCert ?? false,
      minVersion: "TLSv1.2",
      handshakeTimeout: opts.handshakeTimeoutMs,
    },
    (socket) => opts.accept(socket),
  );
  // 'connection' carries the raw socket before the handshake: refuse there.
  server.on("connection", (raw: net.Socket) => guardedAdmit(opts, raw));
  server.on("tlsClientError", (err: Error, socket: tls.TLSSocket) => {
    opts.logger.debug("sip transport: tls handshake failed", {
      remote: socket?.remoteAddress,
      error: errorMessage(err),
    });
  });
  return startServer(server, opts.host, opts.port, opts.logger);
}

export interface TlsDialOptions {
  host: string;
  port: number;
  localAddress?: string;
  servername?: string;
  client: TlsClientOptions;
  timeoutMs: number;
  clock: Clock;
}

/** Resolves after the handshake and the certificate check; rejects with the TLS error (its `code`). */
export function dialTls(o: TlsDialOptions): Promise<tls.TLSSocket> {
  const c = o.client;
  const name = o.servername ?? c.servername;
  return connectWithTimeout(
    () =>
      tlsModule().connect({
        host: o.host,
        port: o.port,
        ...(o.localAddress ? { localAddress: o.localAddress } : {}),
        // SNI must be a host name (RFC 6066); with an IP the certificate is checked against the IP.
        ...(name && net.isIP(name) === 0 ? { servername: name } : {}),
        ...(c.ca ? { ca: toPem(c.ca) } : {}),
        ...(c.cert ? { cert: toPem(c.cert) } : {}),
        ...(c.key ? { key: toPem(c.key) } : {}),
        rejectUnauthorized: c.rejectUnauthorized !== false,
        minVersion: "TLSv1.2",
      }),
    "secureConnect",
    o.timeoutMs,
    o.clock,
    `tls ${o.host}:${o.port}`,
  );
}
