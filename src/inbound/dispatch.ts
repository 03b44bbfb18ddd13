/**
 * @module inbound/dispatch
 * One answered inbound call on a port, routed to its flow: the service the dialled number asks for,
 * the calling room and its guest's language, then the flow with the services it may use. Always ends
 * the call; never rejects.
 */

import type { IvrConfig } from "../config/schema.ts";
import { runGuestWakeup } from "../ivr/guest-wakeup.ts";
import { runHousekeeping } from "../ivr/housekeeping.ts";
import { callingExtension, type InboundCallInfo, type IvrService, routeService } from "../ivr/route.ts";
import type { Logger } from "../lib/logger.ts";
import type { ServiceContext } from "../services/context.ts";
import { roomForExtension, roomPromptLanguage, setHousekeepingFromPhone, setWakeupFromPhone } from "../services/ivr.ts";
import type { CallChannel } from "../voice/channel.ts";
import { DEFAULT_PROMPT_LANGUAGE, type PromptLanguage, type PromptSource } from "../voice/prompts.ts";
import { endCall, say } from "../voice/speak.ts";

export interface InboundCallDeps {
  channel: CallChannel;
  prompts: PromptSource;
  ivr: IvrConfig;
  info: InboundCallInfo;
  logger: Logger;
}

export interface InboundCallSummary {
  service?: IvrService;
  extension?: string;
  room?: string;
  lang: PromptLanguage;
  /** The flow's result, or why no flow ran (`error`: logged). */
  result: "set" | "failed" | "abandoned" | "hangup" | "room-unknown" | "service-unknown" | "error";
}

/**
 * Runs one answered inbound call: finds the service and the calling room, speaks the room's guest
 * language, runs the flow, and always ends the call. Never rejects: what goes wrong is logged.
 */
export async function runInboundCall(ctx: ServiceContext, deps: InboundCallDeps): Promise<InboundCallSummary> {
  const { channel, prompts, ivr, info } = deps;
  const service = routeService(info, ivr);
  const extension = callingExtension(info);
  const summary: InboundCallSummary = { service, extension, lang: DEFAULT_PROMPT_LANGUAGE, result: "error" };
  const log = deps.logger.child({ ivr: service ?? "none", extension: extension ?? null });
  try {
    const room = extension ? await roomForExtension(ctx, extension) : undefined;
    summary.room = room;
    if (room) summary.lang = await roomPromptLanguage(ctx, room);
    const v = { channel, prompts, lang: summary.lang };
    if (!service) {
      await say(v, ["service-unknown"]);
      summary.result = "service-unknown";
    } else if (!room) {
      await say(v, ["room-unknown"]);
      summary.result = "room-unknown";
    } else {
      const actor = `phone:${extension}`;
      const flow = {
        prompts,
        lang: summary.lang,
        digitTimeoutMs: ivr.digitTimeoutSeconds * 1000,
        maxTries: ivr.maxTries,
      };
      const flowLog = log.child({ room });
      const r =
        service === "housekeeping"
          ? await runHousekeeping(channel, {
              ...flow,
              logger: flowLog,
              setStatus: (status, maid) => setHousekeepingFromPhone(ctx, room, status, maid, actor),
            })
          : await runGuestWakeup(channel, {
              ...flow,
              logger: flowLog,
              setWakeup: (hh, mm) => setWakeupFromPhone(ctx, room, hh, mm, actor),
            });
      summary.result = r.result;
    }
    log.info("ivr call ended", { room: room ?? null, result: summary.result });
  } catch (err) {
    log.error("ivr call failed", { err });
  } finally {
    await endCall(channel);
  }
  return summary;
}
