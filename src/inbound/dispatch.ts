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
import { runMinibarCall } from "../services/minibar.ts";
import type { CallChannel } from "../voice/channel.ts";
import { DEFAULT_PROMPT_LANGUAGE, type PromptLanguage, type PromptSource } from "../voice/prompts.ts";
import { endCall, say } from "../voice/speak.ts";
import type { CallPurpose } from "../voicemail/mailbox-from.ts";
import { decideVoicemailCall, depositCall, retrieveCall, voicemailPurpose } from "./voicemail-calls.ts";

export interface InboundCallDeps {
  channel: CallChannel;
  prompts: PromptSource;
  ivr: IvrConfig;
  info: InboundCallInfo;
  logger: Logger;
  /** The port (its user) the call came in on: a Zoom name naming it is no forward. */
  port?: string;
}

export interface InboundCallSummary {
  service?: IvrService | "voicemail-deposit" | "voicemail-retrieve";
  extension?: string;
  room?: string;
  lang: PromptLanguage;
  /** The flow's result (voicemail: its flow's own), or why no flow ran (`error`: logged). */
  result: string;
}

/** The IVR service a dialled feature number asks for, ignoring `ivr.defaultService`. */
export function dialledService(info: InboundCallInfo, ivr: IvrConfig): IvrService | undefined {
  return routeService(info, { ...ivr, defaultService: null });
}

/**
 * Before answering: a feature number is answered; otherwise voicemail may send the call on (a deposit
 * for a vacant room goes to the operator).
 */
export async function decideInboundCall(ctx: ServiceContext, ivr: IvrConfig, info: InboundCallInfo, port: string) {
  if (dialledService(info, ivr)) return { action: "answer" } as const;
  return decideVoicemailCall(ctx, info, port);
}

/**
 * Runs one answered inbound call: finds the service and the calling room, speaks the room's guest
 * language, runs the flow, and always ends the call. Never rejects: what goes wrong is logged.
 */
export async function runInboundCall(ctx: ServiceContext, deps: InboundCallDeps): Promise<InboundCallSummary> {
  const { info, ivr } = deps;
  // A dialled feature number wins; then voicemail (a forwarded call, the access number); then the
  // IVR's default service.
  if (!dialledService(info, ivr)) {
    const purpose = await voicemailPurpose(ctx, info, deps.port).catch((err) => {
      deps.logger.error("voicemail classification failed", { err });
      return { kind: "none" } as const;
    });
    if (purpose.kind !== "none") return runVoicemailCall(ctx, deps, purpose);
  }
  return runIvrCall(ctx, deps);
}

async function runVoicemailCall(
  ctx: ServiceContext,
  deps: InboundCallDeps,
  purpose: Exclude<CallPurpose, { kind: "none" }>,
): Promise<InboundCallSummary> {
  const extension = callingExtension(deps.info);
  const service = purpose.kind === "deposit" ? "voicemail-deposit" : "voicemail-retrieve";
  const log = deps.logger.child({ ivr: service, extension: extension ?? null });
  const summary: InboundCallSummary = { service, extension, lang: DEFAULT_PROMPT_LANGUAGE, result: "error" };
  try {
    const vmDeps = { channel: deps.channel, prompts: deps.prompts, ivr: deps.ivr, logger: log };
    if (purpose.kind === "deposit") {
      const r = await depositCall(ctx, vmDeps, purpose, extension);
      Object.assign(summary, { room: r.room, lang: r.lang, result: r.flow.result });
      log.info("voicemail deposit ended", {
        room: r.room ?? null,
        source: purpose.source,
        result: r.flow.result,
        message: r.flow.message ?? null,
        end: r.flow.end ?? null,
        durationMs: r.flow.durationMs ?? null,
      });
    } else {
      const r = await retrieveCall(ctx, vmDeps, purpose.caller);
      Object.assign(summary, { room: r.room, lang: r.lang, result: r.flow.result });
      log.info("voicemail retrieval ended", {
        room: r.room ?? null,
        result: r.flow.result,
        heard: r.flow.heard,
        saved: r.flow.saved,
        deleted: r.flow.deleted,
      });
    }
  } catch (err) {
    log.error("voicemail call failed", { err });
  } finally {
    await endCall(deps.channel);
  }
  return summary;
}

async function runIvrCall(ctx: ServiceContext, deps: InboundCallDeps): Promise<InboundCallSummary> {
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
        service === "minibar"
          ? await runMinibarCall(ctx, channel, { ...flow, room, actor, logger: flowLog })
          : service === "housekeeping"
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
