/**
 * @module services/snom
 * The appliance's side of SNOM room phones (issue 14 §1) that is not the link's driver:
 *
 * - `resendSnomRoomState`: a phone that reports itself (its setup / log-on action URL, i.e. after a
 *   boot, a power cut or a new DHCP address) may have missed changes, or lost them: for every enabled
 *   `snom` link the room's current state is queued again as ordinary jobs (idle text by a `name` op,
 *   `dnd`, class of service by a `cos` op), in that order, behind whatever the room still has queued.
 *   No check-in op, so the welcome is not shown again.
 * - `snomWelcomePage`: the XML page the phone's minibrowser fetches after a check-in (the driver
 *   pushes its URL): `snom.welcome` in the guest's language, rendered from the room as it is now.
 *   Only the room's own phone may fetch it (the request's address must be the room's phone, inside
 *   `phones.networks`): the page carries the guest's name.
 */
import { nameVariables, roomDisplayName } from "../domain/names.ts";
import { opCapability, type PbxOp } from "../domain/pbx-ops.ts";
import { phoneAddressIp, sameIp } from "../domain/phone.ts";
import { renderTemplate } from "../domain/template.ts";
import { AppError } from "../lib/errors.ts";
import { unmapIPv4 } from "../lib/networks.ts";
import { welcomeXml } from "../pbx/snom/wire.ts";
import { insertJobs } from "../store/pbx-jobs.ts";
import { loadRoom } from "../store/rooms.ts";
import { promptLanguage } from "../voice/prompts.ts";
import type { ServiceContext } from "./context.ts";

/** The link type whose phones get their state again when they report themselves. */
export const SNOM_LINK_TYPE = "snom";

/** Queues the room's current state for every enabled SNOM link; `queued` counts the jobs. */
export async function resendSnomRoomState(ctx: ServiceContext, room: string): Promise<{ queued: number }> {
  const links = ctx.pbxLinks().filter((l) => l.type === SNOM_LINK_TYPE);
  if (!links.length) return { queued: 0 };
  const queued = await ctx.store.tx(async (tx) => {
    const stored = await loadRoom(tx, room);
    if (!stored) return 0;
    const r = stored.room;
    const base = { room: r.number, extension: r.extension };
    const ops: PbxOp[] = [
      { op: "name", ...base, name: roomDisplayName(r, ctx.rooms), occupied: r.occupied },
      { op: "dnd", ...base, dnd: r.dnd },
      { op: "cos", ...base, classOfService: r.classOfService },
    ];
    const jobs = links.flatMap((l) =>
      ops
        .filter((o) => l.capabilities.includes(opCapability[o.op]))
        .map((o) => ({ link: l.name, op: o.op, room: r.number, payload: o })),
    );
    await insertJobs(tx, jobs, ctx.clock.now());
    return jobs.length;
  });
  if (queued) {
    ctx.logger.info("SNOM phone reported itself: its room's state is sent again", { room, jobs: queued });
    ctx.hooks.pbxJobsQueued();
  }
  return { queued };
}

/**
 * The welcome entry for a guest's language: the FIAS GL as sent (any case), else its ISO code
 * (EA→en, GE→de, FR→fr, SP→es, IT→it, as the voice prompts read it), else `en`, else the first.
 */
export function welcomeFor<T>(welcome: Readonly<Record<string, T>>, language: string): T | undefined {
  const byKey = new Map(Object.entries(welcome).map(([k, val]) => [k.toLowerCase(), val]));
  const gl = language.trim().toLowerCase();
  return byKey.get(gl) ?? byKey.get(promptLanguage(language)) ?? byKey.get("en") ?? byKey.values().next().value;
}

/** The welcome page (SnomIPPhoneText XML) for `room`, asked from `source` (the client's address). */
export async function snomWelcomePage(ctx: ServiceContext, room: string, source: string): Promise<string> {
  const from = unmapIPv4(source);
  if (!ctx.phones.networks.contains(from)) {
    throw new AppError("FORBIDDEN", `SNOM pages are not served to ${from}: not in phones.networks`);
  }
  const welcome = ctx.snom?.welcome;
  if (!welcome) throw new AppError("NOT_FOUND", "no welcome page is configured (snom.welcome)");
  const stored = await ctx.store.read((db) => loadRoom(db, room));
  if (!stored) throw new AppError("NOT_FOUND", `room ${room} does not exist`);
  const phoneIp = stored.phone.address ? phoneAddressIp(stored.phone.address) : undefined;
  if (!phoneIp || !sameIp(phoneIp, from)) {
    throw new AppError("FORBIDDEN", `only the phone of room ${room} may fetch its welcome page`);
  }
  const r = stored.room;
  if (!r.occupied || !r.guests.length) throw new AppError("NOT_FOUND", `room ${room} is vacant`);
  const entry = welcomeFor(welcome, r.guests[0].language);
  if (!entry) throw new AppError("NOT_FOUND", "no welcome page is configured (snom.welcome)");
  const vars = nameVariables(r, ctx.rooms.vipLabels);
  return welcomeXml(renderTemplate(entry.title, vars), renderTemplate(entry.text, vars));
}
