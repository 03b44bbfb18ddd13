/**
 * @module services/phones
 * Where each room's phone is. Phones report themselves (action URLs: SNOM, Yealink; Polycom event
 * POSTs) with their MAC, IP and SIP user. Whether a report may set a room's phone is decided by
 * one rule, `decidePhoneClaim` (domain/phone.ts): it must come from the IP it reports, and carry the
 * room's learned MAC, or be the first phone of a room's extension. A refused claim changes nothing,
 * answers 409 (404 when no room knows the phone) with the reason, and is kept in the audit log,
 * bounded per room, where the room view shows it to the installer. Staff move or replace a phone
 * with PUT /api/v1/rooms/{room} (services/rooms.ts).
 */
import { type ClaimDecision, decidePhoneClaim, formatPhoneAddress, normalizeMac } from "../domain/phone.ts";
import { AppError } from "../lib/errors.ts";
import { unmapIPv4 } from "../lib/networks.ts";
import { isoWithOffset } from "../lib/zoned-time.ts";
import { listAuditOf, writeAudit, writeBoundedAudit } from "../store/audit.ts";
import type { Queryable } from "../store/db.ts";
import { loadRoom, roomByExtension, roomsByPhoneMac, updatePhone } from "../store/rooms.ts";
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

/** The audit action of a refused claim. */
export const CLAIM_REFUSED = "phone-claim-refused";
/** Refused claims kept per room (and for claims no room knows): the installer needs the last few. */
export const REFUSED_CLAIMS_KEPT = 10;

export interface RefusedClaim {
  at: string;
  vendor: string;
  mac: string | null;
  ip: string;
  source: string;
  user: string | null;
  reason: string;
  /** How often this same claim was refused in a row (a phone retrying). */
  count: number;
}

export async function phoneReported(ctx: ServiceContext, r: PhoneReport): Promise<PhoneReportResult> {
  const source = unmapIPv4(r.source);
  if (!ctx.phones.networks.contains(source)) {
    throw new AppError("FORBIDDEN", `phone events are not accepted from ${source}: not in phones.networks`);
  }
  const mac = r.mac ? normalizeMac(r.mac) : undefined;
  if (r.mac && !mac) throw new AppError("INVALID", `mac ${JSON.stringify(r.mac)} is not a MAC address`);
  const ip = unmapIPv4((r.ip ?? "").trim() || source);
  const user = r.user?.trim() || undefined;
  const claim = { source, ip, mac, user };
  const actor = `phone:${r.vendor}`;

  const outcome = await ctx.store.tx(async (tx) => {
    const decision = decidePhoneClaim(claim, {
      byMac: mac ? await roomsByPhoneMac(tx, mac) : [],
      byExtension: user ? await extensionRoom(tx, user) : undefined,
    });
    const now = ctx.clock.now();
    if (!decision.allowed) {
      const after = { vendor: r.vendor, mac: mac ?? null, ip, source, user: user ?? null, reason: decision.reason };
      await writeBoundedAudit(
        tx,
        { actor, action: CLAIM_REFUSED, room: decision.room ?? null, after },
        now,
        REFUSED_CLAIMS_KEPT,
      );
      return decision;
    }
    const room = decision.room;
    const address = formatPhoneAddress(ip, ctx.phones.sipPort);
    const before = (await loadRoom(tx, room))?.phone ?? { address: null, transport: null, mac: null };
    const after = { address, transport: ctx.phones.transport, mac: mac ?? before.mac };
    if (before.address === after.address && before.transport === after.transport && before.mac === after.mac) {
      return { updated: false, room, address, mac: after.mac, reason: "unchanged" as const };
    }
    await updatePhone(tx, room, after, now);
    await writeAudit(
      tx,
      { actor, action: "room-phone", room, before, after: { ...after, source, rule: decision.rule } },
      now,
    );
    return { updated: true as const, room, address, mac: after.mac };
  });
  if ("allowed" in outcome) throw refusal(outcome);
  return outcome;
}

async function extensionRoom(db: Queryable, user: string) {
  const room = await roomByExtension(db, user);
  if (room === undefined) return undefined;
  return { room, mac: (await loadRoom(db, room))?.phone.mac ?? null };
}

function refusal(d: Extract<ClaimDecision, { allowed: false }>): AppError {
  const details = d.room === undefined ? undefined : { room: d.room };
  return new AppError(d.kind === "unknown" ? "NOT_FOUND" : "CONFLICT", d.reason, details);
}

/** The last refused claims for a room, newest first. */
export async function refusedClaims(db: Queryable, room: string, timezone: string): Promise<RefusedClaim[]> {
  const rows = await listAuditOf(db, CLAIM_REFUSED, room, REFUSED_CLAIMS_KEPT);
  return rows.map((row) => {
    const a = (row.after ?? {}) as Partial<RefusedClaim>;
    return {
      at: isoWithOffset(row.at, timezone),
      vendor: a.vendor ?? row.actor.replace(/^phone:/, ""),
      mac: a.mac ?? null,
      ip: a.ip ?? "",
      source: a.source ?? "",
      user: a.user ?? null,
      reason: a.reason ?? "",
      count: a.count ?? 1,
    };
  });
}
