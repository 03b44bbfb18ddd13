/**
 * @module fias/serial-link
 * The FIAS low-level protocol of an asynchronous serial line (Spec ch.7 "Full Duplex Protocol",
 * shared notes pms-protocols §2), between the bytes of the wire and STX…ETX frames. Both the
 * appliance's serial connector and the PMS simulator's `--serial` mode run it; it knows nothing of
 * records, so the link session above works unchanged (it writes and reads STX…ETX frames).
 *
 * Receiving: `STX data ETX LRC` → LRC ok: ACK and the frame goes up; bad LRC, an oversized frame or
 * a stalled one: NAK (a stalled one gets none: the sender's ENQ finds the register at NAK) and the
 * frame is discarded — a NAKed frame never reaches a higher level. The LRC is taken by position
 * (the byte after ETX), whatever its value.
 * Sending: one frame in flight. ACK → next; NAK → the same frame again, 3 retries (4 attempts); no
 * answer within timer 2 (3 s) → ENQ ("repeat your last answer", never the frame), up to 3 ENQs. When
 * either budget is spent the line is given up (`onGiveUp`): the owner closes it and the link reports
 * down (our choice: the spec's "discard and proceed as if ACK" would lose the record).
 * Last-response register: an ENQ from the peer gets our last ACK/NAK repeated, NAK when it came
 * after timer 2 or when any other byte arrived since (literally as the spec says; an ENQ at start-up
 * thus gets NAK, the FAQ's answer). ACK/NAK/ENQ never go inside a frame we send: they wait for its end.
 * Bytes outside frames (noise) go up as they are, so the link's garbage accounting and logging see
 * them; ACK/NAK/ENQ met inside a frame are taken as link bytes, not data (FIAS data never holds
 * 0x00–0x1B), which tolerates a peer that answers in the middle of its own record.
 */
import type { Clock, TimerHandle } from "../../lib/clock.ts";
import { ETX, MAX_RECORD_LENGTH, STX } from "./frame.ts";
import { lrc } from "./lrc.ts";

export const ENQ = 0x05;
export const ACK = 0x06;
export const NAK = 0x15;

/** Timer 1 (answer a record) and timer 2 (await an answer), Spec ch.7: 3 s each. */
export const SERIAL_TIMER_MS = 3000;
export const SERIAL_MAX_RETRIES = 3;
export const SERIAL_MAX_ENQ = 3;

export interface SerialLayerStats {
  framesIn: number;
  framesOut: number;
  /** Frames we NAKed (bad LRC, oversized). */
  naksSent: number;
  naksReceived: number;
  /** Our frames sent again after a NAK. */
  resent: number;
  enqsSent: number;
  enqsReceived: number;
  /** Incomplete frames dropped (a new STX, or nothing more within the frame timeout). */
  framesAbandoned: number;
  /** ACK/NAK with no frame of ours waiting. */
  strayAnswers: number;
  /** Bytes handed to the wire and taken from it. */
  bytesOut: number;
  bytesIn: number;
}

export interface SerialLayerOptions {
  clock: Clock;
  /** Bytes to the wire. */
  toWire(bytes: Uint8Array): void;
  /** Bytes for the frame reader above: checked `STX … ETX` frames (LRC stripped) and noise. */
  up(bytes: Uint8Array): void;
  /** The retry or ENQ budget is spent for a frame; the owner gives the line up. */
  onGiveUp(reason: string): void;
  /** Link-level events worth a debug line. */
  onEvent?(what: string, detail?: Record<string, unknown>): void;
  /** Timer 2: how long a sent frame (or ENQ) waits for ACK/NAK. Default 3 s. */
  answerTimeoutMs?: number;
  /** How long a frame already begun may pause between bytes before it is dropped. */
  frameTimeoutMs?: number;
  maxRetries?: number;
  maxEnq?: number;
  maxFrameBytes?: number;
}

type RxState = "idle" | "frame" | "lrc";

interface Outgoing {
  /** `STX … ETX LRC`. */
  bytes: Uint8Array;
  attempts: number;
  enqs: number;
  /** Test hook: attempts still sent with a wrong LRC. */
  corrupt: number;
  /** Told once: ACKed, or given up / closed before an ACK. */
  done?: (delivered: boolean, reason?: string) => void;
}

export class FiasSerialLayer {
  readonly stats: SerialLayerStats = {
    framesIn: 0,
    framesOut: 0,
    naksSent: 0,
    naksReceived: 0,
    resent: 0,
    enqsSent: 0,
    enqsReceived: 0,
    framesAbandoned: 0,
    strayAnswers: 0,
    bytesOut: 0,
    bytesIn: 0,
  };
  private readonly answerMs: number;
  private readonly frameMs: number;
  private readonly maxRetries: number;
  private readonly maxEnq: number;
  private readonly maxFrame: number;

  private rx: RxState = "idle";
  private buf: Uint8Array;
  private len = 0;
  private oversized = false;
  private frameTimer?: TimerHandle;
  /** Last-response register. */
  private last: { answer: number; at: number } | undefined;
  /** Test hook: NAK this many good frames. */
  private nakIncoming = 0;

  private readonly queue: Outgoing[] = [];
  private inFlight: Outgoing | undefined;
  private answerTimer?: TimerHandle;
  private closed = false;

  private readonly o: SerialLayerOptions;

  constructor(o: SerialLayerOptions) {
    const toWire = o.toWire;
    this.o = {
      ...o,
      toWire: (b) => {
        this.stats.bytesOut += b.length;
        toWire(b);
      },
    };
    this.answerMs = o.answerTimeoutMs ?? SERIAL_TIMER_MS;
    this.frameMs = o.frameTimeoutMs ?? SERIAL_TIMER_MS;
    this.maxRetries = o.maxRetries ?? SERIAL_MAX_RETRIES;
    this.maxEnq = o.maxEnq ?? SERIAL_MAX_ENQ;
    this.maxFrame = o.maxFrameBytes ?? MAX_RECORD_LENGTH;
    this.buf = new Uint8Array(this.maxFrame + 2);
  }

  /** Frames queued or in flight. */
  get pending(): number {
    return this.queue.length + (this.inFlight ? 1 : 0);
  }

  /** Stops the timers; later input and output are ignored; frames not yet ACKed are told so. */
  close(reason = "line closed"): void {
    this.closed = true;
    this.o.clock.clearTimeout(this.answerTimer);
    this.o.clock.clearTimeout(this.frameTimer);
    const unacked = this.inFlight ? [this.inFlight, ...this.queue] : [...this.queue];
    this.queue.length = 0;
    this.inFlight = undefined;
    for (const f of unacked) f.done?.(false, reason);
  }

  /**
   * Frames from above: bytes holding one or more `STX … ETX` frames (the link writes one; the
   * simulator may write many at once). Anything outside STX…ETX is dropped. `done` is told about
   * the last frame of `bytes`: ACKed, or not (retries spent, line closed first).
   */
  send(
    bytes: Uint8Array,
    opts: { badLrcAttempts?: number; done?: (delivered: boolean, reason?: string) => void } = {},
  ): void {
    if (this.closed) {
      opts.done?.(false, "line closed");
      return;
    }
    const before = this.queue.length;
    let start = -1;
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i] === STX) start = i;
      else if (bytes[i] === ETX && start >= 0) {
        const out = new Uint8Array(i - start + 2);
        out.set(bytes.subarray(start, i + 1));
        out[out.length - 1] = lrc(out, 1, out.length - 1);
        this.queue.push({ bytes: out, attempts: 0, enqs: 0, corrupt: opts.badLrcAttempts ?? 0 });
        start = -1;
      }
    }
    const last = this.queue.length > before ? this.queue[this.queue.length - 1] : undefined;
    if (last) last.done = opts.done;
    else opts.done?.(false, "no STX…ETX frame to send");
    this.next();
  }

  /** Test hook (simulator): answer the next `n` good frames with NAK. */
  nakNext(n: number): void {
    this.nakIncoming = n;
  }

  // ---- receiving -------------------------------------------------------------------------------

  fromWire(chunk: Uint8Array): void {
    if (this.closed) return;
    this.stats.bytesIn += chunk.length;
    let noiseFrom = -1;
    const flushNoise = (end: number) => {
      if (noiseFrom >= 0) this.o.up(chunk.slice(noiseFrom, end));
      noiseFrom = -1;
    };
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (this.rx === "lrc") {
        this.endFrame(b);
        continue;
      }
      if (b === ENQ) {
        flushNoise(i);
        this.onEnq();
        continue;
      }
      // Any byte but ENQ sets the last-response register to NAK (Spec: "prevents double postings").
      this.last = undefined;
      if (b === ACK || b === NAK) {
        flushNoise(i);
        this.onAnswer(b);
        continue;
      }
      if (this.rx === "idle") {
        if (b === STX) {
          flushNoise(i);
          this.beginFrame();
        } else if (noiseFrom < 0) noiseFrom = i;
        continue;
      }
      // In a frame.
      if (b === STX) {
        // The sender restarted: the partial frame is dropped unanswered (its ENQ will get NAK).
        this.abandon("STX inside a frame");
        this.beginFrame();
      } else if (b === ETX) {
        this.add(b);
        this.rx = "lrc";
      } else {
        this.add(b);
      }
    }
    flushNoise(chunk.length);
    if (this.rx !== "idle") this.armFrameTimer();
  }

  private beginFrame(): void {
    this.rx = "frame";
    this.len = 0;
    this.oversized = false;
    this.add(STX);
  }

  private add(b: number): void {
    // STX + data + ETX; data beyond the limit is only noted.
    if (this.len - 1 >= this.maxFrame && b !== ETX) {
      this.oversized = true;
      return;
    }
    this.buf[this.len++] = b;
  }

  private endFrame(check: number): void {
    this.rx = "idle";
    this.o.clock.clearTimeout(this.frameTimer);
    const frame = this.buf.slice(0, this.len);
    const expected = lrc(frame, 1);
    if (this.oversized || expected !== check) {
      this.stats.naksSent++;
      this.o.onEvent?.(this.oversized ? "oversized frame: NAK" : "bad LRC: NAK", {
        expected,
        got: check,
      });
      this.answer(NAK);
      return;
    }
    if (this.nakIncoming > 0) {
      this.nakIncoming--;
      this.stats.naksSent++;
      this.answer(NAK);
      return;
    }
    this.stats.framesIn++;
    this.answer(ACK);
    this.o.up(frame);
  }

  private answer(b: number): void {
    this.last = { answer: b, at: this.o.clock.now() };
    this.o.toWire(Uint8Array.of(b));
  }

  private onEnq(): void {
    this.stats.enqsReceived++;
    const last = this.last;
    const fresh = last && this.o.clock.now() - last.at <= this.answerMs;
    const b = fresh ? last.answer : NAK;
    this.o.onEvent?.("ENQ from the peer", { answer: b === ACK ? "ACK" : "NAK" });
    // Repeating keeps the register (and its time): a second ENQ gets the same answer.
    this.o.toWire(Uint8Array.of(b));
  }

  private abandon(reason: string): void {
    this.stats.framesAbandoned++;
    this.o.onEvent?.("incomplete frame dropped", { reason, bytes: this.len });
    this.rx = "idle";
    this.len = 0;
  }

  private armFrameTimer(): void {
    this.o.clock.clearTimeout(this.frameTimer);
    this.frameTimer = this.o.clock.setTimeout(() => {
      this.frameTimer = undefined;
      if (this.rx !== "idle" && !this.closed) this.abandon(`no byte for ${this.frameMs} ms`);
    }, this.frameMs);
  }

  // ---- sending ---------------------------------------------------------------------------------

  private next(): void {
    if (this.inFlight || this.closed) return;
    const f = this.queue.shift();
    if (!f) return;
    this.inFlight = f;
    this.transmit(f);
  }

  private transmit(f: Outgoing): void {
    f.attempts++;
    f.enqs = 0;
    let bytes = f.bytes;
    if (f.corrupt > 0) {
      f.corrupt--;
      bytes = bytes.slice();
      bytes[bytes.length - 1] ^= 0x01;
    }
    this.stats.framesOut++;
    this.o.toWire(bytes);
    this.armAnswerTimer();
  }

  private armAnswerTimer(): void {
    this.o.clock.clearTimeout(this.answerTimer);
    this.answerTimer = this.o.clock.setTimeout(() => this.onNoAnswer(), this.answerMs);
  }

  private onAnswer(b: number): void {
    const f = this.inFlight;
    if (!f) {
      this.stats.strayAnswers++;
      this.o.onEvent?.("answer with no frame of ours waiting", { answer: b === ACK ? "ACK" : "NAK" });
      return;
    }
    this.o.clock.clearTimeout(this.answerTimer);
    this.answerTimer = undefined;
    if (b === ACK) {
      this.inFlight = undefined;
      f.done?.(true);
      this.next();
      return;
    }
    this.stats.naksReceived++;
    if (f.attempts > this.maxRetries) {
      this.giveUp(`NAK after ${f.attempts} attempts`);
      return;
    }
    this.stats.resent++;
    this.o.onEvent?.("NAK: sending the frame again", { attempt: f.attempts + 1 });
    this.transmit(f);
  }

  private onNoAnswer(): void {
    this.answerTimer = undefined;
    const f = this.inFlight;
    if (!f || this.closed) return;
    if (f.enqs >= this.maxEnq) {
      this.giveUp(`no ACK/NAK after ${f.enqs} ENQs`);
      return;
    }
    f.enqs++;
    this.stats.enqsSent++;
    this.o.onEvent?.("no answer: ENQ", { enq: f.enqs });
    this.o.toWire(Uint8Array.of(ENQ));
    this.armAnswerTimer();
  }

  private giveUp(reason: string): void {
    this.o.onEvent?.("giving the line up", { reason });
    this.close(reason);
    this.o.onGiveUp(reason);
  }
}
