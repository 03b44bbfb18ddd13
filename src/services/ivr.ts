/**
 * @module services/ivr
 * What the inbound voice services need from the appliance: the room a phone belongs to, its
 * guest's prompt language, and the two things a phone may set (housekeeping status, wake-up).
 * `runInboundCall` routes one answered call on a port to its flow.
 */

import type { IvrConfig } from "../config/schema.ts";
import type { CallChannel } from "../ivr/channel.ts";
import { endCall, say } from "../ivr/flow.ts";
import { runGuestWakeup } from "../ivr/guest-wakeup.ts";
import { runHousekeeping } from "../ivr/housekeeping.ts";
import { callingExtension, type InboundCallInfo, type IvrService, routeService } from "../ivr/route.ts";
import { AppError } from "../lib/errors.ts";
import type { Logger } from "../lib/logger.ts";
import { loadRoom, roomByExtension } from "../store/rooms.ts";
import { DEFAULT_PROMPT_LANGUAGE, type PromptLanguage, type PromptSource, promptLanguage } from "../wakeup/prompts.ts";
import { nextTimeOfDay } from "../wakeup/recurrence.ts";
import type { ServiceContext } from "./context.ts";
import { patchRoom } from "./rooms.ts";
import { createWakeup } from "./wakeups.ts";

/**
 * The room whose phone has extension `ext`. A caller presenting a room number that no extension
 * matches is that room: PBXs that map rooms to extensions in their own dial plan present the room
 * number, and with the default extension template the two are the same anyway.
 */
export async function roomForExtension(ctx: ServiceContext, ext: string): Promise<string | undefined> {
  const user = ext.trim();
  if (!user) return undefined;
  return ctx.store.read(async (db) => (await roomByExtension(db, user)) ?? (await loadRoom(db, user))?.room.number);
}

/** The prompt language of a room: its first in-house guest's (FIAS GL), English when vacant. */
export async function roomPromptLanguage(ctx: ServiceContext, room: string): Promise<PromptLanguage> {
  const stored = await ctx.store.read((db) => loadRoom(db, room));
  const guest = stored?.room.guests[0];
  return guest ? promptLanguage(guest.language) : DEFAULT_PROMPT_LANGUAGE;
}

/**
 * Housekeeping status set from a phone: stored on the room and reported to the PMS (RE RS, with ID
 * when a maid id was entered), like a change through the API.
 */
export async function setHousekeepingFromPhone(
  ctx: ServiceContext,
  room: string,
  status: number,
  maid?: string,
  actor = `phone:${room}`,
) {
  if (!Number.isInteger(status) || status < 1 || status > 6) {
    throw new AppError("INVALID", `housekeeping status ${status} is not a FIAS RS code 1–6`);
  }
  if (maid !== undefined && !isDigits(maid, 1, 8)) throw new AppError("INVALID", `maid id ${maid} is not 1–8 digits`);
  return patchRoom(ctx, actor, room, { housekeeping: { status, maid: maid ?? null } });
}

/** A wake-up set from the room phone for the next HH:MM hotel time. */
export async function setWakeupFromPhone(
  ctx: ServiceContext,
  room: string,
  hh: number,
  mm: number,
  actor = `phone:${room}`,
) {
  if (!Number.isInteger(hh) || hh < 0 || hh > 23 || !Number.isInteger(mm) || mm < 0 || mm > 59) {
    throw new AppError("INVALID", `wake-up time ${hh}:${mm} is not HH:MM`);
  }
  const at = nextTimeOfDay(ctx.clock.now(), hh, mm, ctx.timezone);
  return createWakeup(ctx, actor, { room, at, source: "phone" });
}

function isDigits(s: string, min: number, max: number): boolean {
  if (s.length < min || s.length > max) return false;
  for (const ch of s) if (ch < "0" || ch > "9") return false;
  return true;
}

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
