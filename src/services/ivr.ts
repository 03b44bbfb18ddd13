/**
 * @module services/ivr
 * What the inbound voice services need from the appliance: the room a phone belongs to, its
 * guest's prompt language, and the two things a phone may set (housekeeping status, wake-up).
 * inbound/dispatch.ts routes an answered call to its flow over these.
 */

import { AppError } from "../lib/errors.ts";
import { nextTimeOfDay } from "../lib/time-of-day.ts";
import { loadRoom, roomByExtension } from "../store/rooms.ts";
import { DEFAULT_PROMPT_LANGUAGE, type PromptLanguage, promptLanguage } from "../voice/prompts.ts";
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

/** Whether a guest is checked in to `room` (a mailbox can take messages only then). */
export async function roomOccupied(ctx: ServiceContext, room: string): Promise<boolean> {
  return (await ctx.store.read((db) => loadRoom(db, room)))?.room.occupied ?? false;
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
