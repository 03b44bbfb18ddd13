/**
 * @module wakeup/sip-dialer
 * The {@link WakeupDialer} of the appliance: each attempt takes a registered port, opens an RTP
 * session, calls the room (or the front desk) through the PBX, runs the voice flow once answered,
 * and gives the port back. A port is taken synchronously when `call` starts, so the scheduler's
 * `freePorts()` count is right before the first await.
 */
import type { WakeupConfig } from "../config/schema.ts";
import { runEscalationCall } from "../ivr/escalation-call.ts";
import { runWakeupCall } from "../ivr/wakeup-call.ts";
import type { Clock } from "../lib/clock.ts";
import { errorMessage } from "../lib/errors.ts";
import type { Logger } from "../lib/logger.ts";
import { type RtpPortPool, RtpSession } from "../sip/rtp/session.ts";
import type { G711, SrtpPolicy } from "../sip/sdp/index.ts";
import type { SipPorts } from "../sip/ua/ports.ts";
import { applyAnswer, guardReoffers, offerFor } from "../voice/call-media.ts";
import { type PromptSource, promptLanguage } from "../voice/prompts.ts";
import { SipChannel } from "../voice/sip-channel.ts";
import type { WakeupCall, WakeupCallOutcome, WakeupDialer } from "./dialer.ts";

export interface SipDialerOptions {
  ports: SipPorts;
  rtpPorts: RtpPortPool;
  /** Address the RTP sockets bind to (the VoIP NIC). */
  bind: string;
  codecs: readonly G711[];
  /** `sip.media.srtp` resolved (srtpMode): what our offers carry and what answers must hold. */
  srtp?: SrtpPolicy;
  prompts: PromptSource;
  wakeup: Pick<WakeupConfig, "rings" | "menuRepeats" | "keyWaitSeconds">;
  clock: Clock;
  logger: Logger;
}

/** Seconds per ring, the unit hotels configure the ring time in (DuVoice: RNA = rings × 6 s). */
export const RING_SECONDS = 6;

export class SipWakeupDialer implements WakeupDialer {
  private readonly log: Logger;

  constructor(private readonly o: SipDialerOptions) {
    this.log = o.logger.child({ module: "dialer" });
  }

  freePorts(): number {
    return this.o.ports.freePorts();
  }

  async call(w: WakeupCall): Promise<{ outcome: WakeupCallOutcome; detail?: string }> {
    if (!w.extension) return { outcome: "failed", detail: `room ${w.room} has no extension` };
    const lease = this.o.ports.acquirePort();
    if (!lease) return { outcome: "failed", detail: "no free SIP port" };
    const event = (e: Parameters<NonNullable<WakeupCall["onEvent"]>>[0]) => {
      try {
        w.onEvent?.(e);
      } catch {
        // history is best effort; the call goes on
      }
    };
    let rtp: RtpSession | undefined;
    let channel: SipChannel | undefined;
    try {
      rtp = await RtpSession.open({
        bind: this.o.bind,
        ports: this.o.rtpPorts,
        clock: this.o.clock,
        logger: this.log,
      });
      event({ type: "placed", port: lease.user });
      const policy = this.o.srtp ?? "off";
      const offer = offerFor(rtp, policy);
      const r = await this.o.ports.placeCall(lease, {
        callee: w.extension,
        sdp: offer.sdp,
        ringTimeoutMs: this.o.wakeup.rings * RING_SECONDS * 1000,
        onRinging: () => event({ type: "ringing" }),
      });
      if (!r.answered) return { outcome: r.outcome, detail: r.reason };
      channel = new SipChannel(r.call, rtp, this.o.clock);
      const media = applyAnswer(rtp, r.remoteSdp, this.o.codecs, offer.crypto, policy);
      // The history says which media the call used; an unusable answer's reason is the failure's detail.
      event(media.ok ? { type: "answered", media: media.media } : { type: "answered" });
      if (!media.ok) {
        // Answered, but nothing can be played to the guest (or not safely: a wrong SRTP answer): not
        // a wake-up; the finally below hangs up (the ACK went out with the answer) and it is tried again.
        this.log.warn("wake-up call answered without usable media", { id: w.id, reason: media.reason });
        return { outcome: "failed", detail: `answered, but ${media.reason}` };
      }
      guardReoffers(r.call, rtp, policy, media.keys);
      this.log.info("wake-up call media", { id: w.id, media: media.media, codec: media.codec });
      const lang = promptLanguage(w.language ?? "");
      if (w.kind === "escalation") {
        await runEscalationCall(channel, { prompts: this.o.prompts, lang, room: w.room });
        return { outcome: "answered", detail: "front desk told" };
      }
      const res = await runWakeupCall(channel, {
        prompts: this.o.prompts,
        lang,
        snoozeAllowed: w.snoozeAllowed,
        menuRepeats: this.o.wakeup.menuRepeats,
        keyWaitMs: this.o.wakeup.keyWaitSeconds * 1000,
        onKey: (digit) => event({ type: "key", digit }),
      });
      return { outcome: res.outcome };
    } catch (err) {
      this.log.error("wake-up call failed", { id: w.id, error: errorMessage(err) });
      return { outcome: "failed", detail: errorMessage(err) };
    } finally {
      await channel?.hangup().catch(() => {});
      await rtp?.close().catch(() => {});
      lease.release();
    }
  }
}
