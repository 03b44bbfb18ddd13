/**
 * @module app/voice-side
 * The SIP ports and what rides on them: the wake-up dialer and the inbound calls (IVR, voicemail).
 * SIP is on when a PBX is configured (`sip.pbx.address`); without it nothing can ring, and a
 * wake-up ends NR once it is `wakeup.lateMinutes` late, so the PMS hears of it rather than nothing.
 */
import { type Config, srtpMode } from "../config/schema.ts";
import { lampOf } from "../domain/pbx-ops.ts";
import { decideInboundCall } from "../inbound/dispatch.ts";
import { answerInboundCalls } from "../inbound/sip-inbound.ts";
import type { Clock } from "../lib/clock.ts";
import type { Logger } from "../lib/logger.ts";
import type { ServiceContext } from "../services/context.ts";
import { RtpPortPool } from "../sip/rtp/session.ts";
import { SipPorts } from "../sip/ua/ports.ts";
import { loadRoom, roomByExtension, roomPhone } from "../store/rooms.ts";
import type { PromptLibrary } from "../voice/prompt-library.ts";
import type { WakeupDialer } from "../wakeup/dialer.ts";
import { SipWakeupDialer } from "../wakeup/sip-dialer.ts";

export interface VoiceSideOptions {
  config: Config;
  ctx: ServiceContext;
  clock: Clock;
  logger: Logger;
  version: string;
}

/** The SIP ports (not started), or undefined when no PBX is configured. */
export function createSipPorts(o: VoiceSideOptions): SipPorts | undefined {
  const { config, ctx } = o;
  const { store } = ctx;
  if (!config.sip.pbx.address) return undefined;
  return new SipPorts({
    config: config.sip,
    clock: o.clock,
    logger: o.logger,
    allowAlso: (a) => ctx.phones.networks.contains(a),
    debug: () => config.log.level === "debug",
    userAgent: `bellhop/${o.version}`,
    summaryFor: async (user) => {
      const number = await store.read((db) => roomByExtension(db, user));
      const room = number ? (await store.read((db) => loadRoom(db, number)))?.room : undefined;
      if (!room) return undefined;
      const domain = config.sip.pbx.domain ?? config.sip.bind;
      const lamp = lampOf(room);
      return {
        waiting: lamp.count > 0,
        account: `sip:${room.extension}@${domain}`,
        newMessages: lamp.count,
        oldMessages: lamp.old,
      };
    },
    mailboxPhoneOf: async (user) => {
      const number = await store.read((db) => roomByExtension(db, user));
      return number ? (await store.read((db) => roomPhone(db, number)))?.address : undefined;
    },
  });
}

export interface VoiceCalls {
  rtpPorts: RtpPortPool;
  dialer: WakeupDialer;
  inbound: ReturnType<typeof answerInboundCalls> | undefined;
}

export function assembleVoiceCalls(o: VoiceSideOptions, sip: SipPorts | undefined, prompts: PromptLibrary): VoiceCalls {
  const { config, ctx, clock, logger } = o;
  const rtpPorts = new RtpPortPool(config.sip.media.portMin, config.sip.media.portMax);
  const srtp = srtpMode(config.sip);
  if (sip && srtp !== "off" && config.sip.local.transport !== "tls") {
    // SDES carries the SRTP keys in the SDP: without TLS anyone on the path reads them.
    logger.warn("sip.media.srtp is on over a transport without TLS: the SRTP keys travel in clear", {
      srtp,
      transport: config.sip.local.transport,
    });
  }
  const media = { rtpPorts, bind: config.sip.bind, codecs: config.sip.media.codecs, srtp, prompts, clock, logger };
  const dialer: WakeupDialer = sip
    ? new SipWakeupDialer({ ports: sip, ...media, wakeup: config.wakeup })
    : { freePorts: () => 0, call: async () => ({ outcome: "failed", detail: "SIP is off (sip.pbx.address)" }) };
  const inbound = sip
    ? answerInboundCalls({
        ctx,
        ports: sip,
        ...media,
        ivr: config.ivr,
        decide: ({ info, port }) => decideInboundCall(ctx, config.ivr, info, port),
      })
    : undefined;
  return { rtpPorts, dialer, inbound };
}
