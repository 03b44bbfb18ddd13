/**
 * @module pms/link-base
 * The connection management every PMS link runs, whatever its protocol: opens the connection (we
 * dial the PMS, or it dials us), retries with backoff, replaces one connection by the next, counts
 * what the peer did (PmsPeerInfo), stops, and tells the appliance its state. A protocol's link
 * (fias/link.ts, mitel/link.ts) extends it with a session class that speaks the protocol on one
 * connection, and with what goes out. All timing goes through the injected clock.
 *
 * One PMS per interface, so the newest connection wins — but in server mode only once it has proved
 * itself by the protocol's rule (FIAS: its link start completed; Mitel: it spoke): until then it is
 * a candidate, the live connection keeps working, and the candidate's frames are not applied. A
 * stray or hostile connection (a port scan, a probe) can neither feed frames nor take the hotel's
 * PMS link down.
 */
import { Backoff, type BackoffOptions } from "../lib/backoff.ts";
import type { Clock, TimerHandle } from "../lib/clock.ts";
import { errorMessage } from "../lib/errors.ts";
import { LogBudget } from "../lib/log-budget.ts";
import type { Logger } from "../lib/logger.ts";
import type { ConnectionEvents, FiasConnection, FiasConnector, FiasListener } from "./fias/connection.ts";
import type { Direction, PmsLink, PmsLinkHandlers, PmsPeerInfo, PmsState } from "./port.ts";

/** The resolved options the connection management reads; each protocol's options extend them. */
export interface LinkBaseOptions<F> {
  connector: FiasConnector;
  clock: Clock;
  logger: Logger;
  handlers: PmsLinkHandlers<F>;
  /** How long stop() waits for the protocol's orderly end (`finish`). */
  endWaitMs: number;
  /** Reconnect (client) or re-listen (server) delays. */
  backoff: BackoffOptions;
}

/** What the link needs of a protocol session on one connection. */
export interface HostedSession {
  readonly conn: FiasConnection;
  /** Set once the link let go of this connection; its late events are ignored. */
  readonly closed: boolean;
  /** What this connection means for the link's state. */
  readonly state: PmsState;
  onData(bytes: Uint8Array): void;
  /** Stops the session's timers and hands back what it holds; the link closes the connection. */
  release(reason: string): void;
}

/** How the protocol's link is named in its logs. */
export interface LinkWords {
  /** Log prefix and log-budget kind prefix: "fias", "mitel". */
  tag: string;
  /** A server-mode candidate takes over once …: "its link start completes", "it speaks". */
  takesOverOnce: string;
  /** A candidate closed or dropped …: "before its link start", "before it spoke". */
  before: string;
  /** The new PMS connection …; it replaces the old one: "started the link", "spoke". */
  did: string;
}

export abstract class PmsLinkBase<F, S extends HostedSession, O extends LinkBaseOptions<F>> implements PmsLink {
  readonly o: O;
  /** Observed peer behaviour, shared across the link's sessions. */
  readonly seen: PmsPeerInfo;
  /** Peer-caused trouble, logged within a budget (no input may flood the log). */
  readonly budget: LogBudget;
  protected readonly backoff: Backoff;
  /** The live connection's session. */
  protected session: S | undefined;
  /** Server mode: a newer connection that becomes the live one once it proves itself (`promote`). */
  private candidate: S | undefined;
  private current: PmsState = "down";
  private listener: FiasListener | undefined;
  private retryTimer: TimerHandle | undefined;
  private started = false;
  private halting = false;
  private stopped: Promise<void> | undefined;

  constructor(
    o: O,
    private readonly words: LinkWords,
  ) {
    this.o = o;
    this.backoff = new Backoff(o.backoff);
    this.budget = new LogBudget(o.logger, o.clock);
    this.seen = {
      framing: "stx-etx",
      greeting: null,
      linkConfirmedBy: null,
      aliveAnswer: null,
      connections: 0,
      linkStarts: 0,
      connectionsLost: 0,
      connectionsRefused: 0,
      recordsRefused: 0,
      framesRejected: 0,
      garbageBytes: 0,
    };
  }

  /** The protocol's session on a connection just opened. */
  protected abstract newSession(conn: FiasConnection): S;
  /** stop(): the protocol's orderly end on the live connection, before the link closes it. */
  protected abstract finish(s: S): Promise<void>;
  /** Printable text of a frame, for the trace. */
  protected abstract show(bytes: Uint8Array): string;
  /** A session became the live one (before the state is announced). */
  protected wentLive(_s: S): void {}

  abstract sendMessage(text: string, done?: (delivered: boolean, reason?: string) => void): boolean;

  /** A connection from an address not in `pms.allow` was closed (the TCP server connector calls this). */
  refused(address: string): void {
    this.seen.connectionsRefused++;
    const tag = this.words.tag;
    this.budget.warn(`${tag}-refused`, `${tag}: connection from an address not in pms.allow closed`, { address });
  }

  get peer(): PmsPeerInfo {
    return { ...this.seen };
  }

  get state(): PmsState {
    return this.current;
  }

  get stopping(): boolean {
    return this.halting;
  }

  get canSend(): boolean {
    return this.current === "linked" && !this.halting;
  }

  /** Peer address of the live connection, if any. */
  get remote(): string | undefined {
    return this.session?.conn.remote;
  }

  start(): void {
    if (this.started || this.halting) return;
    this.started = true;
    this.open();
  }

  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  // ---- transport -------------------------------------------------------------------------------

  private log(level: "info" | "warn" | "error", what: string, fields?: Record<string, unknown>): void {
    this.o.logger[level](`${this.words.tag}: ${what}`, fields);
  }

  private open(): void {
    if (this.halting) return;
    const c = this.o.connector;
    if (c.mode === "client") {
      this.log("info", "connecting", { target: c.target });
      c.connect((conn) => this.attach(conn)).catch((err: unknown) => {
        if (this.halting) return;
        this.log("warn", "connect failed", { target: c.target, error: errorMessage(err) });
        this.retryLater();
      });
      return;
    }
    c.listen((conn) => this.attach(conn)).then(
      (listener) => {
        if (this.halting) {
          listener.close();
          return;
        }
        this.listener = listener;
        this.log("info", "listening", { target: c.target });
      },
      (err: unknown) => {
        if (this.halting) return;
        this.log("error", "cannot listen", { target: c.target, error: errorMessage(err) });
        this.retryLater();
      },
    );
  }

  private retryLater(): void {
    if (this.halting || this.retryTimer) return;
    const delay = this.backoff.next();
    this.log("info", "retrying", { inMs: delay, attempt: this.backoff.attempts });
    this.retryTimer = this.o.clock.setTimeout(() => {
      this.retryTimer = undefined;
      this.open();
    }, delay);
  }

  private attach(conn: FiasConnection): ConnectionEvents {
    if (this.halting) {
      conn.close();
      return { onData: () => {}, onClose: () => {} };
    }
    const old = this.session;
    if (old && this.o.connector.mode === "server") {
      // The live connection keeps working until the new one has proved itself.
      if (this.candidate) this.dropCandidate(this.candidate, "a newer connection came");
      const s = this.newSession(conn);
      this.candidate = s;
      this.seen.connections++;
      this.log("info", `new PMS connection; it takes over once ${this.words.takesOverOnce}`, {
        live: old.conn.remote,
        remote: conn.remote,
      });
      return this.events(s);
    }
    if (old) {
      // One PMS per interface: the newest connection is the live one.
      this.log("info", "new connection replaces the old one", { old: old.conn.remote, remote: conn.remote });
      this.forget(old, "replaced by a new connection", true);
    }
    const s = this.newSession(conn);
    this.seen.connections++;
    this.log("info", "connected", { remote: conn.remote });
    this.goLive(s);
    return this.events(s);
  }

  private events(s: S): ConnectionEvents {
    return { onData: (bytes) => s.onData(bytes), onClose: (reason) => this.onClose(s, reason) };
  }

  private goLive(s: S): void {
    this.session = s;
    this.wentLive(s);
    this.changed(s);
  }

  /** Server mode: the candidate proved itself by the protocol's rule and replaces the live connection. */
  protected promote(s: S): void {
    if (s !== this.candidate) return;
    const old = this.session;
    this.candidate = undefined;
    if (old) {
      this.log("info", `the new PMS connection ${this.words.did}; it replaces the old one`, {
        old: old.conn.remote,
        remote: s.conn.remote,
      });
      this.forget(old, "replaced by a new connection", true);
    }
    this.goLive(s);
  }

  private onClose(s: S, reason: string | undefined): void {
    if (s.closed) return;
    if (s === this.candidate) {
      this.log("info", `new PMS connection closed ${this.words.before}`, { remote: s.conn.remote, reason });
      this.forget(s, "connection closed");
      return;
    }
    this.log("warn", "connection closed", { remote: s.conn.remote, reason });
    this.lose(s, `connection closed: ${reason ?? "closed"}`);
  }

  /** Our side gives up on a connection. */
  drop(s: S, reason: string): void {
    if (s.closed) return;
    if (s === this.candidate) {
      this.dropCandidate(s, reason);
      return;
    }
    this.log("warn", "dropping connection", { remote: s.conn.remote, reason });
    this.lose(s, reason);
    s.conn.close();
  }

  private dropCandidate(s: S, reason: string): void {
    this.log("info", `new PMS connection dropped ${this.words.before}`, { remote: s.conn.remote, reason });
    this.forget(s, reason);
  }

  /** The live connection ended other than by a replacement: down, and (client) dial again. */
  private lose(s: S, reason: string): void {
    s.release(reason);
    if (this.session !== s) return;
    this.session = undefined;
    if (!this.halting) this.seen.connectionsLost++;
    this.changed();
    if (this.o.connector.mode === "client") this.retryLater();
  }

  /** Lets go of a connection without announcing a state; the caller does when it is time. */
  private forget(s: S, reason: string, lost = false): void {
    // Released first: what it still holds goes up while it is the live session (Mitel's ACKed messages).
    s.release(reason);
    if (this.candidate === s) this.candidate = undefined;
    if (this.session === s) this.session = undefined;
    if (lost) this.seen.connectionsLost++;
    s.conn.close();
  }

  private async shutdown(): Promise<void> {
    this.halting = true;
    this.o.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.listener?.close();
    this.listener = undefined;
    if (this.candidate) this.forget(this.candidate, "link stopped");
    const s = this.session;
    if (s && !s.closed) {
      await this.finish(s);
      if (!s.closed) this.forget(s, "link stopped");
    }
    this.changed();
    this.budget.flush();
    this.log("info", "stopped");
  }

  /** For `finish`: resolves when `register`'s callback is called, or after `endWaitMs`. */
  protected async endWait(register: (done: () => void) => void): Promise<void> {
    let timer: TimerHandle | undefined;
    await new Promise<void>((resolve) => {
      register(resolve);
      timer = this.o.clock.setTimeout(resolve, this.o.endWaitMs);
    });
    this.o.clock.clearTimeout(timer);
  }

  // ---- what sessions tell the link ---------------------------------------------------------------

  /** An application frame, in arrival order; a candidate's wait until it is the live one. */
  deliver(s: S, frame: F, raw: Uint8Array): void {
    if (s !== this.session) return;
    this.call("onRecord", () => this.o.handlers.onRecord(frame, raw));
  }

  /** A session's state changed (or, without one, the live session went): the link recomputes its own. */
  changed(s?: S): void {
    if (s && s !== this.session) return;
    const next = this.session?.state ?? "down";
    if (next === this.current) return;
    this.log("info", "state", { from: this.current, to: next });
    this.current = next;
    this.call("onState", () => this.o.handlers.onState(next));
    if (next === "linked" && !this.halting) this.call("onReady", () => this.o.handlers.onReady?.());
  }

  trace(dir: Direction, bytes: Uint8Array, error?: string): void {
    const onTrace = this.o.handlers.onTrace;
    if (!onTrace) return;
    const entry = { dir, at: this.o.clock.now(), text: this.show(bytes), ...(error ? { error } : {}) };
    this.call("onTrace", () => onTrace(entry));
  }

  /** A throwing handler must not unwind into the socket's event loop or skip the next frame. */
  private call(name: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log("error", "handler threw", { handler: name, error: errorMessage(err) });
    }
  }
}
