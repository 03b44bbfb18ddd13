/**
 * @module sip/transport/options
 * The transport layer's options and their defaults, the listen and send options, and the zeroed
 * counters (split from layer.ts to keep each file readable).
 */
import type { Clock } from "../../lib/clock.ts";
import type { LogBudget } from "../../lib/log-budget.ts";
import type { Logger } from "../../lib/logger.ts";
import type { TlsClientOptions, TlsServerOptions } from "./tls.ts";
import type { AccessFilter, FramerFactory, PacketHook, TransportKind, TransportStats } from "./types.ts";

export const TRANSPORT_DEFAULTS = {
  maxDatagramBytes: 64 * 1024,
  maxMessageBytes: 64 * 1024,
  readTimeoutMs: 30_000,
  idleTimeoutMs: 600_000,
  connectTimeoutMs: 10_000,
  maxConnections: 256,
  maxConnectionsPerSource: 16,
  maxWriteBufferBytes: 1024 * 1024,
} as const;

export interface TransportLayerOptions {
  /** Inbound traffic is accepted only from addresses this returns true for. */
  allow: AccessFilter;
  /** Addresses exempt from the per-source connection cap (the PBX, the proxy). */
  trusted?: AccessFilter;
  /** Where peer-caused events are logged (default: one of its own on `logger`). */
  budget?: LogBudget;
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
  /**
   * Inbound TCP/TLS connections open at once from one address, `trusted` ones excepted (16): a new
   * one beyond it is closed at once, so one host cannot take the whole table by eviction.
   */
  maxConnectionsPerSource?: number;
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

export function emptyStats(): TransportStats {
  return {
    datagramsIn: 0,
    datagramsOut: 0,
    streamMessagesIn: 0,
    streamMessagesOut: 0,
    keepalivesAnswered: 0,
    keepalivesSent: 0,
    pongsReceived: 0,
    dropped: { notAllowed: 0, oversized: 0, framing: 0 },
    connections: {
      open: 0,
      accepted: 0,
      opened: 0,
      refused: 0,
      overSourceLimit: 0,
      failed: 0,
      timedOut: 0,
      idleClosed: 0,
      evicted: 0,
    },
  };
}
