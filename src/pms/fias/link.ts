/**
 * @module fias/link
 * FIAS link control (Spec §6, §8): the LS → LD/LR…/LA → LA handshake, the idle alive check, LE
 * handling, the DS…DE send lock, and reconnecting. Everything else is handed to the handlers.
 * All timing goes through the injected clock so tests drive it with a FakeClock.
 */
import { Backoff } from "../../lib/backoff.ts";
import type { TimerHandle } from "../../lib/clock.ts";
import { errorMessage } from "../../lib/errors.ts";
import type { Direction, PmsLink, PmsState } from "../port.ts";
import type { ConnectionEvents, FiasConnection, FiasListener } from "./connection.ts";
import { fiasDate, fiasTime } from "./datetime.ts";
import { FrameReader, showBytes, wrapFrame } from "./frame.ts";
import { type FiasLinkOptions, type ResolvedLinkOptions, resolveLinkOptions } from "./link-options.ts";
import { type FiasRecord, parseRecord, serializeRecord } from "./record.ts";

/** Where the link-control exchange of one connection stands. */
type Phase =
  /** Just opened: the PMS speaks first (normally LS). */
  | "wait"
  /** We sent LS; waiting for LS or LA. */
  | "greeting"
  /** We sent LD/LR…/LA; waiting for the PMS's LA. */
  | "handshake"
  | "linked"
  /** The PMS sent LE; nothing goes out until it sends LS. */
  | "ended";

interface Session {
  readonly conn: FiasConnection;
  readonly reader: FrameReader;
  phase: Phase;
  /** Between DS and DE. */
  resync: boolean;
  /** Set once the link let go of this connection; its late events are ignored. */
  closed: boolean;
  lastRxAt: number;
  lastLsAt: number;
  /** What the response timer waits for: any record (after our LS) or the PMS's LA (after ours). */
  awaiting?: "reply" | "LA";
  initTimer?: TimerHandle;
  responseTimer?: TimerHandle;
  aliveTimer?: TimerHandle;
  /** Set while stop() waits for the peer's LE. */
  peerEnded?: () => void;
}

const IGNORED_LINK_RECORDS = new Set(["LD", "LR"]);

export class FiasLink implements PmsLink {
  private readonly o: ResolvedLinkOptions;
  private readonly backoff: Backoff;

  private current: PmsState = "down";
  private session: Session | undefined;
  private listener: FiasListener | undefined;
  private retryTimer: TimerHandle | undefined;
  private started = false;
  private stopping = false;
  private stopped: Promise<void> | undefined;

  constructor(opts: FiasLinkOptions) {
    this.o = resolveLinkOptions(opts);
    this.backoff = new Backoff(this.o.backoff);
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

  send(record: FiasRecord): boolean {
    const s = this.session;
    if (!this.canSend || !s) return false;
    return this.write(s, record);
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
    if (old) {
      // One PMS per interface: the newest connection is the live one (Spec §7 TCP/IP).
      this.o.logger.info("fias: new connection replaces the old one", { old: old.conn.remote, remote: conn.remote });
      this.release(old);
      old.conn.close();
    }
    const now = this.o.clock.now();
    const s: Session = {
      conn,
      reader: new FrameReader(),
      phase: "wait",
      resync: false,
      closed: false,
      lastRxAt: now,
      lastLsAt: Number.NEGATIVE_INFINITY,
    };
    this.session = s;
    this.o.logger.info("fias: connected", { remote: conn.remote });
    s.initTimer = this.o.clock.setTimeout(() => this.onInitWaitOver(s), this.o.initWaitMs);
    this.armAlive(s, this.o.aliveMs);
    this.updateState();
    return { onData: (bytes) => this.onData(s, bytes), onClose: (reason) => this.onClose(s, reason) };
  }

  private onClose(s: Session, reason: string | undefined): void {
    if (s.closed) return;
    this.o.logger.warn("fias: connection closed", { remote: s.conn.remote, reason });
    this.release(s);
    this.updateState();
    if (this.o.connector.mode === "client") this.retryLater();
  }

  /** Our side gives up on a connection. */
  private drop(s: Session, reason: string): void {
    if (s.closed) return;
    this.o.logger.warn("fias: dropping connection", { remote: s.conn.remote, reason });
    this.release(s);
    s.conn.close();
    this.updateState();
    if (this.o.connector.mode === "client") this.retryLater();
  }

  /** Forgets a session without notifying; callers decide when the state change is announced. */
  private release(s: Session): void {
    s.closed = true;
    this.o.clock.clearTimeout(s.initTimer);
    this.o.clock.clearTimeout(s.responseTimer);
    this.o.clock.clearTimeout(s.aliveTimer);
    s.peerEnded?.();
    if (this.session === s) this.session = undefined;
  }

  private async shutdown(): Promise<void> {
    this.stopping = true;
    this.o.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.listener?.close();
    this.listener = undefined;
    const s = this.session;
    if (s && s.phase === "linked") {
      let timer: TimerHandle | undefined;
      const answered = new Promise<void>((resolve) => {
        s.peerEnded = resolve;
        timer = this.o.clock.setTimeout(resolve, this.o.endWaitMs);
      });
      this.writeLinkRecord(s, "LE");
      await answered;
      this.o.clock.clearTimeout(timer);
    }
    if (s && !s.closed) {
      this.release(s);
      s.conn.close();
    }
    this.updateState();
    this.o.logger.info("fias: stopped");
  }

  // ---- receiving -------------------------------------------------------------------------------

  private onData(s: Session, bytes: Uint8Array): void {
    if (s.closed) return;
    s.lastRxAt = this.o.clock.now();
    for (const ev of s.reader.push(bytes)) {
      if (s.closed) return;
      if (ev.kind === "error") {
        this.reject(ev.bytes, `framing: ${ev.reason}`);
        continue;
      }
      const parsed = parseRecord(ev.bytes, this.o.charset);
      if (!parsed.ok) {
        this.reject(ev.bytes, parsed.reason);
        continue;
      }
      this.trace("in", ev.bytes);
      this.receive(s, parsed.record, ev.bytes);
    }
  }

  private reject(bytes: Uint8Array, reason: string): void {
    const text = showBytes(bytes);
    this.o.logger.warn("fias: malformed frame", { reason, bytes: text });
    this.trace("in", bytes, reason);
  }

  private receive(s: Session, rec: FiasRecord, raw: Uint8Array): void {
    if (s.awaiting === "reply") this.settle(s);
    switch (rec.type) {
      case "LS":
        this.onLinkStart(s);
        return;
      case "LA":
        this.onLinkAlive(s);
        return;
      case "LE":
        this.onLinkEnd(s);
        return;
      case "DS":
        s.resync = true;
        break;
      case "DE":
        s.resync = false;
        break;
      default:
        if (IGNORED_LINK_RECORDS.has(rec.type)) {
          this.o.logger.debug("fias: ignoring link record from the PMS", { type: rec.type });
          return;
        }
    }
    this.call("onRecord", () => this.o.handlers.onRecord(rec, raw));
    this.updateState();
  }

  /** The PMS (re)starts the link: answer with LD, every LR, LA — every time, even when linked. */
  private onLinkStart(s: Session): void {
    this.o.clock.clearTimeout(s.initTimer);
    if (this.stopping) return;
    s.phase = "handshake";
    // A restarted link restarts any resync too: DE for the old DS will not come.
    s.resync = false;
    this.updateState();
    const { DA, TI } = this.stamp();
    if (!this.write(s, { type: "LD", fields: { DA, TI, "V#": this.o.version, IF: this.o.interfaceFamily } })) return;
    for (const lr of this.o.linkRecords) if (!this.write(s, lr)) return;
    if (!this.writeLinkRecord(s, "LA")) return;
    this.expect(s, "LA");
  }

  private onLinkAlive(s: Session): void {
    if (s.phase === "greeting" || s.phase === "handshake") {
      this.settle(s);
      s.phase = "linked";
      this.backoff.reset();
      this.o.logger.info("fias: link active", { remote: s.conn.remote });
      this.updateState();
      return;
    }
    // linked: the answer to our alive LS. wait/ended: unexpected; the init or alive timer sends LS.
    this.o.logger.debug("fias: LA", { phase: s.phase });
  }

  private onLinkEnd(s: Session): void {
    this.o.clock.clearTimeout(s.initTimer);
    this.settle(s);
    if (s.peerEnded) {
      s.peerEnded();
      return;
    }
    // Answering LE only once keeps two ending sides from echoing LE forever.
    if (s.phase === "ended") return;
    s.phase = "ended";
    s.resync = false;
    this.o.logger.info("fias: PMS ended the link; waiting for LS", { remote: s.conn.remote });
    this.updateState();
    this.writeLinkRecord(s, "LE");
  }

  // ---- timers ----------------------------------------------------------------------------------

  private onInitWaitOver(s: Session): void {
    s.initTimer = undefined;
    if (s.closed || s.phase !== "wait") return;
    // Only link records count as the PMS speaking: after mere data it still needs an LS to start.
    this.o.logger.info("fias: PMS silent after connect; sending LS", { waitedMs: this.o.initWaitMs });
    s.phase = "greeting";
    this.sendLinkStart(s);
  }

  private armAlive(s: Session, delay: number): void {
    this.o.clock.clearTimeout(s.aliveTimer);
    s.aliveTimer = this.o.clock.setTimeout(() => this.onAliveTimer(s), delay);
  }

  private onAliveTimer(s: Session): void {
    s.aliveTimer = undefined;
    if (s.closed) return;
    const due = Math.max(s.lastRxAt, s.lastLsAt) + this.o.aliveMs;
    const now = this.o.clock.now();
    if (now < due) {
      this.armAlive(s, due - now);
      return;
    }
    if (s.awaiting || s.phase === "wait") {
      this.armAlive(s, this.o.aliveMs);
      return;
    }
    this.o.logger.info("fias: PMS silent; sending LS", { phase: s.phase, silentMs: now - s.lastRxAt });
    if (s.phase !== "linked") s.phase = "greeting";
    this.sendLinkStart(s);
    this.armAlive(s, this.o.aliveMs);
  }

  private sendLinkStart(s: Session): void {
    s.lastLsAt = this.o.clock.now();
    if (this.writeLinkRecord(s, "LS")) this.expect(s, "reply");
  }

  private expect(s: Session, what: "reply" | "LA"): void {
    this.o.clock.clearTimeout(s.responseTimer);
    s.awaiting = what;
    s.responseTimer = this.o.clock.setTimeout(() => {
      s.responseTimer = undefined;
      const secs = this.o.responseTimeoutMs / 1000;
      this.drop(s, what === "LA" ? `no LA from the PMS within ${secs} s of ours` : `no reply to LS within ${secs} s`);
    }, this.o.responseTimeoutMs);
  }

  private settle(s: Session): void {
    this.o.clock.clearTimeout(s.responseTimer);
    s.responseTimer = undefined;
    s.awaiting = undefined;
  }

  // ---- sending ---------------------------------------------------------------------------------

  private stamp(): { DA: string; TI: string } {
    const t = this.o.localTime(this.o.clock.now());
    return { DA: fiasDate(t), TI: fiasTime(t) };
  }

  private writeLinkRecord(s: Session, type: "LS" | "LA" | "LE"): boolean {
    return this.write(s, { type, fields: this.stamp() });
  }

  private write(s: Session, rec: FiasRecord): boolean {
    if (s.closed) return false;
    const payload = serializeRecord(rec, this.o.charset);
    try {
      s.conn.write(wrapFrame(payload));
    } catch (err) {
      this.drop(s, `write failed: ${errorMessage(err)}`);
      return false;
    }
    this.trace("out", payload);
    return true;
  }

  // ---- notifications ---------------------------------------------------------------------------

  private computeState(): PmsState {
    const s = this.session;
    if (!s) return "down";
    if (s.phase !== "linked") return "connecting";
    return s.resync ? "resync" : "linked";
  }

  private updateState(): void {
    const next = this.computeState();
    if (next === this.current) return;
    this.o.logger.info("fias: state", { from: this.current, to: next });
    this.current = next;
    this.call("onState", () => this.o.handlers.onState(next));
    if (next === "linked" && !this.stopping) this.call("onReady", () => this.o.handlers.onReady?.());
  }

  private trace(dir: Direction, bytes: Uint8Array, error?: string): void {
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
