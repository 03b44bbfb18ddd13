/**
 * @module pacer
 * Sends G.711 audio as 20 ms RTP frames (160 samples at 8 kHz) through an injected `send`, paced by
 * an injected clock against absolute deadlines (start + n × 20 ms), so timer jitter never accumulates
 * into drift. When the sender falls behind (a stalled event loop) it sends the overdue frames at once,
 * at most `maxBurst` of them, and if still behind moves its schedule to now: no frame is dropped and
 * the far end never gets more than a few frames in one go.
 */

import type { Clock, TimerHandle } from "../../lib/clock.ts";
import { ALAW_SILENCE, ULAW_SILENCE } from "./g711.ts";
import { buildRtp } from "./packet.ts";

export const FRAME_MS = 20;
export const FRAME_SAMPLES = 160;

export type G711Codec = "PCMU" | "PCMA";

export interface RtpSenderOptions {
  clock: Clock;
  send: (bytes: Uint8Array) => void;
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

export class RtpSender {
  /** Resolves when the last frame is sent or `stop()` is called; rejects if `send` throws. */
  readonly done: Promise<RtpSendResult>;
  private resolve!: (r: RtpSendResult) => void;
  private reject!: (e: unknown) => void;
  private readonly frames: number;
  private readonly payloadType: number;
  private readonly silence: number;
  private readonly maxBurst: number;
  private seq: number;
  private ts: number;
  private sent = 0;
  /** Deadline of frame k is `base + (k - baseFrame) × 20 ms`. */
  private base = 0;
  private baseFrame = 0;
  private timer: TimerHandle | undefined;
  private state: "idle" | "running" | "finished" = "idle";

  constructor(private readonly opts: RtpSenderOptions) {
    this.done = new Promise((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
    this.frames = Math.ceil(opts.samples.length / FRAME_SAMPLES);
    this.payloadType = opts.payloadType ?? (opts.codec === "PCMU" ? 0 : 8);
    this.silence = opts.codec === "PCMU" ? ULAW_SILENCE : ALAW_SILENCE;
    this.maxBurst = Math.max(1, opts.maxBurst ?? 3);
    this.seq = (opts.sequence ?? 0) & 0xffff;
    this.ts = (opts.timestamp ?? 0) >>> 0;
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

  /** Sends the first frame now and the rest on schedule. */
  start(): Promise<RtpSendResult> {
    if (this.state !== "idle") return this.done;
    this.state = "running";
    this.base = this.opts.clock.now();
    this.baseFrame = 0;
    this.tick();
    return this.done;
  }

  /** Stops sending; `done` resolves with `stopped: true` unless it already finished. */
  stop(): void {
    if (this.state === "finished") return;
    this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.state = "finished";
    this.resolve({ packets: this.sent, stopped: true });
  }

  private deadline(frame: number): number {
    return this.base + (frame - this.baseFrame) * FRAME_MS;
  }

  private tick(): void {
    this.timer = undefined;
    if (this.state !== "running") return;
    const now = this.opts.clock.now();
    let burst = 0;
    while (this.sent < this.frames && this.deadline(this.sent) <= now && burst < this.maxBurst) {
      if (!this.sendFrame()) return;
      burst++;
    }
    if (this.sent >= this.frames) {
      this.state = "finished";
      this.resolve({ packets: this.sent, stopped: false });
      return;
    }
    if (this.deadline(this.sent) <= now) {
      // Still behind after a full burst: the schedule slips rather than flooding the far end.
      this.base = now + FRAME_MS;
      this.baseFrame = this.sent;
    }
    this.timer = this.opts.clock.setTimeout(() => this.tick(), this.deadline(this.sent) - now);
  }

  private sendFrame(): boolean {
    const k = this.sent;
    const samples = this.opts.samples;
    let payload = samples.subarray(k * FRAME_SAMPLES, (k + 1) * FRAME_SAMPLES);
    if (payload.length < FRAME_SAMPLES) {
      const padded = new Uint8Array(FRAME_SAMPLES).fill(this.silence);
      padded.set(payload);
      payload = padded;
    }
    const packet = buildRtp(
      {
        marker: k === 0 && (this.opts.marker ?? true),
        payloadType: this.payloadType,
        sequence: this.seq,
        timestamp: this.ts,
        ssrc: this.opts.ssrc,
      },
      payload,
    );
    try {
      this.opts.send(packet);
    } catch (e) {
      this.state = "finished";
      this.reject(e);
      return false;
    }
    this.sent++;
    this.seq = (this.seq + 1) & 0xffff;
    this.ts = (this.ts + FRAME_SAMPLES) >>> 0;
    return true;
  }
}
