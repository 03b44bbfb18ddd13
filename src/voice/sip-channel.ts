/**
 * @module voice/sip-channel
 * A {@link CallChannel} over a SIP call and its RTP session. Keys come from RFC 4733 events and from
 * SIP INFO alike and are buffered from the moment the channel exists. A key pressed before or while
 * an interruptible prompt plays stops it (the guest is ahead of the prompt); the key stays buffered.
 *
 * While `record` runs, the session's audio goes to a Recorder (voice/recorder.ts) as well as to
 * whoever listened before, keys are the recording's: a stop key ends it and is not buffered (the
 * result carries it), other keys are dropped. Keys buffered before it started stay buffered.
 */
import type { Clock, TimerHandle } from "../lib/clock.ts";
import type { DtmfPress, RtpSession } from "../sip/rtp/session.ts";
import type { SipCall } from "../sip/ua/call.ts";
import type { CallChannel, Digit, PlayResult, RecordOptions, RecordResult } from "./channel.ts";
import { Recorder } from "./recorder.ts";
import { warningTone } from "./tone.ts";

const DIGITS = "0123456789*#ABCD";

export interface SipChannelOptions {
  /**
   * The negotiated audio codec (call-media's result). A recording stores the packets' static payload
   * type (0 PCMU, 8 PCMA) whatever this says; it matters for a dynamic payload type and for a
   * recording that gets no packet at all. Default PCMU; `setCodec` once known.
   */
  codec?: "PCMU" | "PCMA";
}

/** How long a recording still takes audio after the call ended (bench (l): 20 ms was not always enough). */
const HANGUP_GRACE_MS = 80;

export class SipChannel implements CallChannel {
  private readonly digits: Digit[] = [];
  private waiter: ((d: Digit | "hangup") => void) | undefined;
  private interrupt: (() => void) | undefined;
  private ended = false;
  private recorder: Recorder | undefined;
  private codec: "PCMU" | "PCMA";

  constructor(
    private readonly call: SipCall,
    private readonly rtp: RtpSession,
    private readonly clock: Clock,
    opts: SipChannelOptions = {},
  ) {
    this.codec = opts.codec ?? "PCMU";
    rtp.onDigit = (press) => this.key(press.digit, press);
    call.onInfoDigit = (d) => this.key(d);
    void call.ended.then(() => this.onEnded());
  }

  /** The codec the SDP negotiated (an answer that came after the channel was made, or a re-INVITE). */
  setCodec(codec: "PCMU" | "PCMA"): void {
    this.codec = codec;
  }

  get hungUp(): boolean {
    return this.ended;
  }

  private key(d: string, press?: DtmfPress): void {
    if (this.ended || d.length !== 1 || !DIGITS.includes(d)) return;
    if (this.recorder) {
      this.recorder.key(d as Digit, press);
      return;
    }
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w(d as Digit);
      return;
    }
    this.digits.push(d as Digit);
    this.interrupt?.();
  }

  private onEnded(): void {
    this.ended = true;
    // RTP that arrived just before the BYE may still wait behind it: a busy event loop drains the
    // shared SIP socket before the per-call RTP sockets. The recording takes it for a moment more.
    const rec = this.recorder;
    if (rec) this.clock.setTimeout(() => rec.hangup(), HANGUP_GRACE_MS);
    this.rtp.stopPlayback();
    const w = this.waiter;
    this.waiter = undefined;
    w?.("hangup");
  }

  async play(ulaw: Uint8Array, opts: { interruptible?: boolean } = {}): Promise<PlayResult> {
    if (this.ended) return "hangup";
    if (opts.interruptible && this.digits.length > 0) return "interrupted";
    let interrupted = false;
    if (opts.interruptible)
      this.interrupt = () => {
        interrupted = true;
        this.rtp.stopPlayback();
      };
    try {
      await this.rtp.play(ulaw);
    } finally {
      this.interrupt = undefined;
    }
    if (this.ended) return "hangup";
    return interrupted ? "interrupted" : "done";
  }

  readDigit(timeoutMs: number): Promise<Digit | "timeout" | "hangup"> {
    const d = this.digits.shift();
    if (d !== undefined) return Promise.resolve(d);
    if (this.ended) return Promise.resolve("hangup");
    return new Promise((resolve) => {
      let timer: TimerHandle | undefined;
      this.waiter = (r) => {
        this.clock.clearTimeout(timer);
        resolve(r);
      };
      timer = this.clock.setTimeout(() => {
        this.waiter = undefined;
        resolve("timeout");
      }, timeoutMs);
    });
  }

  clearDigits(): void {
    this.digits.length = 0;
  }

  /**
   * Rejects when the file cannot be created (it exists, no space), when a write fails, or when a
   * recording already runs on this channel.
   */
  async record(opts: RecordOptions): Promise<RecordResult> {
    if (this.recorder) throw new Error("a recording is already running on this call");
    const rtp = this.rtp;
    const recorder = new Recorder({
      ...opts,
      clock: this.clock,
      codec: this.codec,
      // play() only rejects before the SDP gave a codec; then there is no one to warn.
      onWarning: () => void rtp.play(warningTone()).catch(() => {}),
    });
    const before = rtp.onAudio;
    this.recorder = recorder;
    rtp.onAudio = (packet) => {
      recorder.audio(packet);
      before?.(packet);
    };
    if (this.ended) recorder.hangup();
    try {
      return await recorder.done;
    } finally {
      rtp.onAudio = before;
      this.recorder = undefined;
    }
  }

  /** Blind transfer by REFER; once accepted the SIP call has ended our leg (BYE) and `hungUp` follows. */
  transfer(target: string): Promise<"accepted" | "refused"> {
    if (this.ended) return Promise.resolve("refused");
    return this.call.refer(target);
  }

  async hangup(): Promise<void> {
    // Our own hang-up: nothing more is coming that the caller meant to leave.
    this.recorder?.hangup();
    this.rtp.stopPlayback();
    await this.call.hangup();
    this.onEnded();
  }
}
