/**
 * @module sip/transport/stream-connection
 * One TCP or TLS connection: feeds the injected framer, answers RFC 5626 CRLF keep-alives, enforces
 * the message size limit and the read timeout for an incomplete message, and writes with a bounded
 * buffer. It never throws out of a socket callback; whatever goes wrong closes this connection only.
 */
import type net from "node:net";
import type { Clock, TimerHandle } from "../../lib/clock.ts";
import { errorMessage } from "../../lib/errors.ts";
import type { Logger } from "../../lib/logger.ts";
import { normalizeAddress } from "./address.ts";
import type { Local, Remote, StreamFramer } from "./types.ts";

const PONG = new Uint8Array([13, 10]);
/** RFC 5626 §4.4.1: our keep-alive ping (the pong is a lone CRLF). */
const PING = new Uint8Array([13, 10, 13, 10]);
const KEEPALIVE_PROBE_MS = 30_000;

export interface StreamLimits {
  maxMessageBytes: number;
  readTimeoutMs: number;
  maxWriteBufferBytes: number;
}

export type StreamDrop = "oversized" | "framing" | "read-timeout";

/** Callbacks into the layer. */
export interface StreamEvents {
  message(conn: StreamConnection, bytes: Uint8Array): void;
  /** A CRLFCRLF ping was answered. */
  keepalive(conn: StreamConnection): void;
  /** A lone CRLF came: the pong to a ping of ours. */
  pong(conn: StreamConnection): void;
  /** The connection is being closed for a limit or a framing error. */
  drop(conn: StreamConnection, why: StreamDrop, detail: string): void;
  /** Called exactly once, whoever closed. */
  closed(conn: StreamConnection, reason: string): void;
}

export interface StreamConnectionOptions {
  id: string;
  socket: net.Socket;
  transport: "tcp" | "tls";
  inbound: boolean;
  framer: StreamFramer;
  clock: Clock;
  limits: StreamLimits;
  events: StreamEvents;
  logger: Logger;
}

export function tuneSocket(socket: net.Socket, log: Logger): void {
  try {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, KEEPALIVE_PROBE_MS);
  } catch (err) {
    log.debug("sip transport: cannot tune socket", { error: errorMessage(err) });
  }
}

export class StreamConnection {
  readonly id: string;
  readonly remote: Remote;
  readonly local: Local;
  readonly inbound: boolean;
  lastActivity: number;
  private closed = false;
  private readTimer: TimerHandle | undefined;
  private readonly pendingWrites = new Set<(err: Error) => void>();
  private readonly socket: net.Socket;
  private readonly framer: StreamFramer;
  private readonly clock: Clock;
  private readonly limits: StreamLimits;
  private readonly events: StreamEvents;
  private readonly log: Logger;

  constructor(opts: StreamConnectionOptions) {
    this.id = opts.id;
    this.socket = opts.socket;
    this.framer = opts.framer;
    this.clock = opts.clock;
    this.limits = opts.limits;
    this.events = opts.events;
    this.inbound = opts.inbound;
    const s = opts.socket;
    this.remote = { transport: opts.transport, address: normalizeAddress(s.remoteAddress), port: s.remotePort ?? 0 };
    this.local = { transport: opts.transport, address: normalizeAddress(s.localAddress), port: s.localPort ?? 0 };
    this.log = opts.logger.child({ connection: this.id });
    this.lastActivity = this.clock.now();
    let socketError: string | undefined;
    s.on("data", (chunk: Uint8Array) => this.onData(chunk));
    s.on("error", (err: Error) => {
      socketError = err.message;
      this.log.debug("sip transport: socket error", { error: err.message });
    });
    // allowHalfOpen is off: when the peer ends, node ends our side after pending writes, then 'close'.
    s.once("close", () => this.finish(socketError ?? "closed by peer"));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.closed || this.socket.destroyed) return Promise.reject(new Error(`connection ${this.id} is closed`));
    if (this.socket.writableLength + bytes.length > this.limits.maxWriteBufferBytes) {
      this.close("write buffer full");
      return Promise.reject(new Error(`connection ${this.id}: peer not reading, write buffer full`));
    }
    this.lastActivity = this.clock.now();
    return new Promise((resolve, reject) => {
      const fail = (err: Error) => {
        this.pendingWrites.delete(fail);
        reject(err);
      };
      this.pendingWrites.add(fail);
      try {
        this.socket.write(bytes, (err?: Error | null) => {
          if (!this.pendingWrites.delete(fail)) return;
          if (err) reject(err);
          else resolve();
        });
      } catch (err) {
        fail(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /** Sends a CRLFCRLF keep-alive ping; the framer then takes the next lone CRLF as its pong. */
  ping(): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`connection ${this.id} is closed`));
    this.framer.expectPong?.();
    return this.write(PING);
  }

  close(reason: string): void {
    if (this.closed) return;
    this.socket.destroy();
    this.finish(reason);
  }

  private finish(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.clock.clearTimeout(this.readTimer);
    this.readTimer = undefined;
    if (!this.socket.destroyed) this.socket.destroy();
    const err = new Error(`connection ${this.id} closed: ${reason}`);
    for (const fail of [...this.pendingWrites]) fail(err);
    try {
      this.events.closed(this, reason);
    } catch (e) {
      this.log.error("sip transport: close handler threw", { error: errorMessage(e) });
    }
  }

  private fail(why: StreamDrop, detail: string): void {
    if (this.closed) return;
    try {
      this.events.drop(this, why, detail);
    } catch (e) {
      this.log.error("sip transport: drop handler threw", { error: errorMessage(e) });
    }
    this.close(`${why}: ${detail}`);
  }

  private onData(chunk: Uint8Array): void {
    if (this.closed) return;
    this.lastActivity = this.clock.now();
    let events: ReturnType<StreamFramer["push"]>;
    try {
      events = this.framer.push(chunk);
    } catch (err) {
      this.fail("framing", `framer threw: ${errorMessage(err)}`);
      return;
    }
    let completed = false;
    for (const ev of events) {
      if (this.closed) return;
      if (ev.kind === "error") {
        this.fail("framing", ev.reason);
        return;
      }
      completed = true;
      if (ev.kind === "keepalive") {
        this.write(PONG).catch(() => {});
        this.events.keepalive(this);
        continue;
      }
      if (ev.kind === "pong") {
        this.events.pong(this);
        continue;
      }
      if (ev.bytes.length > this.limits.maxMessageBytes) {
        this.fail("oversized", `${ev.bytes.length} byte message`);
        return;
      }
      try {
        this.events.message(this, ev.bytes);
      } catch (err) {
        this.log.error("sip transport: message handler threw", { error: errorMessage(err) });
      }
    }
    if (this.closed) return;
    this.trackIncomplete(completed);
  }

  /** Times an incomplete message from its first byte: a slow drip of bytes does not keep it alive. */
  private trackIncomplete(completed: boolean): void {
    let partial: boolean;
    if (this.framer.buffered) {
      const held = this.framer.buffered();
      if (held > this.limits.maxMessageBytes) {
        this.fail("oversized", `${held} bytes buffered of an incomplete message`);
        return;
      }
      partial = held > 0;
    } else {
      partial = !completed;
    }
    if (!partial) {
      this.clock.clearTimeout(this.readTimer);
      this.readTimer = undefined;
      return;
    }
    if (this.readTimer && !completed) return;
    this.clock.clearTimeout(this.readTimer);
    this.readTimer = this.clock.setTimeout(() => {
      this.readTimer = undefined;
      this.fail("read-timeout", `incomplete message for ${this.limits.readTimeoutMs} ms`);
    }, this.limits.readTimeoutMs);
  }
}
