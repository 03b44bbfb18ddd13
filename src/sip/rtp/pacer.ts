/**
 * @module pacer
 * Sends G.711 audio as 20 ms RTP frames (160 samples at 8 kHz) through an injected `send`, paced by
 * an injected clock against absolute deadlines (start + n × 20 ms), so timer jitter never accumulates
 * into drift. When the sender falls behind (a stalled event loop) it sends the overdue frames at once,
 * at most `maxBurst` of them, and if still behind moves its schedule to now: no frame is dropped and
 * the far end never gets more than a few frames in one go.
 *
 * The timer is the clock's shared ticker (ticker.ts), not one per stream. Frames are written straight
 * into the packet (with `reuseBuffer`, always the same one) rather than through `buildRtp`'s header
 * object and DataView: 24 streams make 1,200 packets a second, and their garbage is what sets off
 * the collector pauses that delay every stream at once.
 */

import type { Clock } from "../../lib/clock.ts";
import { ALAW_SILENCE, ULAW_SILENCE } from "./g711.ts";
import { RTP_HEADER_SIZE } from "./packet.ts";
import { type Paced, type Ticker, tickerFor } from "./ticker.ts";

export const FRAME_MS = 20;
export const FRAME_SAMPLES = 160;

export type G711Codec = "PCMU" | "PCMA";

export interface RtpSenderOptions {
  clock: Clock;
  /** Gets each packet; it is the callee's to keep, unless `reuseBuffer` is set. */
  send: (bytes: Uint8Array) => void;
  /**
   * `send` is done with the packet when it returns (the media socket sends or copies it, SRTP
   * protects it into another): every frame is then built in one buffer of the sender's. Default false.
   */
  reuseBuffer?: boolean;
  /** The encoded audio, one byte a sample at 8 kHz, already in `codec`. */
  samples: Uint8Array;
  codec: G711Codec;
  ssrc: number;
  /** Default 0 for PCMU, 8 for PCMA. */
  payloadType?: number;
  /** Sequence number of the first packet (continue a stream across prompts). Default 0. */
  sequence?: number;
  /** RTP timestamp of the first packet. Default 0. */
  timestamp?: number;
  /** Most frames sent back to back when catching up. Default 3. */
  maxBurst?: number;
  /** Marker bit on the first packet (start of a talkspurt). Default true. */
  marker?: boolean;
}

export interface RtpSendResult {
  packets: number;
  stopped: boolean;
}

export class RtpSender implements Paced {
  /** Resolves when the last frame is sent or `stop()` is called; rejects if `send` throws. */
  readonly done: Promise<RtpSendResult>;
  private resolve!: (r: RtpSendResult) => void;
  private reject!: (e: unknown) => void;
  private readonly frames: number;
  private readonly payloadType: number;
  private readonly silence: number;
  private readonly maxBurst: number;
  private readonly ticker: Ticker;
  /** The one packet buffer with `reuseBuffer`, else null. */
  private readonly scratch: Uint8Array | null;
  private seq: number;
  private ts: number;
  private sent = 0;
  /** Deadline of frame k is `base + (k - baseFrame) × 20 ms`. */
  private base = 0;
  private baseFrame = 0;
  private state: "idle" | "running" | "finished" = "idle";

  constructor(private readonly opts: RtpSenderOptions) {
    this.done = new Promise((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
    this.frames = Math.ceil(opts.samples.length / FRAME_SAMPLES);
    this.payloadType = opts.payloadType ?? (opts.codec === "PCMU" ? 0 : 8);
    if (!Number.isInteger(this.payloadType) || this.payloadType < 0 || this.payloadType > 127) {
      throw new RangeError(`RTP: payload type ${this.payloadType} out of range`);
    }
    this.silence = opts.codec === "PCMU" ? ULAW_SILENCE : ALAW_SILENCE;
    this.maxBurst = Math.max(1, opts.maxBurst ?? 3);
    this.seq = (opts.sequence ?? 0) & 0xffff;
    this.ts = (opts.timestamp ?? 0) >>> 0;
    this.ticker = tickerFor(opts.clock);
    this.scratch = opts.reuseBuffer ? new Uint8Array(RTP_HEADER_SIZE + FRAME_SAMPLES) : null;
  }

  /** Sequence number the next packet would carry (to continue the stream with another prompt). */
  get nextSequence(): number {
    return this.seq;
  }

  /** RTP timestamp the next packet would carry. */
  get nextTimestamp(): number {
    return this.ts;
  }

  get packetsSent(): number {
    return this.sent;
  }

  /** Clock time the next frame is due (the ticker reads it); `Infinity` once not running. */
  get due(): number {
    return this.state === "running" ? this.base + (this.sent - this.baseFrame) * FRAME_MS : Number.POSITIVE_INFINITY;
  }

  /**
   * `due` after `tick(now)`, which it mirrors: a burst of at most `maxBurst`; after a slip, a frame
   * from now (the ticker re-arms if `align` then picks an earlier deadline).
   */
  dueAfter(now: number): number {
    const due = this.due;
    if (due > now) return due;
    const owed = Math.floor((now - due) / FRAME_MS) + 1;
    const sent = Math.min(owed, this.maxBurst, this.frames - this.sent);
    if (this.sent + sent >= this.frames) return Number.POSITIVE_INFINITY;
    // The same arithmetic as `due`, so the ticker finds the very number it predicted.
    const next = this.base + (this.sent + sent - this.baseFrame) * FRAME_MS;
    return next <= now ? now + FRAME_MS : next;
  }

  /** Sends the first frame now and the rest on schedule. */
  start(): Promise<RtpSendResult> {
    if (this.state !== "idle") return this.done;
    this.state = "running";
    const now = this.opts.clock.now();
    this.base = now;
    this.baseFrame = 0;
    this.tick(now);
    if (this.state === "running") {
      this.rebase(now + FRAME_MS);
      this.ticker.add(this);
    }
    return this.done;
  }

  /** Stops sending; `done` resolves with `stopped: true` unless it already finished. */
  stop(): void {
    if (this.state === "finished") return;
    this.finish();
    this.resolve({ packets: this.sent, stopped: true });
  }

  /** Sends the frames due at `now` (for the ticker; `start` sends the first). */
  tick(now: number): void {
    if (this.state !== "running") return;
    let burst = 0;
    while (this.sent < this.frames && this.due <= now && burst < this.maxBurst) {
      if (!this.sendFrame()) return;
      burst++;
    }
    if (this.sent >= this.frames) {
      this.finish();
      this.resolve({ packets: this.sent, stopped: false });
      return;
    }
    // Still behind after a full burst: the schedule slips rather than flooding the far end.
    if (this.due <= now) this.rebase(now + FRAME_MS);
  }

  /** The next frame's deadline becomes `at`, or a running stream's just before it (ticker.align). */
  private rebase(at: number): void {
    this.base = this.ticker.align(at);
    this.baseFrame = this.sent;
  }

  private finish(): void {
    this.state = "finished";
    this.ticker.remove(this);
  }

  private sendFrame(): boolean {
    const k = this.sent;
    const samples = this.opts.samples;
    const out = this.scratch ?? new Uint8Array(RTP_HEADER_SIZE + FRAME_SAMPLES);
    const marker = k === 0 && (this.opts.marker ?? true);
    const seq = this.seq;
    const ts = this.ts;
    const ssrc = this.opts.ssrc;
    // RFC 3550 §5.1: V=2, no padding, extension or CSRC; what buildRtp writes for these fields.
    out[0] = 0x80;
    out[1] = (marker ? 0x80 : 0) | this.payloadType;
    out[2] = seq >>> 8;
    out[3] = seq;
    out[4] = ts >>> 24;
    out[5] = ts >>> 16;
    out[6] = ts >>> 8;
    out[7] = ts;
    out[8] = ssrc >>> 24;
    out[9] = ssrc >>> 16;
    out[10] = ssrc >>> 8;
    out[11] = ssrc;
    // A byte loop rather than set(subarray): no view object per frame.
    const from = k * FRAME_SAMPLES;
    const n = Math.min(FRAME_SAMPLES, samples.length - from);
    for (let i = 0; i < n; i++) out[RTP_HEADER_SIZE + i] = samples[from + i] as number;
    // The last frame: the rest is silence.
    if (n < FRAME_SAMPLES) out.fill(this.silence, RTP_HEADER_SIZE + n);
    try {
      this.opts.send(out);
    } catch (e) {
      this.finish();
      this.reject(e);
      return false;
    }
    this.sent++;
    this.seq = (seq + 1) & 0xffff;
    this.ts = (ts + FRAME_SAMPLES) >>> 0;
    return true;
  }
}
