/**
 * @module cti/server
 * The CTI server's TCP side (node:net, so it also runs under Deno): channels from the allowed
 * networks only, each read as lines and answered in order by its ChannelSession.
 *
 * Bounded whatever a client does (README "24U Phone Companion compatible CTI server"):
 * - the protocol has no authentication: a connection from outside `companion.networks` is closed
 *   before a byte is read, and counted;
 * - at most `maxChannels` channels; one more is closed at once, and counted;
 * - a line is at most `maxLineBytes` (4 kB): a longer one is answered `error_ind ERROR <word>` and
 *   dropped without being buffered;
 * - commands are answered one at a time, in order; while one waits for a phone the socket is not
 *   read, and a client that still piles up more than `maxQueuedLines` is closed;
 * - a client that does not read what it is sent (replies, events) is closed once more than
 *   `maxOutputBytes` wait for it, rather than held in memory.
 * Every socket has an 'error' listener: a client resetting the connection never crashes anything.
 */
import net from "node:net";
import { errorMessage } from "../lib/errors.ts";
import type { Logger } from "../lib/logger.ts";
import { unmapIPv4 } from "../lib/networks.ts";
import { LineReader } from "./lines.ts";
import { parseCommand, replyWord } from "./protocol.ts";
import { ChannelSession, type SessionDeps, type SessionReply } from "./session.ts";

const KEEPALIVE_DELAY_MS = 30_000;
// After end(), how long a client may take to close its side before the socket is destroyed.
const CLOSE_GRACE_MS = 1000;

export interface CtiServerOptions {
  host: string;
  /** 0 picks a free port (tests); read it back from `port`. */
  port: number;
  logger: Logger;
  session: SessionDeps;
  /** Who may connect (`companion.networks`). */
  allow: (address: string) => boolean;
  maxChannels?: number;
  maxLineBytes?: number;
  maxQueuedLines?: number;
  maxOutputBytes?: number;
  /** A connection closed by the server's rules: refused address, channel cap, flood, slow reader. */
  onDropped?(reason: DropReason, address: string): void;
}

export type DropReason = "refused" | "channels" | "flood" | "slow-reader";

export interface ChannelStatus {
  remote: string;
  connectedAt: number;
  greeted: boolean;
  monitored: string[];
}

class Channel {
  readonly session: ChannelSession;
  readonly reader: LineReader;
  readonly remote: string;
  readonly connectedAt: number;
  /** Lines waiting for their turn; a line too long is kept as the word its error reply names. */
  private readonly queue: ({ line: string } | { tooLong: string })[] = [];
  private busy = false;
  private closing = false;

  constructor(
    private readonly server: CtiServer,
    private readonly socket: net.Socket,
    private readonly opts: Required<Pick<CtiServerOptions, "maxLineBytes" | "maxQueuedLines" | "maxOutputBytes">> &
      CtiServerOptions,
  ) {
    const addr = unmapIPv4(socket.remoteAddress ?? "?");
    this.remote = addr.includes(":") ? `[${addr}]:${socket.remotePort}` : `${addr}:${socket.remotePort}`;
    this.connectedAt = opts.session.clock.now();
    this.reader = new LineReader(opts.maxLineBytes);
    this.session = new ChannelSession(opts.session, { write: (text) => this.write(text) });
  }

  get address(): string {
    return unmapIPv4(this.socket.remoteAddress ?? "?");
  }

  onData(chunk: Uint8Array): void {
    for (const ev of this.reader.push(chunk)) {
      if (this.closing) return;
      if (ev.kind === "overflow") {
        // Too long to be a command: answered at its turn, never buffered.
        this.enqueue({ tooLong: replyWord(ev.head.trim().split(/[ \t]+/)[0] || undefined) });
        continue;
      }
      if (ev.text.trim() === "") continue;
      this.enqueue({ line: ev.text });
    }
  }

  private enqueue(item: { line: string } | { tooLong: string }): void {
    if (this.queue.length >= this.opts.maxQueuedLines) {
      this.drop("flood", "more commands waiting than the channel may queue");
      return;
    }
    this.queue.push(item);
    if (!this.busy) this.drain();
  }

  /** Answers queued lines in order; a command that waits for a phone pauses reading until it is done. */
  private drain(): void {
    while (!this.busy && !this.closing && !this.socket.destroyed && this.queue.length > 0) {
      const item = this.queue.shift() as { line: string } | { tooLong: string };
      const r =
        "tooLong" in item
          ? this.session.handle({ kind: "invalid", name: item.tooLong, reason: "line too long" })
          : this.session.handle(parseCommand(item.line));
      if (r === undefined) continue;
      if (!(r instanceof Promise)) {
        this.answer(r);
        continue;
      }
      this.busy = true;
      this.socket.pause();
      r.then(
        (rep) => this.answer(rep),
        (err) => {
          this.opts.logger.error("CTI: command handler failed", { remote: this.remote, error: errorMessage(err) });
          this.close();
        },
      ).finally(() => {
        this.busy = false;
        if (this.closing) return;
        this.socket.resume();
        this.drain();
      });
    }
  }

  private answer(r: SessionReply): void {
    this.write(r.text);
    if (r.close) this.close();
  }

  write(text: string): void {
    if (this.closing || this.socket.destroyed || !this.socket.writable) return;
    this.socket.write(text);
    if (this.socket.writableLength > this.opts.maxOutputBytes)
      this.drop("slow-reader", "the client does not read what it is sent");
  }

  drop(reason: DropReason, message: string): void {
    if (this.socket.destroyed) return;
    this.closing = true;
    this.queue.length = 0;
    this.server.dropped(reason, this.address, { remote: this.remote, message });
    this.socket.destroy();
  }

  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.queue.length = 0;
    this.socket.end();
    if (this.socket.destroyed) return;
    const grace = setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
    grace.unref?.();
    this.socket.once("close", () => clearTimeout(grace));
  }

  destroy(): void {
    this.closing = true;
    this.socket.destroy();
  }

  status(): ChannelStatus {
    return {
      remote: this.remote,
      connectedAt: this.connectedAt,
      greeted: this.session.greeted,
      monitored: [...this.session.monitored],
    };
  }
}

export class CtiServer {
  private server: net.Server | undefined;
  private bound: net.AddressInfo | undefined;
  private readonly channels = new Set<Channel>();
  private readonly opts: Required<
    Pick<CtiServerOptions, "maxChannels" | "maxLineBytes" | "maxQueuedLines" | "maxOutputBytes">
  > &
    CtiServerOptions;
  /** Connections closed by the server's rules, by reason. */
  readonly drops: Record<DropReason, number> = { refused: 0, channels: 0, flood: 0, "slow-reader": 0 };

  constructor(opts: CtiServerOptions) {
    this.opts = {
      maxChannels: 256,
      maxLineBytes: 4096,
      maxQueuedLines: 256,
      maxOutputBytes: 256 * 1024,
      ...opts,
    };
  }

  /** The port listened on, once listening. */
  get port(): number | undefined {
    return this.bound?.port;
  }

  get channelCount(): number {
    return this.channels.size;
  }

  channelStatus(): ChannelStatus[] {
    return [...this.channels].map((c) => c.status());
  }

  listen(): Promise<void> {
    const { host, port, logger } = this.opts;
    return new Promise((resolve, reject) => {
      let listening = false;
      const server = net.createServer((socket) => this.accept(socket));
      server.on("error", (err: Error) => {
        if (listening) {
          logger.error("CTI server error", { error: err.message });
          return;
        }
        server.close();
        reject(err);
      });
      server.listen({ host, port }, () => {
        listening = true;
        this.server = server;
        const addr = server.address();
        this.bound = addr && typeof addr === "object" ? addr : undefined;
        resolve();
      });
    });
  }

  /** Stops listening and closes every channel (their monitors end). */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.bound = undefined;
    for (const c of this.channels) c.destroy();
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }

  /** Called by a channel the server closed by its rules. */
  dropped(reason: DropReason, address: string, fields: Record<string, unknown> = {}): void {
    this.drops[reason]++;
    this.opts.onDropped?.(reason, address);
    this.opts.logger.debug("CTI channel dropped", { reason, address, ...fields });
  }

  private accept(socket: net.Socket): void {
    const { logger, allow, maxChannels } = this.opts;
    const address = unmapIPv4(socket.remoteAddress ?? "");
    socket.on("error", () => {});
    if (!allow(address)) {
      socket.destroy();
      this.dropped("refused", address);
      return;
    }
    if (this.channels.size >= maxChannels) {
      socket.destroy();
      this.dropped("channels", address);
      return;
    }
    try {
      socket.setNoDelay(true);
      socket.setKeepAlive(true, KEEPALIVE_DELAY_MS);
    } catch (err) {
      logger.warn("CTI: cannot tune socket", { error: errorMessage(err) });
    }
    const channel = new Channel(this, socket, this.opts);
    this.channels.add(channel);
    logger.info("CTI channel opened", { remote: channel.remote, channels: this.channels.size });
    socket.on("data", (chunk: Uint8Array) => {
      try {
        channel.onData(chunk);
      } catch (err) {
        logger.error("CTI: data handler threw", { remote: channel.remote, error: errorMessage(err) });
        channel.destroy();
      }
    });
    socket.on("error", (err: Error) =>
      logger.debug("CTI socket error", { remote: channel.remote, error: err.message }),
    );
    socket.once("close", () => {
      this.channels.delete(channel);
      channel.session.end();
      logger.info("CTI channel closed", { remote: channel.remote, channels: this.channels.size });
    });
  }
}
