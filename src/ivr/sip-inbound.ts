/**
 * @module ivr/sip-inbound
 * Calls that reach the ports (guests dialling a feature number the PBX routes to a port): answer
 * with our SDP, wait for the ACK, run the IVR service for the caller's room, hang up, free the port.
 */
import type { IvrConfig } from "../config/schema.ts";
import type { Clock } from "../lib/clock.ts";
import { errorMessage } from "../lib/errors.ts";
import type { Logger } from "../lib/logger.ts";
import type { ServiceContext } from "../services/context.ts";
import { runInboundCall } from "../services/ivr.ts";
import { type RtpPortPool, RtpSession } from "../sip/rtp/session.ts";
import type { G711 } from "../sip/sdp/index.ts";
import { inboundParties } from "../sip/ua/inbound-info.ts";
import type { IncomingCall, SipPorts } from "../sip/ua/ports.ts";
import type { PromptSource } from "../wakeup/prompts.ts";
import { answerOffer } from "./call-media.ts";
import { SipChannel } from "./sip-channel.ts";

export interface InboundOptions {
  ctx: ServiceContext;
  ports: SipPorts;
  rtpPorts: RtpPortPool;
  bind: string;
  codecs: readonly G711[];
  prompts: PromptSource;
  ivr: IvrConfig;
  clock: Clock;
  logger: Logger;
}

/** Makes the ports answer inbound calls with the IVR; returns a function that waits for calls in progress. */
export function answerInboundCalls(o: InboundOptions): { idle(): Promise<void> } {
  const log = o.logger.child({ module: "ivr" });
  const running = new Set<Promise<void>>();
  o.ports.onInvite = (incoming) => {
    const p = serve(o, log, incoming).finally(() => running.delete(p));
    running.add(p);
  };
  return {
    async idle() {
      while (running.size) await Promise.all([...running]);
    },
  };
}

async function serve(o: InboundOptions, log: Logger, { invite, lease }: IncomingCall): Promise<void> {
  let rtp: RtpSession | undefined;
  let channel: SipChannel | undefined;
  const parties = inboundParties(invite.request);
  try {
    rtp = await RtpSession.open({ bind: o.bind, ports: o.rtpPorts, clock: o.clock, logger: log });
    const answer = answerOffer(rtp, invite.request.body, o.codecs);
    if (!answer.ok) {
      log.warn("inbound call refused: no usable media", { from: parties.fromUser, reason: answer.reason });
      invite.reject(488, "Not Acceptable Here", [["Warning", `399 bellhop "${answer.reason.replaceAll('"', "'")}"`]]);
      return;
    }
    const call = invite.accept(answer.sdp);
    if (!call) return; // cancelled meanwhile
    channel = new SipChannel(call, rtp, o.clock);
    if (!(await invite.confirmed)) return;
    const summary = await runInboundCall(o.ctx, {
      channel,
      prompts: o.prompts,
      ivr: o.ivr,
      info: parties,
      logger: log,
    });
    log.info("inbound call", { port: lease.user, from: parties.fromUser, ...summary });
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
