/**
 * @module services/phones
 * Where each room's phone is. Phones report themselves (action URLs: SNOM, Yealink; Polycom event
 * POSTs) with their MAC, IP and SIP user. A report only moves the address of a room already known
 * by that MAC (the MAC → room table) or, failing that, by its extension (the SIP user), whose MAC
 * is then learned: an unknown phone can never claim a room. Every change is audited.
 */
import { formatPhoneAddress, normalizeMac } from "../domain/phone.ts";
import { AppError } from "../lib/errors.ts";
import { unmapIPv4 } from "../lib/networks.ts";
import { writeAudit } from "../store/audit.ts";
import { loadRoom, roomByExtension, roomByPhoneMac, updatePhone } from "../store/rooms.ts";
import type { ServiceContext } from "./context.ts";

export interface PhoneReport {
  vendor: "snom" | "yealink" | "polycom";
  mac?: string;
  /** The phone's IP as it reports it; the request's source address when it reports none. */
  ip?: string;
  /** SIP user / extension the phone registered with. */
  user?: string;
  /** Where the report came from (the HTTP client address). */
  source: string;
}

export type PhoneReportResult =
  | { updated: true; room: string; address: string; mac: string | null }
  | { updated: false; room: string; address: string; mac: string | null; reason: "unchanged" };

export async function phoneReported(ctx: ServiceContext, r: PhoneReport): Promise<PhoneReportResult> {
  const source = unmapIPv4(r.source);
  if (!ctx.phones.networks.contains(source)) {
    throw new AppError("FORBIDDEN", `phone events are not accepted from ${source}: not in phones.networks`);
  }
  const ip = unmapIPv4((r.ip ?? "").trim() || source);
  if (!ctx.phones.networks.contains(ip)) {
    throw new AppError("FORBIDDEN", `phone address ${ip} is not in phones.networks`);
  }
  const mac = r.mac ? normalizeMac(r.mac) : undefined;
  if (r.mac && !mac) throw new AppError("INVALID", `mac ${JSON.stringify(r.mac)} is not a MAC address`);
  const user = r.user?.trim() || undefined;
  const address = formatPhoneAddress(ip, ctx.phones.sipPort);
  const actor = `phone:${r.vendor}`;

  return ctx.store.tx(async (tx) => {
    const room = (mac && (await roomByPhoneMac(tx, mac))) || (user && (await roomByExtension(tx, user)));
    if (!room) {
      throw new AppError(
        "NOT_FOUND",
        `no room knows this phone (mac ${mac ?? "none"}, user ${user ?? "none"}); define it with PUT /api/v1/rooms/{room}`,
      );
    }
    const stored = await loadRoom(tx, room);
    const before = stored?.phone ?? { address: null, transport: null, mac: null };
    const after = { address, transport: ctx.phones.transport, mac: mac ?? before.mac };
    if (before.address === after.address && before.transport === after.transport && before.mac === after.mac) {
      return { updated: false, room, address, mac: after.mac, reason: "unchanged" as const };
    }
    const now = ctx.clock.now();
    await updatePhone(tx, room, after, now);
    await writeAudit(tx, { actor, action: "room-phone", room, before, after: { ...after, source } }, now);
    return { updated: true, room, address, mac: after.mac };
  });
}
