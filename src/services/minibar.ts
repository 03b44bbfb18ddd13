/**
 * @module services/minibar
 * Minibar articles charged from the room phone (feature code `ivr.minibar`): the flow
 * (ivr/minibar.ts) over the call, each confirmed article a posting of kind `minibar` (FIAS PS PT M
 * with MA and M#: the PMS prices its own articles). inbound/dispatch.ts runs `runMinibarCall` for a
 * call routed to `minibar`.
 *
 * Decisions:
 * - Only an occupied room, with postings on, may charge: otherwise the caller hears that minibar
 *   charges cannot be taken from this phone, and nothing is stored.
 * - Each article is its own posting, its source `minibar-phone` with ref `<call>/<n>` (a random id
 *   per call, n = the call's nth confirmed article), so a repeated store of the same entry makes one
 *   posting and two calls never collide.
 */

import type { PostingsConfig } from "../config/schema.ts";
import { type MinibarEntry, type MinibarFlowResult, runMinibar } from "../ivr/minibar.ts";
import type { Logger } from "../lib/logger.ts";
import { loadRoom } from "../store/rooms.ts";
import type { CallChannel } from "../voice/channel.ts";
import type { PromptLanguage, PromptSource } from "../voice/prompts.ts";
import { endCall, say } from "../voice/speak.ts";
import type { ServiceContext } from "./context.ts";
import { submitPosting } from "./postings.ts";

/** The service context with the `postings` section; absent = postings off. */
export type MinibarContext = ServiceContext & { postings?: PostingsConfig };

export type MinibarRefusal = "postings-disabled" | "no-room" | "vacant";

/** Why `room` may not charge minibar articles now; undefined when it may. */
export async function minibarRefusal(ctx: MinibarContext, room: string): Promise<MinibarRefusal | undefined> {
  if (!ctx.postings?.enabled) return "postings-disabled";
  const stored = await ctx.store.read((db) => loadRoom(db, room));
  if (!stored) return "no-room";
  return stored.room.occupied && stored.room.guests.length ? undefined : "vacant";
}

/** Posts one article for the room's guest; idempotent on `ref`. */
export async function postMinibarFromPhone(
  ctx: ServiceContext,
  room: string,
  entry: MinibarEntry,
  ref: string,
  actor = `phone:${room}`,
) {
  return submitPosting(ctx, {
    room,
    kind: "minibar",
    article: entry.article,
    quantity: entry.quantity,
    source: { type: "minibar-phone", ref },
    actor,
  });
}

export interface MinibarCallOptions {
  prompts: PromptSource;
  lang: PromptLanguage;
  digitTimeoutMs: number;
  maxTries: number;
  room: string;
  /** Who charges (`phone:<extension>`). */
  actor: string;
  /** Names this call in the postings' source refs; default a random id. */
  callRef?: string;
  logger?: Logger;
}

export type MinibarCallResult = MinibarFlowResult | { result: "unavailable"; reason: MinibarRefusal; posted: [] };

/** Runs a minibar call from `room`'s phone and ends it. Rejects only when a prompt cannot be loaded. */
export async function runMinibarCall(
  ctx: MinibarContext,
  channel: CallChannel,
  opts: MinibarCallOptions,
): Promise<MinibarCallResult> {
  const refusal = await minibarRefusal(ctx, opts.room);
  if (refusal) {
    try {
      await say({ channel, prompts: opts.prompts, lang: opts.lang }, ["minibar-unavailable"]);
    } finally {
      await endCall(channel);
    }
    opts.logger?.info("minibar call refused", { room: opts.room, reason: refusal });
    return { result: "unavailable", reason: refusal, posted: [] };
  }
  const callRef = opts.callRef ?? crypto.randomUUID();
  return runMinibar(channel, {
    prompts: opts.prompts,
    lang: opts.lang,
    digitTimeoutMs: opts.digitTimeoutMs,
    maxTries: opts.maxTries,
    logger: opts.logger,
    post: (entry, n) => postMinibarFromPhone(ctx, opts.room, entry, `${callRef}/${n}`, opts.actor),
  });
}
