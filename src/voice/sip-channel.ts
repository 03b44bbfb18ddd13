/**
 * @module voice/sip-channel
 * A {@link CallChannel} over a SIP call and its RTP session. Keys come from RFC 4733 events and from
 * SIP INFO alike and are buffered from the moment the channel exists. A key pressed before or while
 * an interruptible prompt plays stops it (the guest is ahead of the prompt); the key stays buffered.
 */
import type { Clock, TimerHandle } from "../lib/clock.ts";
import type { RtpSession } from "../sip/rtp/session.ts";
import type { SipCall } from "../sip/ua/call.ts";
import type { CallChannel, Digit, PlayResult, RecordOptions, RecordResult } from "./channel.ts";

const DIGITS = "0123456789*#ABCD";

export class SipChannel implements CallChannel {
  private readonly digits: Digit[] = [];
  private waiter: ((d: Digit | "hangup") => void) | undefined;
  private interrupt: (() => void) | undefined;
  private ended = false;

  constructor(
    private readonly call: SipCall,
    private readonly rtp: RtpSession,
    private readonly clock: Clock,
  ) {
    rtp.onDigit = (press) => this.key(press.digit);
    call.onInfoDigit = (d) => this.key(d);
    void call.ended.then(() => this.onEnded());
  }

  get hungUp(): boolean {
    return this.ended;
  }

  private key(d: string): void {
    if (this.ended || !DIGITS.includes(d)) return;
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

  record(_opts: RecordOptions): Promise<RecordResult> {
    // TODO(issue 12): voice/recorder.ts
    return Promise.reject(new Error("recording is not implemented yet"));
  }

  transfer(_target: string): Promise<"accepted" | "refused"> {
    // TODO(issue 12): REFER
    return Promise.resolve("refused");
  }

  async hangup(): Promise<void> {
    this.rtp.stopPlayback();
    await this.call.hangup();
    this.onEnded();
  }
}
