/**
 * @module sip/transport/types
 * The shapes the transport layer deals in. It moves bytes only: it never parses SIP, and a stream
 * framer (Content-Length framing, RFC 3261 §18.3) is injected by the layer above.
 */

export type TransportKind = "udp" | "tcp" | "tls";

/** One end of a flow. Addresses are IP literals (IPv4-mapped IPv6 is reported as plain IPv4). */
export interface Endpoint {
  transport: TransportKind;
  address: string;
  port: number;
}

export type Remote = Endpoint;
export type Local = Endpoint;

/** One datagram, or one framed message from a stream. */
export interface Inbound {
  bytes: Uint8Array;
  /** The source address and port (for TCP/TLS the peer's end of the connection). */
  remote: Remote;
  /** The listener's address (UDP) or the connection's local end (TCP/TLS). */
  local: Local;
  /** TCP/TLS only: the connection the message arrived on (pass it to `send` to answer on it). */
  connectionId?: string;
}

export type FramerEvent =
  | { kind: "message"; bytes: Uint8Array }
  /** A CRLFCRLF ping from the peer (the connection answers it). */
  | { kind: "keepalive" }
  /** A lone CRLF: the peer's answer to our ping (RFC 5626 §4.4.1). */
  | { kind: "pong" }
  | { kind: "error"; reason: string };

/** Splits a byte stream into messages; one instance per connection. */
export interface StreamFramer {
  push(chunk: Uint8Array): FramerEvent[];
  /**
   * Bytes held of a message not yet complete (0 on a message boundary). Optional: when present the
   * layer times an incomplete message from its first byte and caps its size; without it, a chunk
   * that completes no message is taken as the start of one.
   */
  buffered?(): number;
  /** Optional: we sent a ping, so the next lone CRLF is its pong (not half of a ping of the peer's). */
  expectPong?(): void;
}

export type FramerFactory = () => StreamFramer;

/** Access filter: true to accept traffic from this (normalized) address. Runs before anything is parsed. */
export type AccessFilter = (address: string) => boolean;

export type PacketDirection = "in" | "out";

/** Debug hook: every accepted datagram or framed message in, every send out (bytes are not copied). */
export type PacketHook = (dir: PacketDirection, remote: Remote, bytes: Uint8Array) => void;

export type MessageHandler = (m: Inbound) => void;

export interface ConnectionClosed {
  connectionId: string;
  remote: Remote;
  reason: string;
}

export type CloseHandler = (c: ConnectionClosed) => void;

/** A CRLF pong arrived on this TCP/TLS connection. */
export type PongHandler = (connectionId: string) => void;

export interface TransportStats {
  datagramsIn: number;
  datagramsOut: number;
  /** Framed messages received / sent on TCP and TLS connections. */
  streamMessagesIn: number;
  streamMessagesOut: number;
  /** RFC 5626 CRLFCRLF pings answered with CRLF. */
  keepalivesAnswered: number;
  /** Our own CRLFCRLF pings sent (`ping`), and the CRLF pongs that came back. */
  keepalivesSent: number;
  pongsReceived: number;
  /** Datagrams, messages and connections turned away, by reason. */
  dropped: {
    /** The access filter said no (datagrams and refused connections). */
    notAllowed: number;
    /** A datagram or stream message over the size limit (the stream is closed). */
    oversized: number;
    /** Not SIP-shaped (empty or binary datagram) or the stream framer reported an error (closed). */
    framing: number;
  };
  connections: {
    open: number;
    /** Inbound connections accepted (after the access filter). */
    accepted: number;
    /** Outbound connections established. */
    opened: number;
    /** Inbound connections destroyed at once: by the access filter, or over the per-source cap. */
    refused: number;
    /** Of `refused`: the source already had `maxConnectionsPerSource` open. */
    overSourceLimit: number;
    /** Outbound connects that failed (refused, timed out, TLS verification). */
    failed: number;
    /** Closed for an incomplete message that did not complete within the read timeout. */
    timedOut: number;
    /** Closed after the idle timeout. */
    idleClosed: number;
    /** Closed to stay within `maxConnections`. */
    evicted: number;
  };
}
