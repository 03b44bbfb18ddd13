/**
 * @module sim/mitel/pms-side
 * The PMS's side of the Mitel link procedure (shared notes pms-protocols §1.2), as the simulator
 * plays it on one connection:
 * - sending: ENQ; ACK → `STX message ETX` in one write; its ACK → the next message. No answer to the
 *   ENQ in 3 s, or a NAK (busy) → ENQ again after 3 s. NAK to the message → the frame alone again, 3
 *   more times, then discarded (logged); no answer to it → again from ENQ.
 * - glare: the system's ENQ while ours waits for its answer → we answer the system's ENQ (the system
 *   goes first) and back off 6 s before bidding again.
 * - receiving: the system's ENQ → ACK (or NAK/silence when a test asks for it); its message → ACK
 *   when it is one the system sends (STS, MW, MR, RQINZ), NAK otherwise.
 */

import type { Charset } from "../../lib/charset.ts";
import type { Clock, TimerHandle } from "../../lib/clock.ts";
import { ACK_BYTES, ENQ_BYTES, type MitelEvent, MitelReader, NAK_BYTES, wrapMessage } from "../../pms/mitel/codec.ts";
import { type MitelMessage, parseMessage } from "../../pms/mitel/messages.ts";
import type { MitelProfile } from "../../pms/mitel/profiles.ts";

export const ANSWER_MS = 3000;
export const GLARE_BACKOFF_MS = 6000;
export const FRAME_RETRIES = 3;

export interface PmsSideStats {
  messagesOut: number;
  messagesIn: number;
  enqSent: number;
  naksReceived: number;
  naksSent: number;
  glare: number;
  resent: number;
  discarded: number;
  /** Bytes written to the wire and read from it. */
  bytesOut: number;
  bytesIn: number;
}

export interface PmsSideHost {
  clock: Clock;
  profile: MitelProfile;
  charset: Charset;
  write(bytes: Uint8Array): void;
  /** A message from the system (valid or not: `error` says why it was NAKed). */
  received(raw: Uint8Array, message: MitelMessage | undefined, error?: string): void;
  sent(text: string): void;
  discarded(text: string, reason: string): void;
  garbage(bytes: Uint8Array, reason: string): void;
}

interface Out {
  text: string;
  bytes: Uint8Array;
  resolve: () => void;
}

type Phase = "idle" | "bid" | "sent" | "granted" | "wait";

export class PmsSide {
  readonly stats: PmsSideStats = {
    messagesOut: 0,
    messagesIn: 0,
    enqSent: 0,
    naksReceived: 0,
    naksSent: 0,
    glare: 0,
    resent: 0,
    discarded: 0,
    bytesOut: 0,
    bytesIn: 0,
  };
  private readonly queue: Out[] = [];
  private readonly reader = new MitelReader();
  private phase: Phase = "idle";
  private timer: TimerHandle | undefined;
  private frameNaks = 0;
  /** After a glare, no bid of ours before this time. */
  private quietUntil = 0;
  private closed = false;
  /** Test hooks: answers to withhold or spoil. */
  nakMessages = 0;
  nakEnqs = 0;
  ignoreEnqs = 0;

  constructor(private readonly host: PmsSideHost) {}

  /** Messages queued or on the wire. */
  get pending(): number {
    return this.queue.length;
  }

  /** Queues a message (text between STX and ETX); resolves once the system ACKed it (or it was dropped). */
  send(text: string, bytes: Uint8Array): Promise<void> {
    return new Promise((resolve) => {
      this.queue.push({ text, bytes: wrapMessage(bytes), resolve });
      this.pump();
    });
  }

  close(): void {
    this.closed = true;
    this.host.clock.clearTimeout(this.timer);
    for (const o of this.queue.splice(0)) o.resolve();
  }

  onData(bytes: Uint8Array): void {
    this.stats.bytesIn += bytes.length;
    for (const ev of this.reader.push(bytes)) {
      if (this.closed) return;
      this.onEvent(ev);
    }
  }

  private out(bytes: Uint8Array): void {
    this.stats.bytesOut += bytes.length;
    this.host.write(bytes);
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
      case "error":
        this.host.garbage(ev.bytes, ev.reason);
    }
  }

  private onEnq(): void {
    if (this.ignoreEnqs > 0) {
      this.ignoreEnqs--;
      return;
    }
    if (this.nakEnqs > 0) {
      this.nakEnqs--;
      this.stats.naksSent++;
      this.out(NAK_BYTES);
      return;
    }
    if (this.phase === "bid") {
      // Glare: the system goes first; we back off 6 s before our next bid.
      this.stats.glare++;
      this.quietUntil = this.host.clock.now() + GLARE_BACKOFF_MS;
    } else if (this.phase === "sent") return;
    this.setTimer(undefined);
    this.phase = "granted";
    this.out(ACK_BYTES);
    this.setTimer(ANSWER_MS, () => this.idle());
  }

  private onFrame(raw: Uint8Array): void {
    const r = parseMessage(raw, { profile: this.host.profile, charset: this.host.charset, direction: "to-pms" });
    this.stats.messagesIn++;
    if (!r.ok || this.nakMessages > 0) {
      if (r.ok) this.nakMessages--;
      this.stats.naksSent++;
      this.out(NAK_BYTES);
      this.host.received(raw, undefined, r.ok ? "NAKed on purpose (test)" : r.reason);
      return;
    }
    this.out(ACK_BYTES);
    this.host.received(raw, r.message);
    if (this.phase === "granted") this.idle();
  }

  private onAnswer(kind: "ack" | "nak"): void {
    if (kind === "nak") this.stats.naksReceived++;
    const cur = this.queue[0];
    if (this.phase === "bid" && cur) {
      if (kind === "ack") {
        this.phase = "sent";
        this.frameNaks = 0;
        this.writeFrame(cur);
      } else this.retryLater(ANSWER_MS);
      return;
    }
    if (this.phase === "sent" && cur) {
      if (kind === "ack") {
        this.queue.shift();
        this.stats.messagesOut++;
        this.host.sent(cur.text);
        cur.resolve();
        this.idle();
        return;
      }
      if (this.frameNaks < FRAME_RETRIES) {
        this.frameNaks++;
        this.stats.resent++;
        this.writeFrame(cur);
        return;
      }
      this.queue.shift();
      this.stats.discarded++;
      this.host.discarded(cur.text, `NAKed ${FRAME_RETRIES + 1} times`);
      cur.resolve();
      this.idle();
    }
  }

  private writeFrame(cur: Out): void {
    this.out(cur.bytes);
    this.setTimer(ANSWER_MS, () => this.retryLater(0));
  }

  private pump(): void {
    if (this.closed || this.phase !== "idle" || this.queue.length === 0) return;
    const wait = this.quietUntil - this.host.clock.now();
    if (wait > 0) {
      this.retryLater(wait);
      return;
    }
    this.phase = "bid";
    this.stats.enqSent++;
    this.out(ENQ_BYTES);
    this.setTimer(ANSWER_MS, () => this.retryLater(0));
  }

  private retryLater(ms: number): void {
    this.phase = "wait";
    this.setTimer(ms, () => this.idle());
  }

  private idle(): void {
    this.setTimer(undefined);
    this.phase = "idle";
    this.pump();
  }

  private setTimer(ms: number | undefined, fn?: () => void): void {
    this.host.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (ms === undefined || !fn) return;
    this.timer = this.host.clock.setTimeout(() => {
      this.timer = undefined;
      fn();
    }, ms);
  }
}
