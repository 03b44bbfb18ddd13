/**
 * @module inbound/sip-inbound
 * Calls that reach the ports (guests dialling a feature number the PBX routes to a port): answer
 * with our SDP, wait for the ACK, run the IVR service for the caller's room, hang up, free the port.
 * An INVITE without SDP (late offer) gets our offer in the 200 (SRTP per `sip.media.srtp`, as a
 * wake-up call offers) and its answer is read from the ACK; an unusable one ends the call (BYE).
 *
 * An optional `decide` hook is asked first, before any media is set up, whether to answer, redirect
 * (302) or reject the call (voicemail: a deposit for a vacant room goes to the operator). It is
 * bounded by `decideTimeoutMs`; a hook that throws, times out or answers nonsense gets the call
 * answered as if there were no hook, so a bug never leaves a caller ringing.
 *
 * A stop ends the calls instead of waiting for them (systemd kills the process after TimeoutStopSec):
 * an INVITE not answered yet gets 503, an answered call is hung up (BYE), and one whose ACK has not
 * come is given up at once rather than after 64·T1 (32 s) of 2xx retransmissions.
 */
import type { IvrConfig } from "../config/schema.ts";
import type { Clock } from "../lib/clock.ts";
import { errorMessage } from "../lib/errors.ts";
import type { Logger } from "../lib/logger.ts";
import { settlesWithin } from "../lib/within.ts";
import type { ServiceContext } from "../services/context.ts";
import { type RtpPortPool, RtpSession } from "../sip/rtp/session.ts";
import {
  type G711,
  type LocalCrypto,
  type SdesKeys,
  type SdpWarning,
  type SrtpPolicy,
  warningValue,
} from "../sip/sdp/index.ts";
import { type InboundParties, inboundParties } from "../sip/ua/inbound-info.ts";
import type { IncomingCall, SipPorts } from "../sip/ua/ports.ts";
import { answerOffer, applyAnswer, guardReoffers, offerFor } from "../voice/call-media.ts";
import type { PromptSource } from "../voice/prompts.ts";
import { SipChannel } from "../voice/sip-channel.ts";
import { runInboundCall } from "./dispatch.ts";

/** How long a hang-up at stop waits for the BYE's answer (the one after it reuses that BYE). */
const HANGUP_WAIT_MS = 1000;

/** How long the pre-answer decision may take before the call is answered anyway. */
export const DECIDE_TIMEOUT_MS = 2000;

/** What to do with an inbound call before answering it. */
export type InboundDecision =
  | { action: "answer" }
  /** 302 Moved Temporarily, `Contact: <sip:target@domain>` (a number, or a whole sip:/tel: URI). */
  | { action: "redirect"; target: string }
  /** A final 400–699, e.g. 480 Temporarily Unavailable. */
  | { action: "reject"; status: number; reason: string };

/** The call a decision is asked about: who calls whom (the INVITE's parties) and on which port. */
export interface InboundDecisionCall {
  info: InboundParties;
  port: string;
}

export interface InboundOptions {
  ctx: ServiceContext;
  ports: SipPorts;
  rtpPorts: RtpPortPool;
  bind: string;
  codecs: readonly G711[];
  /** `sip.media.srtp` resolved (srtpMode): which offers are answered and which refused with 488. */
  srtp?: SrtpPolicy;
  prompts: PromptSource;
  ivr: IvrConfig;
  clock: Clock;
  logger: Logger;
  /** Asked before answering each call (after the transaction's 100 Trying); none: every call is answered. */
  decide?: (call: InboundDecisionCall) => Promise<InboundDecision>;
  /** Bound on `decide` (default {@link DECIDE_TIMEOUT_MS}); past it the call is answered. */
  decideTimeoutMs?: number;
}

/** The inbound calls the ports are answering. */
export interface InboundCalls {
  /** Resolves when no inbound call is in progress. */
  idle(): Promise<void>;
  /**
   * Shutdown: refuses new calls, ends those in progress, and waits for them to wind down (hang-up
   * recorded, port freed) at most `waitMs`.
   */
  stop(waitMs?: number): Promise<void>;
}

/** One call being served: `end` hangs it up wherever it is (before the answer, before the ACK, in the IVR). */
interface Live {
  stopping: boolean;
  end(): void;
}

/** Makes the ports answer inbound calls with the IVR. */
export function answerInboundCalls(o: InboundOptions): InboundCalls {
  const log = o.logger.child({ module: "ivr" });
  const running = new Map<Promise<void>, Live>();
  let stopping = false;
  o.ports.onInvite = (incoming) => {
    if (stopping) {
      incoming.invite.reject(503, "Service Unavailable");
      incoming.lease.release();
      return;
    }
    const live: Live = { stopping: false, end: () => {} };
    const p = serve(o, log, incoming, live).finally(() => running.delete(p));
    running.set(p, live);
  };
  const idle = async () => {
    while (running.size) await Promise.all([...running.keys()]);
  };
  return {
    idle,
    async stop(waitMs = 3000) {
      stopping = true;
      for (const live of running.values()) {
        live.stopping = true;
        live.end();
      }
      await settlesWithin(idle(), waitMs);
    },
  };
}

async function serve(o: InboundOptions, log: Logger, { invite, lease }: IncomingCall, live: Live): Promise<void> {
  let rtp: RtpSession | undefined;
  let channel: SipChannel | undefined;
  const parties = inboundParties(invite.request);
  // Before the answer: refuse it. Once answered: BYE (bounded wait), and stop waiting for the ACK.
  live.end = () => invite.reject(503, "Service Unavailable");
  try {
    if (o.decide) {
      const decision = await decideWithin(o, log, { info: parties, port: lease.user });
      if (live.stopping || invite.finalSent) return;
      if (decision.action !== "answer" && sendDecision(log, invite, decision, parties, lease.user)) return;
    }
    rtp = await RtpSession.open({ bind: o.bind, ports: o.rtpPorts, clock: o.clock, logger: log });
    if (live.stopping) return;
    const policy = o.srtp ?? "off";
    // Late offer (no SDP in the INVITE): our offer goes in the 200 and the answer comes in the ACK.
    const late = invite.request.body.length === 0 ? offerFor(rtp, policy) : null;
    let media: { keys: SdesKeys | null; media: string; codec: G711 } | null = null;
    let sdp: Uint8Array;
    if (late) sdp = late.sdp;
    else {
      const answer = answerOffer(rtp, invite.request.body, o.codecs, policy);
      if (!answer.ok) {
        refuse(log, invite, parties.fromUser, answer);
        return;
      }
      sdp = answer.sdp;
      media = answer;
    }
    const call = invite.accept(sdp);
    if (!call) return; // cancelled meanwhile
    live.end = () => {
      invite.dispose();
      void call.hangup(HANGUP_WAIT_MS);
    };
    if (media) guardReoffers(call, rtp, policy, media.keys);
    // The recorder stores what arrives; a dynamic payload type for PCMU/PCMA needs the codec named.
    channel = new SipChannel(call, rtp, o.clock, media ? { codec: media.codec } : {});
    // A call that ends before its ACK (our stop, the caller's BYE) is not waited for until 64·T1.
    const confirmed = await Promise.race([invite.confirmed, call.ended.then(() => false)]);
    if (!confirmed) return;
    if (late) {
      media = lateAnswer(o, log, rtp, invite.ackBody, late.crypto, policy, parties.fromUser);
      if (media) {
        guardReoffers(call, rtp, policy, media.keys);
        channel.setCodec(media.codec);
      }
    }
    if (!media) {
      // Only a late offer gets here. RFC 3326: the caller learns why the call it just set up ends;
      // the detail stays in our log (like a 488's Warning, it may name SDP details).
      await call.hangup(HANGUP_WAIT_MS, [["Reason", 'SIP;cause=488;text="Not Acceptable Here"']]);
      return;
    }
    const summary = await runInboundCall(o.ctx, {
      channel,
      prompts: o.prompts,
      ivr: o.ivr,
      info: parties,
      logger: log,
      port: lease.user,
    });
    log.info("inbound call", { port: lease.user, from: parties.fromUser, media: media.media, ...summary });
  } catch (err) {
    log.error("inbound call failed", { error: errorMessage(err) });
    invite.reject(500, "Server Internal Error");
  } finally {
    invite.dispose();
    await channel?.hangup().catch(() => {});
    await rtp?.close().catch(() => {});
    lease.release();
  }
}

/**
 * The hook's decision within the time bound; `answer` when it throws, times out or says something
 * we cannot send (logged: that is a bug above us, and the guest must not pay for it).
 */
async function decideWithin(o: InboundOptions, log: Logger, call: InboundDecisionCall): Promise<InboundDecision> {
  const decide = o.decide;
  if (!decide) return { action: "answer" };
  const ms = o.decideTimeoutMs ?? DECIDE_TIMEOUT_MS;
  let timer: ReturnType<Clock["setTimeout"]> | undefined;
  const late = new Promise<"timeout">((r) => {
    timer = o.clock.setTimeout(() => r("timeout"), ms);
  });
  try {
    const d = await Promise.race([Promise.resolve().then(() => decide(call)), late]);
    if (d === "timeout") {
      log.warn("inbound call decision timed out; answering", { port: call.port, ms });
      return { action: "answer" };
    }
    return d ?? { action: "answer" };
  } catch (err) {
    log.error("inbound call decision failed; answering", { port: call.port, error: errorMessage(err) });
    return { action: "answer" };
  } finally {
    o.clock.clearTimeout(timer);
  }
}

/** Sends a redirect or a rejection; false (logged) when it cannot be sent as given: the call is answered. */
function sendDecision(
  log: Logger,
  invite: IncomingCall["invite"],
  d: Exclude<InboundDecision, { action: "answer" }>,
  parties: InboundParties,
  port: string,
): boolean {
  try {
    if (d.action === "redirect") {
      invite.redirect(d.target);
      log.info("inbound call redirected", { port, from: parties.fromUser, target: d.target });
      return true;
    }
    if (d.action === "reject") {
      // 3xx needs a Contact (redirect does that); 1xx/2xx are no rejection.
      if (!Number.isInteger(d.status) || d.status < 400 || d.status > 699)
        throw new TypeError(`a rejection needs a status of 400-699, not ${d.status}`);
      invite.reject(d.status, typeof d.reason === "string" && d.reason.trim() ? d.reason : "Rejected");
      log.info("inbound call rejected", { port, from: parties.fromUser, status: d.status });
      return true;
    }
    throw new TypeError(`unknown decision ${JSON.stringify((d as { action?: unknown }).action)}`);
  } catch (err) {
    log.error("inbound call decision not sent; answering", { port, error: errorMessage(err) });
    return false;
  }
}

/** 488 for an offer we cannot take. */
function refuse(
  log: Logger,
  invite: IncomingCall["invite"],
  from: string | undefined,
  answer: { reason: string; warning: SdpWarning | null },
): void {
  log.warn("inbound call refused: no usable media", { from, reason: answer.reason });
  // 302/305 carry their standard text (RFC 3261 §20.43); the reason stays in our log. Other
  // refusals keep the reason in a 399, which never quotes an a=crypto key (crypto.ts reasons don't).
  const warning =
    answer.warning === null
      ? `399 bellhop "${answer.reason.replaceAll('"', "'")}"`
      : warningValue(answer.warning, "bellhop");
  invite.reject(488, "Not Acceptable Here", [["Warning", warning]]);
}

/**
 * The ACK's answer to our late offer, checked like a wake-up call's answer (an SRTP answer must echo
 * one of our tags with its suite); null, logged, when it is missing or unusable: the call is hung up.
 */
function lateAnswer(
  o: InboundOptions,
  log: Logger,
  rtp: RtpSession,
  body: Uint8Array,
  ours: LocalCrypto[] | null,
  policy: SrtpPolicy,
  from: string | undefined,
): { keys: SdesKeys | null; media: string; codec: G711 } | null {
  const r =
    body.length === 0
      ? { ok: false as const, reason: "the ACK carries no SDP answer to our offer" }
      : applyAnswer(rtp, body, o.codecs, ours, policy);
  if (r.ok) return r;
  log.warn("inbound call hung up: no usable answer in the ACK", { from, reason: r.reason });
  return null;
}
