/**
 * @module sip/rtp/outbound
 * What a session sends: its prompts as one continuous RTP stream. One random SSRC per session;
 * sequence numbers continue across prompts; the timestamp of a prompt's first packet is the previous
 * packet's plus the real time between them, and carries the marker bit (a new talkspurt, RFC 3551
 * §4.1), so the far end's jitter buffer sees silence, not loss. A prompt never starts within 20 ms
 * of the previous packet: the cadence stays one frame every 20 ms across prompt boundaries.
 *
 * The session (session.ts) turns each built packet into a datagram: protected with SRTP, to the
 * latched source or the SDP address, or nowhere on hold — the stream runs on regardless.
 */
import type { Clock, TimerHandle } from "../../lib/clock.ts";
import { ulawToAlaw } from "./g711.ts";
import { FRAME_MS, FRAME_SAMPLES, type G711Codec, RtpSender } from "./pacer.ts";

const SAMPLES_PER_MS = FRAME_SAMPLES / FRAME_MS;

export interface RtpPlayResult {
  /** True when the prompt was cut short: `stopPlayback`, another `play`, or `close`. */
  stopped: boolean;
  packets: number;
}

interface Playback {
  sender: RtpSender | null;
  timer: TimerHandle | undefined;
  wake: (() => void) | null;
  stopped: boolean;
}

function randomUint32(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0] as number;
}

export class RtpOutbound {
  readonly ssrc = randomUint32();
  private playback: Playback | null = null;
  private nextSequence = randomUint32() & 0xffff;
  private lastTimestamp = randomUint32();
  /** Pacing-clock time of the last packet sent; null before the first. */
  private lastSentAt: number | null = null;
  /** Bound once, not per prompt or packet. */
  private readonly sendFn = (bytes: Uint8Array) => this.sent(bytes);

  /**
   * `send` gets every packet of every prompt, built in one reused buffer: it must be done with the
   * bytes when it returns, and must not throw (the prompt's promise would reject mid-call).
   */
  constructor(
    private readonly pacing: Clock,
    private readonly send: (bytes: Uint8Array) => void,
  ) {}

  /**
   * Plays 8 kHz μ-law (transcoded to A-law for PCMA) as 20 ms frames, the last one padded with
   * silence. A running prompt is stopped first. Resolves `stopped: true` if cut short.
   */
  async play(ulaw: Uint8Array, codec: G711Codec, payloadType: number): Promise<RtpPlayResult> {
    this.stopPlayback();
    const p: Playback = { sender: null, timer: undefined, wake: null, stopped: false };
    this.playback = p;
    const gap = this.lastSentAt === null ? 0 : this.lastSentAt + FRAME_MS - this.pacing.now();
    if (gap > 0) {
      await new Promise<void>((resolve) => {
        p.wake = resolve;
        p.timer = this.pacing.setTimeout(resolve, gap);
      });
      p.wake = null;
      p.timer = undefined;
      if (p.stopped) return { stopped: true, packets: 0 };
    }
    const now = this.pacing.now();
    const timestamp =
      this.lastSentAt === null
        ? this.lastTimestamp
        : this.lastTimestamp + Math.max(FRAME_SAMPLES, Math.round((now - this.lastSentAt) * SAMPLES_PER_MS));
    const sender = new RtpSender({
      clock: this.pacing,
      send: this.sendFn,
      reuseBuffer: true,
      samples: codec === "PCMA" ? ulawToAlaw(ulaw) : ulaw,
      codec,
      payloadType,
      ssrc: this.ssrc,
      sequence: this.nextSequence,
      timestamp: timestamp >>> 0,
      marker: true,
    });
    p.sender = sender;
    try {
      return await sender.start();
    } finally {
      if (this.playback === p) this.playback = null;
    }
  }

  /** Stops the running prompt, if any; its `play` resolves with `stopped: true`. */
  stopPlayback(): void {
    const p = this.playback;
    if (!p) return;
    this.playback = null;
    p.stopped = true;
    this.pacing.clearTimeout(p.timer);
    p.wake?.();
    p.sender?.stop();
  }

  /** Where the stream's RTP timestamp stands now (for a sender report): the last packet's plus the time since. */
  rtpTimestampNow(): number {
    const elapsed = this.lastSentAt === null ? 0 : this.pacing.now() - this.lastSentAt;
    return this.lastTimestamp + Math.round(elapsed * SAMPLES_PER_MS);
  }

  private sent(bytes: Uint8Array): void {
    this.nextSequence = ((((bytes[2] as number) << 8) | (bytes[3] as number)) + 1) & 0xffff;
    this.lastTimestamp =
      (((bytes[4] as number) << 24) |
        ((bytes[5] as number) << 16) |
        ((bytes[6] as number) << 8) |
        (bytes[7] as number)) >>>
      0;
    this.lastSentAt = this.pacing.now();
    this.send(bytes);
  }
}
