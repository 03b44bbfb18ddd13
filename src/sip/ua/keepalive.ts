/**
 * @module sip/ua/keepalive
 * The CRLF keep-alive of one flow (RFC 5626 §4.4.1, TCP/TLS): every 80–100 % of the interval (the
 * registrar's Flow-Timer, else 120 s) send CRLFCRLF and expect the CRLF pong within 10 s. A ping
 * that cannot be sent, a missing pong, or the connection closing means the flow died: `onDead`
 * fires once and nothing more is sent. The owner feeds it pongs and closes; every timer runs on the
 * injected clock, so tests shrink or step them.
 *
 *   idle ──start──▶ waiting ──interval──▶ awaiting-pong ──pong──▶ waiting
 *   awaiting-pong ──10 s──▶ dead (strict) or waiting (not strict)
 *   waiting/awaiting-pong ──closed or ping failed──▶ dead;  any ──stop──▶ stopped
 *
 * A missing pong counts only from a peer known to answer pings (`strict`): the registrar said
 * `Require: outbound` (RFC 5626 servers answer CRLF pings), or this peer has answered one before. A
 * registrar that never heard of RFC 5626 ignores the pings, and declaring its flow dead every two
 * minutes would make the ports flap; its pings still keep NATs and idle timers open, and a closed
 * connection is still a dead flow. (reSIProcate checks pongs only for outbound peers too.)
 *
 * The random 80–100 % spread keeps many flows (and many appliances behind one NAT) from pinging in
 * step, as the RFC asks.
 */
import type { Clock, TimerHandle } from "../../lib/clock.ts";
import { errorMessage } from "../../lib/errors.ts";

/** RFC 5626 §4.4.1: the upper bound when the registrar names no Flow-Timer (connection-oriented). */
export const DEFAULT_KEEPALIVE_MS = 120_000;
/** RFC 5626 §4.4.1: a pong not back within 10 s means the flow failed. */
export const PONG_TIMEOUT_MS = 10_000;

export type KeepAliveState = "idle" | "waiting" | "awaiting-pong" | "dead" | "stopped";

export interface KeepAliveOptions {
  clock: Clock;
  /** Upper bound of the wait between pings; each wait is 80–100 % of it. */
  intervalMs: number;
  /** Default `PONG_TIMEOUT_MS`. */
  pongTimeoutMs?: number;
  /** [0, 1); default Math.random. */
  random?: () => number;
  /** Sends CRLFCRLF on the flow; a rejection means the flow died. */
  ping: () => Promise<void>;
  /** A missing pong kills the flow from the start (the registrar supports outbound). Default false. */
  strict?: boolean;
  /** Once: why the flow died. */
  onDead: (reason: string) => void;
}

export class KeepAlive {
  private current: KeepAliveState = "idle";
  private timer: TimerHandle | undefined;
  private intervalMs: number;
  private strictNow: boolean;
  /** clock.now() the next ping is due, while waiting. */
  private dueAt = 0;
  /** clock.now() of the last pong that answered a ping, null before the first. */
  lastPong: number | null = null;
  /** Pings sent; pongs that answered one. */
  pings = 0;
  pongs = 0;

  constructor(private readonly o: KeepAliveOptions) {
    this.intervalMs = o.intervalMs;
    this.strictNow = o.strict ?? false;
  }

  /** Whether a missing pong kills the flow. */
  get strict(): boolean {
    return this.strictNow;
  }

  /** From now on a missing pong kills the flow (the registrar answered `Require: outbound`). */
  requirePongs(): void {
    this.strictNow = true;
  }

  get state(): KeepAliveState {
    return this.current;
  }

  /** The upper bound in force. */
  get interval(): number {
    return this.intervalMs;
  }

  start(): void {
    if (this.current === "idle") this.wait();
  }

  /**
   * A new upper bound (a later REGISTER answer with another Flow-Timer). Waiting, the next ping moves
   * earlier when the new bound asks for it; it never moves later (the peer may be about to drop us).
   */
  setInterval(ms: number): void {
    if (!(ms > 0) || ms === this.intervalMs) return;
    this.intervalMs = ms;
    if (this.current !== "waiting") return;
    const remaining = this.dueAt - this.o.clock.now();
    if (remaining > ms) this.wait();
  }

  /** A CRLF pong came on the flow: the peer answers pings. An unsolicited one (no ping out) is ignored. */
  pong(): void {
    if (this.current !== "awaiting-pong") return;
    this.pongs++;
    this.lastPong = this.o.clock.now();
    this.strictNow = true;
    this.wait();
  }

  /** The connection closed: the flow is dead. */
  closed(reason: string): void {
    this.die(reason);
  }

  /** Ends the keep-alive without declaring the flow dead (unregistered, shutting down). */
  stop(): void {
    if (this.current === "dead" || this.current === "stopped") return;
    this.o.clock.clearTimeout(this.timer);
    this.current = "stopped";
  }

  private wait(): void {
    this.o.clock.clearTimeout(this.timer);
    this.current = "waiting";
    const r = Math.min(Math.max(this.o.random?.() ?? Math.random(), 0), 1);
    const ms = this.intervalMs * (0.8 + 0.2 * r);
    this.dueAt = this.o.clock.now() + ms;
    this.timer = this.o.clock.setTimeout(() => this.fire(), ms);
  }

  private fire(): void {
    if (this.current !== "waiting") return;
    this.current = "awaiting-pong";
    const timeout = this.o.pongTimeoutMs ?? PONG_TIMEOUT_MS;
    this.timer = this.o.clock.setTimeout(() => this.noPong(timeout), timeout);
    this.pings++;
    let sent: Promise<void>;
    try {
      sent = this.o.ping();
    } catch (err) {
      sent = Promise.reject(err);
    }
    sent.catch((err: unknown) => this.die(`keep-alive not sent: ${errorMessage(err)}`));
  }

  private noPong(timeoutMs: number): void {
    if (this.strictNow) this.die(`no CRLF pong within ${timeoutMs / 1000} s`);
    else this.wait();
  }

  private die(reason: string): void {
    if (this.current === "dead" || this.current === "stopped") return;
    this.o.clock.clearTimeout(this.timer);
    this.current = "dead";
    this.o.onDead(reason);
  }
}
