/**
 * @module mitel/session
 * The system (PBX) side of the Mitel PMS link procedure on one open connection (shared notes
 * pms-protocols §1.2). The line is half-duplex: one transaction at a time, each opened by a line bid.
 *
 * PMS → us: its ENQ gets ACK at once (we are never busy) and the line is the PMS's until its
 * `STX message ETX` arrives or 3 s pass; the message gets ACK (valid) or NAK (invalid, logged) at
 * once. A message without a prior ENQ is taken too (gateways skip the bid) unless `requireEnq`.
 * AREYUTHERE is ACKed and goes no further. A repeated ENQ while the line is the PMS's is ACKed again.
 *
 * Us → PMS, one message at a time: ENQ; no answer in 3 s → ENQ again, NAK (busy) → ENQ again after
 * 3 s, 21 ENQs in all; ACK → the message in one write; its ACK → done; no answer in 3 s → the whole
 * sequence again from ENQ, NAK → again from ENQ, 6 attempts in all. When the ENQs or the no-answer
 * attempts are spent the PMS is down: the messages handed to us are given back (done false: the
 * outbox keeps them), the state is "connecting", and an ENQ goes out every 3 s until the PMS answers
 * or sends anything (then "linked" again, and the outbox resends; the grant of an ACKed probe is held
 * for `grantHoldMs` so that message goes out without a new bid). A message NAKed on every attempt is
 * invalid to the PMS: discarded and logged (the spec's rule), reported delivered so the outbox moves on.
 *
 * Glare: the PMS's ENQ while we wait for the answer to ours is ignored — the system goes first, the
 * PMS backs off 6 s and answers our ENQ. An ENQ from the PMS while our message waits for its answer
 * is granted right after our transaction, if it is younger than 3 s (else the PMS has bid again).
 *
 * GRS … END (resync): the state is "resync", our messages wait (a transaction already on the wire
 * finishes), and go out after END; a cycle with nothing received for `resyncIdleMs` is abandoned.
 */
import type { TimerHandle } from "../../lib/clock.ts";
import type { FiasConnection } from "../fias/connection.ts";
import type { PmsState } from "../port.ts";
import { ACK_BYTES, ENQ_BYTES, type MitelEvent, MitelReader, NAK_BYTES } from "./codec.ts";
import type { ResolvedMitelOptions } from "./link-options.ts";
import { type MitelMessage, parseMessage } from "./messages.ts";

export interface Outgoing {
  text: string;
  /** `STX text ETX`. */
  bytes: Uint8Array;
  type: string;
  dones: ((delivered: boolean, reason?: string) => void)[];
}

export interface MitelStats {
  enqSent: number;
  enqReceived: number;
  naksSent: number;
  naksReceived: number;
  /** The PMS bid while we waited for the answer to our own bid. */
  glare: number;
  /** ACK/NAK with nothing of ours waiting. */
  strayAnswers: number;
  /** Our messages sent again (a new sequence from ENQ). */
  retries: number;
  /** Our messages the PMS NAKed on every attempt, dropped. */
  discarded: number;
  /** Times the PMS was judged down. */
  pmsDown: number;
  areYouThere: number;
}

export function emptyStats(): MitelStats {
  return {
    enqSent: 0,
    enqReceived: 0,
    naksSent: 0,
    naksReceived: 0,
    glare: 0,
    strayAnswers: 0,
    retries: 0,
    discarded: 0,
    pmsDown: 0,
    areYouThere: 0,
  };
}

/** What the session tells its link. */
export interface MitelSessionHost {
  readonly o: ResolvedMitelOptions;
  readonly stats: MitelStats;
  deliver(s: MitelSession, m: MitelMessage, raw: Uint8Array): void;
  changed(s: MitelSession): void;
  trace(dir: "in" | "out", bytes: Uint8Array, error?: string): void;
  rejected(s: MitelSession, garbageBytes: number): void;
  drop(s: MitelSession, reason: string): void;
  /** The PMS spoke on this connection (a bid or a valid message): server mode promotes a candidate. */
  spoke(s: MitelSession): void;
  /** A GRS came, or our RQINZ was acknowledged. */
  resyncAsked(): void;
  /** The line is free and nothing of ours waits: the link may release a stop. */
  quiet(s: MitelSession): void;
}

/** idle; granted: the PMS's turn; bid: our ENQ out; sent: our message out; wait: before an ENQ retry; hold: ACKed probe. */
type Phase = "idle" | "granted" | "bid" | "sent" | "wait" | "hold";

export class MitelSession {
  closed = false;
  readonly queue: Outgoing[] = [];
  private readonly reader: MitelReader;
  private phase: Phase = "idle";
  private timer: TimerHandle | undefined;
  private frameTimer: TimerHandle | undefined;
  private resyncTimer: TimerHandle | undefined;
  private enqTries = 0;
  private attempts = 0;
  private lastFailure: "nak" | "timeout" = "timeout";
  private pmsBidAt: number | undefined;
  /** The PMS is not answering our bids. */
  down = false;
  resync = false;
  private garbageWindow = { start: 0, bytes: 0 };
  /** ACKed messages not yet handed up (see deliverLater). */
  private held: { m: MitelMessage; raw: Uint8Array }[] = [];
  private heldTimer: TimerHandle | undefined;

  constructor(
    private readonly host: MitelSessionHost,
    readonly conn: FiasConnection,
  ) {
    this.reader = new MitelReader(host.o.maxMessageBytes);
  }

  get state(): PmsState {
    if (this.down) return "connecting";
    return this.resync ? "resync" : "linked";
  }

  /** A message of ours is in a transaction (bid, sent, or between bids). */
  get busy(): boolean {
    return this.phase === "bid" || this.phase === "sent" || this.phase === "wait";
  }

  /** Nothing on the wire of ours, nothing waiting. */
  get quiet(): boolean {
    return (this.phase === "idle" || this.phase === "granted") && this.queue.length === 0;
  }

  enqueue(out: Outgoing, first = false): void {
    if (first) this.queue.unshift(out);
    else this.queue.push(out);
    this.pump();
  }

  /** Gives every waiting message back to its sender (connection lost, link stopped, PMS down). */
  giveBack(reason: string, keep?: (o: Outgoing) => boolean): void {
    const left: Outgoing[] = [];
    for (const o of this.queue.splice(0)) {
      if (keep?.(o)) left.push(o);
      else for (const d of o.dones) d(false, reason);
    }
    this.queue.push(...left);
  }

  release(reason: string): void {
    if (this.closed) return;
    this.deliverHeld();
    this.closed = true;
    const { clock } = this.host.o;
    clock.clearTimeout(this.heldTimer);
    clock.clearTimeout(this.timer);
    clock.clearTimeout(this.frameTimer);
    clock.clearTimeout(this.resyncTimer);
    this.giveBack(reason);
  }

  // ---- receiving -------------------------------------------------------------------------------

  onData(bytes: Uint8Array): void {
    if (this.closed) return;
    for (const ev of this.reader.push(bytes)) {
      if (this.closed) return;
      this.onEvent(ev);
    }
    if (this.closed) return;
    const { clock, answerTimeoutMs } = this.host.o;
    clock.clearTimeout(this.frameTimer);
    this.frameTimer = undefined;
    if (this.reader.pending > 0) {
      this.frameTimer = clock.setTimeout(() => {
        this.frameTimer = undefined;
        const ev = this.reader.abandon();
        if (ev) this.onEvent(ev);
      }, answerTimeoutMs);
    }
  }

  private onEvent(ev: MitelEvent): void {
    switch (ev.kind) {
      case "enq":
        this.onEnq();
        return;
      case "ack":
      case "nak":
        this.onAnswer(ev.kind);
        return;
      case "frame":
        this.onFrame(ev.bytes);
        return;
      case "error": {
        this.host.trace("in", ev.bytes, ev.reason);
        this.host.rejected(this, ev.reason === "garbage" ? ev.size : 0);
        if (ev.reason === "oversized") this.answer(false);
        if (ev.reason === "garbage") this.countGarbage(ev.size);
        return;
      }
    }
  }

  private countGarbage(n: number): void {
    const now = this.host.o.clock.now();
    const w = this.garbageWindow;
    if (now - w.start >= 1000) {
      w.start = now;
      w.bytes = 0;
    }
    w.bytes += n;
    if (w.bytes > this.host.o.maxGarbageBytesPerSecond) {
      this.host.drop(this, `more than ${this.host.o.maxGarbageBytesPerSecond} bytes of garbage in a second`);
    }
  }

  /** Any sign of life from the PMS ends a "PMS down". */
  private alive(): void {
    if (!this.down) return;
    this.down = false;
    this.host.o.logger.info("mitel: PMS up", { remote: this.conn.remote });
    this.host.changed(this);
  }

  private onEnq(): void {
    this.host.stats.enqReceived++;
    this.host.spoke(this);
    if (this.closed) return;
    this.alive();
    switch (this.phase) {
      case "bid":
        // A probe has nothing to send: the PMS may go.
        if (this.queue.length === 0) {
          this.grant();
          return;
        }
        // Glare: the system goes first; the PMS backs off and answers our ENQ.
        this.host.stats.glare++;
        this.host.o.logger.debug("mitel: glare, our bid stands", { remote: this.conn.remote });
        return;
      case "sent":
        this.pmsBidAt = this.host.o.clock.now();
        return;
      case "granted":
        // Its ACK was lost, or it restarted: ACK again, but the grant keeps its end, so a PMS
        // repeating ENQs cannot hold the line against our messages.
        this.conn.write(ACK_BYTES);
        return;
      default:
        this.grant();
    }
  }

  /** The line is the PMS's until its message arrives or the answer time passes. */
  private grant(): void {
    const { clock, answerTimeoutMs } = this.host.o;
    clock.clearTimeout(this.timer);
    this.pmsBidAt = undefined;
    this.phase = "granted";
    this.conn.write(ACK_BYTES);
    this.deliverHeld();
    this.timer = clock.setTimeout(() => {
      this.timer = undefined;
      this.host.o.logger.debug("mitel: no message after our ACK to the PMS's ENQ", { remote: this.conn.remote });
      this.idle();
    }, answerTimeoutMs);
  }

  private grantAgain(): void {
    const { clock, answerTimeoutMs } = this.host.o;
    clock.clearTimeout(this.timer);
    this.timer = clock.setTimeout(() => {
      this.timer = undefined;
      this.idle();
    }, answerTimeoutMs);
  }

  private answer(ok: boolean): void {
    if (!ok) this.host.stats.naksSent++;
    this.conn.write(ok ? ACK_BYTES : NAK_BYTES);
  }

  private onFrame(raw: Uint8Array): void {
    const o = this.host.o;
    const granted = this.phase === "granted";
    if (o.requireEnq && !granted) {
      this.host.trace("in", raw, "message without a line bid (ENQ)");
      this.host.rejected(this, 0);
      this.answer(false);
      return;
    }
    const r = parseMessage(raw, { profile: o.profile, charset: o.charset, direction: "from-pms" });
    if (!r.ok) {
      this.host.trace("in", raw, r.reason);
      this.host.rejected(this, 0);
      this.answer(false);
      // The PMS may send the frame again without a new ENQ (3 more times): the line stays its own.
      if (granted) this.grantAgain();
      return;
    }
    this.host.spoke(this);
    if (this.closed) return;
    this.alive();
    this.host.trace("in", raw);
    this.answer(true);
    const m = r.message;
    if (m.type === "AREYUTHERE") this.host.stats.areYouThere++;
    else {
      if (m.type === "GRS") this.startResync();
      else if (m.type === "END") this.endResync(false);
      else if (this.resync) this.touchResync();
      this.deliverLater(m, raw);
    }
    if (granted) this.idle();
  }

  /**
   * An ACKed message goes up a moment later: at our ACK to the PMS's next bid, or after
   * `holdDeliveryMs`. The appliance stores each message as it gets it, which keeps the event loop
   * busy for a while; done right after our ACK it would delay our answer to the PMS's next ENQ, done
   * after that answer it overlaps the next message's time on the wire. Order is kept; a connection
   * that closes hands up what it holds first.
   */
  private deliverLater(m: MitelMessage, raw: Uint8Array): void {
    const { clock, holdDeliveryMs } = this.host.o;
    if (holdDeliveryMs <= 0) {
      this.host.deliver(this, m, raw);
      return;
    }
    this.held.push({ m, raw });
    this.heldTimer ??= clock.setTimeout(() => this.deliverHeld(), holdDeliveryMs);
  }

  private deliverHeld(): void {
    this.host.o.clock.clearTimeout(this.heldTimer);
    this.heldTimer = undefined;
    for (const h of this.held.splice(0)) this.host.deliver(this, h.m, h.raw);
  }

  private startResync(): void {
    this.host.resyncAsked();
    if (!this.resync) {
      this.resync = true;
      this.host.o.logger.info("mitel: resync (GRS) started", { remote: this.conn.remote });
      this.host.changed(this);
    }
    this.touchResync();
  }

  private touchResync(): void {
    const { clock, resyncIdleMs } = this.host.o;
    clock.clearTimeout(this.resyncTimer);
    this.resyncTimer = clock.setTimeout(() => {
      this.resyncTimer = undefined;
      this.host.o.logger.warn("mitel: GRS cycle abandoned: no END", { remote: this.conn.remote, idleMs: resyncIdleMs });
      this.endResync(true);
    }, resyncIdleMs);
  }

  private endResync(abandoned: boolean): void {
    this.host.o.clock.clearTimeout(this.resyncTimer);
    this.resyncTimer = undefined;
    if (!this.resync) return;
    this.resync = false;
    if (!abandoned) this.host.o.logger.info("mitel: resync (END) complete", { remote: this.conn.remote });
    this.host.changed(this);
    this.pump();
  }

  // ---- sending ---------------------------------------------------------------------------------

  private onAnswer(kind: "ack" | "nak"): void {
    const { clock } = this.host.o;
    if (kind === "nak") this.host.stats.naksReceived++;
    if (this.phase === "bid") {
      clock.clearTimeout(this.timer);
      this.alive();
      if (kind === "ack") this.sendCurrent();
      else this.enqFailed(true);
      return;
    }
    if (this.phase === "sent") {
      clock.clearTimeout(this.timer);
      this.timer = undefined;
      if (kind === "ack") this.delivered();
      else this.messageFailed("nak");
      return;
    }
    this.host.stats.strayAnswers++;
    this.host.o.logger.debug("mitel: stray answer", { remote: this.conn.remote, answer: kind, phase: this.phase });
  }

  /** Starts the next transaction if the line is free and something may go. */
  pump(): void {
    if (this.closed) return;
    if (this.phase === "hold" && this.queue.length > 0) {
      this.host.o.clock.clearTimeout(this.timer);
      this.sendCurrent();
      return;
    }
    if (this.phase !== "idle") return;
    const { clock, answerTimeoutMs } = this.host.o;
    if (this.pmsBidAt !== undefined && clock.now() - this.pmsBidAt < answerTimeoutMs) {
      this.grant();
      return;
    }
    this.pmsBidAt = undefined;
    if (this.resync || this.down || this.queue.length === 0) {
      if (this.queue.length === 0) this.host.quiet(this);
      return;
    }
    this.enqTries = 0;
    this.bid();
  }

  private bid(): void {
    const { clock, answerTimeoutMs } = this.host.o;
    this.phase = "bid";
    this.host.stats.enqSent++;
    this.conn.write(ENQ_BYTES);
    this.timer = clock.setTimeout(() => {
      this.timer = undefined;
      this.enqFailed(false);
    }, answerTimeoutMs);
  }

  /** No answer to our ENQ (retry at once: the 3 s are spent), or NAK (busy: retry in 3 s). */
  private enqFailed(nak: boolean): void {
    const { answerTimeoutMs, enqAttempts } = this.host.o;
    if (this.down) {
      // Probing a PMS that is down: an ENQ every 3 s until it answers.
      this.bid();
      return;
    }
    if (this.queue.length === 0) {
      // A probe answered NAK: the PMS is back (busy); nothing of ours waits.
      this.idle();
      return;
    }
    this.enqTries++;
    if (this.enqTries >= enqAttempts) {
      this.pmsDown(`no answer to ${this.enqTries} line bids (ENQ)`);
      return;
    }
    if (nak) this.wait(answerTimeoutMs);
    else this.bid();
  }

  private wait(ms: number): void {
    const { clock } = this.host.o;
    this.phase = "wait";
    this.timer = clock.setTimeout(() => {
      this.timer = undefined;
      this.bid();
    }, ms);
  }

  private sendCurrent(): void {
    const { clock, answerTimeoutMs } = this.host.o;
    const cur = this.queue[0];
    if (!cur) {
      // A probe was ACKed: hold the PMS's grant a moment for the message the outbox sends again.
      this.phase = "hold";
      this.timer = clock.setTimeout(() => {
        this.timer = undefined;
        this.idle();
      }, this.host.o.grantHoldMs);
      return;
    }
    this.phase = "sent";
    this.host.trace("out", cur.bytes.subarray(1, cur.bytes.length - 1));
    this.conn.write(cur.bytes);
    this.timer = clock.setTimeout(() => {
      this.timer = undefined;
      this.messageFailed("timeout");
    }, answerTimeoutMs);
  }

  private delivered(): void {
    const cur = this.queue.shift();
    this.attempts = 0;
    if (cur?.type === "RQINZ") this.host.resyncAsked();
    for (const d of cur?.dones ?? []) d(true);
    this.idle();
  }

  private messageFailed(why: "nak" | "timeout"): void {
    const { messageAttempts, logger } = this.host.o;
    this.attempts++;
    this.lastFailure = why;
    if (this.attempts < messageAttempts) {
      this.host.stats.retries++;
      this.phase = "idle";
      this.enqTries = 0;
      this.bid();
      return;
    }
    this.attempts = 0;
    if (this.lastFailure === "timeout") {
      this.pmsDown(`no answer to a message ${messageAttempts} times`);
      return;
    }
    const cur = this.queue.shift();
    this.host.stats.discarded++;
    logger.error("mitel: the PMS refused a message on every attempt; discarded", {
      remote: this.conn.remote,
      text: cur?.text,
      attempts: messageAttempts,
    });
    for (const d of cur?.dones ?? []) d(true, `NAKed by the PMS ${messageAttempts} times: discarded`);
    this.idle();
  }

  private pmsDown(reason: string): void {
    const { logger } = this.host.o;
    this.host.stats.pmsDown++;
    this.attempts = 0;
    this.down = true;
    logger.error("mitel: PMS down", { remote: this.conn.remote, reason });
    // The outbox keeps what it handed us and sends it again once the PMS answers; our own RQINZ stays.
    this.giveBack(`PMS down: ${reason}`, (o) => o.dones.length === 0);
    this.enqTries = 0;
    this.host.changed(this);
    this.bid();
  }

  private idle(): void {
    this.host.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.phase = "idle";
    this.pump();
  }
}
