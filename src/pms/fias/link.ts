/**
 * @module fias/link
 * A FIAS link (Spec §6, §7): opens the connection (we dial the PMS, or it dials us), hands each one
 * to a LinkSession that speaks the link-control protocol, replaces and reconnects, and tells the
 * appliance its state. All timing goes through the injected clock so tests drive it with a FakeClock.
 *
 * One PMS per interface, so the newest connection wins (Spec §7) — but in server mode only once it
 * has completed its link start: until then it is a candidate, the live connection keeps working,
 * and the candidate's records are not applied. A stray or hostile connection (a port scan, a probe
 * sending GI/GO) can neither feed records nor take the hotel's PMS link down.
 */
import { Backoff } from "../../lib/backoff.ts";
import type { TimerHandle } from "../../lib/clock.ts";
import { errorMessage } from "../../lib/errors.ts";
import { LogBudget } from "../../lib/log-budget.ts";
import type { Direction, PmsLink, PmsPeerInfo, PmsState } from "../port.ts";
import type { ConnectionEvents, FiasConnection, FiasListener } from "./connection.ts";
import { showBytes } from "./frame.ts";
import { type FiasLinkOptions, type ResolvedLinkOptions, resolveLinkOptions } from "./link-options.ts";
import { LinkSession, type SessionHost } from "./link-session.ts";
import { type FiasRecord, recordFromText } from "./record.ts";

export class FiasLink implements PmsLink, SessionHost {
  readonly o: ResolvedLinkOptions;
  readonly seen: PmsPeerInfo;
  readonly budget: LogBudget;
  private readonly backoff: Backoff;

  private current: PmsState = "down";
  private session: LinkSession | undefined;
  /** Server mode: a newer connection that becomes the live one when its link start completes. */
  private candidate: LinkSession | undefined;
  private listener: FiasListener | undefined;
  private retryTimer: TimerHandle | undefined;
  private started = false;
  stopping = false;
  private stopped: Promise<void> | undefined;

  constructor(opts: FiasLinkOptions) {
    this.o = resolveLinkOptions(opts);
    this.backoff = new Backoff(this.o.backoff);
    this.budget = new LogBudget(this.o.logger, this.o.clock);
    this.seen = {
      framing: this.o.framing.name,
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

  /** A connection from an address not in `pms.allow` was closed (the connector calls this). */
  refused(address: string): void {
    this.seen.connectionsRefused++;
    this.budget.warn("fias-refused", "fias: connection from an address not in pms.allow closed", { address });
  }

  get peer(): PmsPeerInfo {
    return { ...this.seen };
  }

  get state(): PmsState {
    return this.current;
  }

  get canSend(): boolean {
    return this.current === "linked" && !this.stopping;
  }

  /** Peer address of the open connection, if any. */
  get remote(): string | undefined {
    return this.session?.conn.remote;
  }

  start(): void {
    if (this.started || this.stopping) return;
    this.started = true;
    this.open();
  }

  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  send(record: FiasRecord, done?: (delivered: boolean, reason?: string) => void): boolean {
    const s = this.session;
    if (!this.canSend || !s) return false;
    return s.write(record, done);
  }

  sendMessage(text: string, done?: (delivered: boolean, reason?: string) => void): boolean {
    let record: FiasRecord;
    try {
      record = recordFromText(text);
    } catch {
      return false;
    }
    return this.send(record, done);
  }

  // ---- transport -------------------------------------------------------------------------------

  private open(): void {
    if (this.stopping) return;
    const c = this.o.connector;
    if (c.mode === "client") {
      this.o.logger.info("fias: connecting", { target: c.target });
      c.connect((conn) => this.attach(conn)).catch((err: unknown) => {
        if (this.stopping) return;
        this.o.logger.warn("fias: connect failed", { target: c.target, error: errorMessage(err) });
        this.retryLater();
      });
    } else {
      c.listen((conn) => this.attach(conn)).then(
        (listener) => {
          if (this.stopping) {
            listener.close();
            return;
          }
          this.listener = listener;
          this.o.logger.info("fias: listening", { target: c.target });
        },
        (err: unknown) => {
          if (this.stopping) return;
          this.o.logger.error("fias: cannot listen", { target: c.target, error: errorMessage(err) });
          this.retryLater();
        },
      );
    }
  }

  private retryLater(): void {
    if (this.stopping || this.retryTimer) return;
    const delay = this.backoff.next();
    this.o.logger.info("fias: retrying", { inMs: delay, attempt: this.backoff.attempts });
    this.retryTimer = this.o.clock.setTimeout(() => {
      this.retryTimer = undefined;
      this.open();
    }, delay);
  }

  private attach(conn: FiasConnection): ConnectionEvents {
    if (this.stopping) {
      conn.close();
      return { onData: () => {}, onClose: () => {} };
    }
    const old = this.session;
    if (old && this.o.connector.mode === "server") {
      // The live connection keeps working until the new one has started the link.
      const older = this.candidate;
      if (older) this.dropCandidate(older, "a newer connection came");
      const s = new LinkSession(this, conn);
      this.candidate = s;
      this.seen.connections++;
      this.o.logger.info("fias: new PMS connection; it takes over once its link start completes", {
        live: old.conn.remote,
        remote: conn.remote,
      });
      return { onData: (bytes) => s.onData(bytes), onClose: (reason) => this.onClose(s, reason) };
    }
    if (old) {
      // One PMS per interface: the newest connection is the live one (Spec §7 TCP/IP).
      this.o.logger.info("fias: new connection replaces the old one", { old: old.conn.remote, remote: conn.remote });
      this.release(old);
      this.seen.connectionsLost++;
      old.conn.close();
    }
    const s = new LinkSession(this, conn);
    this.session = s;
    this.seen.connections++;
    this.o.logger.info("fias: connected", { remote: conn.remote });
    this.changed();
    return { onData: (bytes) => s.onData(bytes), onClose: (reason) => this.onClose(s, reason) };
  }

  private onClose(s: LinkSession, reason: string | undefined): void {
    if (s.closed) return;
    if (s === this.candidate) {
      this.o.logger.info("fias: new PMS connection closed before its link start", { remote: s.conn.remote, reason });
      this.release(s);
      return;
    }
    this.o.logger.warn("fias: connection closed", { remote: s.conn.remote, reason });
    this.release(s);
    if (!this.stopping) this.seen.connectionsLost++;
    this.changed();
    if (this.o.connector.mode === "client") this.retryLater();
  }

  /** Our side gives up on a connection. */
  drop(s: LinkSession, reason: string): void {
    if (s.closed) return;
    if (s === this.candidate) {
      this.dropCandidate(s, reason);
      return;
    }
    this.o.logger.warn("fias: dropping connection", { remote: s.conn.remote, reason });
    this.release(s);
    this.seen.connectionsLost++;
    s.conn.close();
    this.changed();
    if (this.o.connector.mode === "client") this.retryLater();
  }

  private dropCandidate(s: LinkSession, reason: string): void {
    this.o.logger.info("fias: new PMS connection dropped before its link start", { remote: s.conn.remote, reason });
    this.release(s);
    s.conn.close();
  }

  /** Forgets a session without notifying; callers decide when the state change is announced. */
  private release(s: LinkSession): void {
    s.release();
    if (this.session === s) this.session = undefined;
    if (this.candidate === s) this.candidate = undefined;
  }

  private async shutdown(): Promise<void> {
    this.stopping = true;
    this.o.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.listener?.close();
    this.listener = undefined;
    const c = this.candidate;
    if (c) {
      this.release(c);
      c.conn.close();
    }
    const s = this.session;
    if (s?.linked) {
      let timer: TimerHandle | undefined;
      const answered = new Promise<void>((resolve) => {
        s.peerEnded = resolve;
        timer = this.o.clock.setTimeout(resolve, this.o.endWaitMs);
      });
      s.end();
      await answered;
      this.o.clock.clearTimeout(timer);
    }
    if (s && !s.closed) {
      this.release(s);
      s.conn.close();
    }
    this.changed();
    this.o.logger.info("fias: stopped");
  }

  // ---- notifications (SessionHost) -------------------------------------------------------------

  linkedUp(s: LinkSession): void {
    this.backoff.reset();
    if (s !== this.candidate) return;
    const old = this.session;
    this.candidate = undefined;
    this.session = s;
    if (old) {
      this.o.logger.info("fias: the new PMS connection started the link; it replaces the old one", {
        old: old.conn.remote,
        remote: s.conn.remote,
      });
      this.release(old);
      this.seen.connectionsLost++;
      old.conn.close();
    }
  }

  deliver(s: LinkSession, rec: FiasRecord, raw: Uint8Array): void {
    // A candidate's records wait for its link start (refused before it, see LinkSession).
    if (s !== this.session) return;
    this.call("onRecord", () => this.o.handlers.onRecord(rec, raw));
  }

  changed(s?: LinkSession): void {
    if (s && s !== this.session) return;
    const next = this.session?.state ?? "down";
    if (next === this.current) return;
    this.o.logger.info("fias: state", { from: this.current, to: next });
    this.current = next;
    this.call("onState", () => this.o.handlers.onState(next));
    if (next === "linked" && !this.stopping) this.call("onReady", () => this.o.handlers.onReady?.());
  }

  trace(dir: Direction, bytes: Uint8Array, error?: string): void {
    const onTrace = this.o.handlers.onTrace;
    if (!onTrace) return;
    const entry = { dir, at: this.o.clock.now(), text: showBytes(bytes), ...(error ? { error } : {}) };
    this.call("onTrace", () => onTrace(entry));
  }

  /** A throwing handler must not unwind into the socket's event loop or skip the next frame. */
  private call(name: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.o.logger.error("fias: handler threw", { handler: name, error: errorMessage(err) });
    }
  }
}
export type { FiasLinkOptions } from "./link-options.ts";
