/**
 * @module mitel/session
 * The system (PBX) side of the Mitel PMS link procedure on one open connection (shared notes
 * pms-protocols §1.2). The line is half-duplex: one transaction at a time, each opened by a line bid.
 *
 * The procedure, both ways, is described in link.ts.
 */
import type { TimerHandle } from "../../lib/clock.ts";
import type { FiasConnection } from "../fias/connection.ts";
import type { PmsState } from "../port.ts";
import { ACK_BYTES, ENQ_BYTES, type MitelEvent, MitelReader, NAK_BYTES } from "./codec.ts";
import { Inflow } from "./inflow.ts";
import { parseMessage } from "./messages.ts";
import type { MitelSessionHost, Outgoing } from "./session-host.ts";

export { emptyStats, type MitelSessionHost, type MitelStats, type Outgoing } from "./session-host.ts";

/** idle; granted: the PMS's turn; bid: our ENQ out; sent: our message out; wait: before an ENQ retry; hold: ACKed probe. */
type Phase = "idle" | "granted" | "bid" | "sent" | "wait" | "hold";

export class MitelSession {
  closed = false;
  readonly queue: Outgoing[] = [];
  private readonly reader: MitelReader;
  private phase: Phase = "idle";
  private timer: TimerHandle | undefined;
  private frameTimer: TimerHandle | undefined;
  private enqTries = 0;
  private attempts = 0;
  private lastFailure: "nak" | "timeout" = "timeout";
  private pmsBidAt: number | undefined;
  /** The PMS is not answering our bids. */
  down = false;
  resync = false;
  private readonly inflow: Inflow;

  constructor(
    private readonly host: MitelSessionHost,
    readonly conn: FiasConnection,
  ) {
    this.reader = new MitelReader(host.o.maxMessageBytes);
    this.inflow = new Inflow(
      host.o,
      (m, raw) => host.deliver(this, m, raw),
      () => {
        host.o.logger.warn("mitel: GRS cycle abandoned: no END", { remote: conn.remote, idleMs: host.o.resyncIdleMs });
        this.endResync(true);
      },
    );
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
    this.inflow.close();
    this.closed = true;
    const { clock } = this.host.o;
    clock.clearTimeout(this.timer);
    clock.clearTimeout(this.frameTimer);
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
    const max = this.host.o.maxGarbageBytesPerSecond;
    if (this.inflow.garbageOver(n)) this.host.drop(this, `more than ${max} bytes of garbage in a second`);
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
    this.inflow.release();
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
      this.inflow.deliver(m, raw);
    }
    if (granted) this.idle();
  }

  private startResync(): void {
    this.host.resyncAsked("GRS");
    if (!this.resync) {
      this.resync = true;
      this.host.o.logger.info("mitel: resync (GRS) started", { remote: this.conn.remote });
      this.host.changed(this);
    }
    this.touchResync();
  }

  private touchResync(): void {
    this.inflow.watchResync();
  }

  private endResync(abandoned: boolean): void {
    this.inflow.stopResyncWatch();
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
    if (cur?.type === "RQINZ") this.host.resyncAsked("RQINZ");
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
    // A status (STS, MW, RQINZ) reports delivered so the outbox moves on (a later one replaces it); a
    // charge (MR) must not count as posted: it is reported not delivered, and the posting sender parks it.
    const refused = `NAKed by the PMS ${messageAttempts} times: discarded`;
    for (const d of cur?.dones ?? []) d(cur?.type !== "MR", refused);
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
