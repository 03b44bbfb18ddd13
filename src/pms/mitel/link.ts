/**
 * @module mitel/link
 * A Mitel PMS link: opens the connection (TCP client or server from pms/fias/tcp.ts, or the serial
 * device, mitel/serial.ts), runs the system side of the link procedure on it (session.ts), reconnects
 * with backoff, and tells the appliance its state. All timing goes through the injected clock.
 *
 * The protocol has no link start: an open connection is "linked" at once, "connecting" while the
 * PMS does not answer our line bids (PMS down), "resync" between GRS and END. Server mode: one PMS
 * per interface, so a newer connection replaces the live one — once it has spoken (an ENQ or a valid
 * message), so a port scan or a silent stray connection cannot take the hotel's link down.
 *
 * PMS → us: its ENQ gets ACK at once (we are never busy) and the line is the PMS's until its
 * `STX message ETX` arrives or 3 s pass; the message gets ACK (valid) or NAK (invalid, logged) at
 * once. A message without a prior ENQ is taken too (gateways skip the bid) unless `requireEnq`.
 * AREYUTHERE is ACKed and goes no further. A repeated ENQ while the line is the PMS's is ACKed again
 * (the grant keeps its end, so an ENQ storm cannot hold the line).
 *
 * Us → PMS, one message at a time: ENQ; no answer in 3 s → ENQ again, NAK (busy) → ENQ again after
 * 3 s, 21 ENQs in all; ACK → the message in one write; its ACK → done; no answer in 3 s → the whole
 * sequence again from ENQ, NAK → again from ENQ, 6 attempts in all. When the ENQs or the no-answer
 * attempts are spent the PMS is down: the messages handed to us are given back (done false: the
 * outbox keeps them), the state is "connecting", and an ENQ goes out every 3 s until the PMS answers
 * or sends anything (then "linked" again, and the outbox resends; the grant of an ACKed probe is held
 * for `grantHoldMs` so that message goes out without a new bid). A message NAKed on every attempt is
 * invalid to the PMS: discarded and logged (the spec's rule), reported delivered so the outbox moves on
 * (but an MR, a charge, is reported not delivered: a refused charge must not count as posted).
 *
 * Glare: the PMS's ENQ while we wait for the answer to ours is ignored — the system goes first, the
 * PMS backs off 6 s and answers our ENQ. An ENQ from the PMS while our message waits for its answer
 * is granted right after our transaction, if it is younger than 3 s (else the PMS has bid again).
 *
 * GRS … END (resync): the state is "resync", our messages wait (a transaction already on the wire
 * finishes), and go out after END; a cycle with nothing received for `resyncIdleMs` is abandoned.
 *
 * `uncleanStart`: the first message once linked is RQINZ (request to initialize), asked again on each
 * new connection until the PMS acknowledges it or starts a GRS. `sendMessage` of an RQINZ while one
 * is still waiting, or within a minute of the PMS's ACK to one with no GRS since, joins it instead of
 * asking twice (the appliance's own resync request after an unclean stop meets the link's).
 */
import { Backoff } from "../../lib/backoff.ts";
import { encode } from "../../lib/charset.ts";
import type { TimerHandle } from "../../lib/clock.ts";
import { errorMessage } from "../../lib/errors.ts";
import { LogBudget } from "../../lib/log-budget.ts";
import type { ConnectionEvents, FiasConnection, FiasListener } from "../fias/connection.ts";
import type { PmsLink, PmsPeerInfo, PmsState } from "../port.ts";
import { showBytes, wrapMessage } from "./codec.ts";
import { type MitelLinkOptions, type ResolvedMitelOptions, resolveMitelOptions } from "./link-options.ts";
import { formatMessage, type MitelMessage, parseMessage } from "./messages.ts";
import { emptyStats, MitelSession, type MitelStats } from "./session.ts";

type Session = MitelSession;

/** A second RQINZ within this long after the PMS ACKed one (and no GRS since) joins it. */
const RQINZ_JOIN_MS = 60_000;

export class MitelLink implements PmsLink {
  readonly o: ResolvedMitelOptions;
  readonly stats: MitelStats = emptyStats();
  private readonly seen: PmsPeerInfo;
  private readonly budget: LogBudget;
  private readonly backoff: Backoff;
  private current: PmsState = "down";
  private session: Session | undefined;
  private candidate: Session | undefined;
  private listener: FiasListener | undefined;
  private retryTimer: TimerHandle | undefined;
  private started = false;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private quietWaiter: (() => void) | undefined;
  /** RQINZ still to be asked (unclean start), until acknowledged or a GRS comes. */
  private rqinzWanted: boolean;
  /** When the PMS last ACKed our RQINZ, until its GRS comes. */
  private rqinzAckedAt: number | undefined;

  constructor(opts: MitelLinkOptions) {
    this.o = resolveMitelOptions(opts);
    this.backoff = new Backoff(this.o.backoff);
    this.budget = new LogBudget(this.o.logger, this.o.clock);
    this.rqinzWanted = this.o.uncleanStart;
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

  get state(): PmsState {
    return this.current;
  }

  get peer(): PmsPeerInfo {
    return { ...this.seen };
  }

  get canSend(): boolean {
    return this.current === "linked" && !this.stopping;
  }

  /** Peer address of the live connection, if any. */
  get remote(): string | undefined {
    return this.session?.conn.remote;
  }

  /** A connection from an address not in `pms.allow` was closed (the TCP server connector calls this). */
  refused(address: string): void {
    this.seen.connectionsRefused++;
    this.budget.warn("mitel-refused", "mitel: connection from an address not in pms.allow closed", { address });
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

  sendMessage(text: string, done?: (delivered: boolean, reason?: string) => void): boolean {
    const s = this.session;
    if (!this.canSend || !s) return false;
    const bytes = encode(text, this.o.charset);
    const parsed = parseMessage(bytes, { profile: this.o.profile, charset: this.o.charset, direction: "to-pms" });
    if (!parsed.ok) return false;
    const type = parsed.message.type;
    if (type === "RQINZ") {
      const waiting = s.queue.find((q) => q.type === "RQINZ");
      if (waiting) {
        if (done) waiting.dones.push(done);
        return true;
      }
      // Asked a moment ago and the GRS is on its way: one resync, not two.
      const at = this.rqinzAckedAt;
      if (at !== undefined && this.o.clock.now() - at < RQINZ_JOIN_MS) {
        this.o.logger.debug("mitel: RQINZ acknowledged moments ago; not asked again");
        done?.(true);
        return true;
      }
    }
    s.enqueue({ text, bytes: wrapMessage(bytes), type, dones: done ? [done] : [] });
    return true;
  }

  // ---- transport -------------------------------------------------------------------------------

  private open(): void {
    if (this.stopping) return;
    const c = this.o.connector;
    if (c.mode === "client") {
      this.o.logger.info("mitel: connecting", { target: c.target });
      c.connect((conn) => this.attach(conn)).catch((err: unknown) => {
        if (this.stopping) return;
        this.o.logger.warn("mitel: connect failed", { target: c.target, error: errorMessage(err) });
        this.retryLater();
      });
      return;
    }
    c.listen((conn) => this.attach(conn)).then(
      (listener) => {
        if (this.stopping) listener.close();
        else {
          this.listener = listener;
          this.o.logger.info("mitel: listening", { target: c.target });
        }
      },
      (err: unknown) => {
        if (this.stopping) return;
        this.o.logger.error("mitel: cannot listen", { target: c.target, error: errorMessage(err) });
        this.retryLater();
      },
    );
  }

  private retryLater(): void {
    if (this.stopping || this.retryTimer) return;
    const delay = this.backoff.next();
    this.o.logger.info("mitel: retrying", { inMs: delay, attempt: this.backoff.attempts });
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
    const s = new MitelSession(this, conn);
    this.seen.connections++;
    const events = { onData: (b: Uint8Array) => s.onData(b), onClose: (r?: string) => this.onClose(s, r) };
    if (this.session && this.o.connector.mode === "server") {
      if (this.candidate) this.forget(this.candidate, "a newer connection came");
      this.candidate = s;
      this.o.logger.info("mitel: new PMS connection; it takes over once it speaks", {
        live: this.session.conn.remote,
        remote: conn.remote,
      });
      return events;
    }
    if (this.session) this.forget(this.session, "replaced by a new connection", true);
    this.o.logger.info("mitel: connected", { remote: conn.remote });
    this.goLive(s);
    return events;
  }

  private goLive(s: Session): void {
    this.session = s;
    this.seen.linkStarts++;
    this.backoff.reset();
    if (this.rqinzWanted) {
      const text = formatMessage({ type: "RQINZ" }, this.o.profile);
      const bytes = wrapMessage(encode(text, this.o.charset));
      s.enqueue({ text, bytes, type: "RQINZ", dones: [] }, true);
    }
    this.changed(s);
  }

  private onClose(s: Session, reason: string | undefined): void {
    if (s.closed) return;
    if (s === this.candidate) {
      this.o.logger.info("mitel: new PMS connection closed before it spoke", { remote: s.conn.remote, reason });
      this.candidate = undefined;
      s.release("connection closed");
      return;
    }
    this.o.logger.warn("mitel: connection closed", { remote: s.conn.remote, reason });
    this.lose(s, `connection closed: ${reason ?? "closed"}`);
  }

  /** Our side gives up on a connection. */
  drop(s: Session, reason: string): void {
    if (s.closed) return;
    this.o.logger.warn("mitel: dropping connection", { remote: s.conn.remote, reason });
    if (s === this.candidate) {
      this.forget(s, reason);
      return;
    }
    this.lose(s, reason);
    s.conn.close();
  }

  private lose(s: Session, reason: string): void {
    s.release(reason);
    if (this.session !== s) return;
    this.session = undefined;
    if (!this.stopping) this.seen.connectionsLost++;
    this.changed();
    if (this.o.connector.mode === "client") this.retryLater();
  }

  private forget(s: Session, reason: string, lost = false): void {
    // Released first: messages it ACKed and still holds go up while it is the live session.
    s.release(reason);
    if (this.candidate === s) this.candidate = undefined;
    if (this.session === s) this.session = undefined;
    if (lost) this.seen.connectionsLost++;
    s.conn.close();
  }

  private async shutdown(): Promise<void> {
    this.stopping = true;
    this.o.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.listener?.close();
    this.listener = undefined;
    if (this.candidate) this.forget(this.candidate, "link stopped");
    const s = this.session;
    if (s && !s.closed) {
      // Let a transaction already on the wire finish; nothing new starts (canSend is false).
      const onWire = s.busy ? s.queue[0] : undefined;
      s.giveBack("link stopped", (o) => o === onWire);
      if (!s.quiet) {
        let timer: TimerHandle | undefined;
        await new Promise<void>((resolve) => {
          this.quietWaiter = resolve;
          timer = this.o.clock.setTimeout(resolve, this.o.endWaitMs);
        });
        this.o.clock.clearTimeout(timer);
        this.quietWaiter = undefined;
      }
      this.forget(s, "link stopped");
    }
    this.changed();
    this.budget.flush();
    this.o.logger.info("mitel: stopped");
  }

  // ---- session host ----------------------------------------------------------------------------

  deliver(s: Session, m: MitelMessage, raw: Uint8Array): void {
    if (s !== this.session) return;
    this.call("onRecord", () => this.o.handlers.onRecord(m, raw));
  }

  spoke(s: Session): void {
    if (s !== this.candidate) return;
    const old = this.session;
    this.candidate = undefined;
    if (old) {
      this.o.logger.info("mitel: the new PMS connection spoke; it replaces the old one", {
        old: old.conn.remote,
        remote: s.conn.remote,
      });
      this.forget(old, "replaced by a new connection", true);
    }
    this.goLive(s);
  }

  resyncAsked(by: "RQINZ" | "GRS"): void {
    this.rqinzWanted = false;
    this.rqinzAckedAt = by === "RQINZ" ? this.o.clock.now() : undefined;
  }

  quiet(s: Session): void {
    if (s === this.session) this.quietWaiter?.();
  }

  rejected(_s: Session, garbageBytes: number): void {
    this.seen.framesRejected++;
    this.seen.garbageBytes += garbageBytes;
  }

  changed(s?: Session): void {
    if (s && s !== this.session) return;
    const next = this.session?.state ?? "down";
    if (next === this.current) return;
    this.o.logger.info("mitel: state", { from: this.current, to: next });
    this.current = next;
    this.call("onState", () => this.o.handlers.onState(next));
    if (next === "linked" && !this.stopping) this.call("onReady", () => this.o.handlers.onReady?.());
  }

  trace(dir: "in" | "out", bytes: Uint8Array, error?: string): void {
    const onTrace = this.o.handlers.onTrace;
    if (error) this.budget.warn(`mitel-${dir}-rejected`, "mitel: message rejected", { text: showBytes(bytes), error });
    if (!onTrace) return;
    const entry = { dir, at: this.o.clock.now(), text: showBytes(bytes), ...(error ? { error } : {}) };
    this.call("onTrace", () => onTrace(entry));
  }

  /** A throwing handler must not unwind into the socket's event loop or skip the next message. */
  private call(name: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.o.logger.error("mitel: handler threw", { handler: name, error: errorMessage(err) });
    }
  }
}
