/**
 * @module services/pms-apply
 * What each FIAS record does to the room model. Runs inside the transaction that also marks the
 * inbox row applied, so a record takes effect exactly once even across a crash. Room changes are
 * staged in the RoomUnit; wake-ups and meta are written straight to its transaction.
 */
import { checkIn, checkOut, moveGuest, startsNewStay } from "../domain/room.ts";
import { roomNumberProblem } from "../domain/room-number.ts";
import { AppError } from "../lib/errors.ts";
import { nextWallTimeOfDay } from "../lib/time-of-day.ts";
import { fromWallTime, toWallTime } from "../lib/zoned-time.ts";
import { type FiasTimeOfDay, fiasDate, parseFiasDateTime, parseFiasTime } from "../pms/fias/datetime.ts";
import type { FiasRecord } from "../pms/fias/record.ts";
import { addMessage, knownMessage, retrieveMessages } from "../store/messages.ts";
import { setMeta } from "../store/meta.ts";
import type { RoomUnit } from "../store/room-unit.ts";
import {
  cancelOpenWakeups,
  findOpenWakeup,
  insertWakeup,
  openWakeups,
  updateWakeup,
  type WakeupRow,
} from "../store/wakeups.ts";
import type { ServiceContext } from "./context.ts";
import { guestPatchFromFields, parseClassOfService, parseYesNo } from "./fias-guest.ts";
import { finishResync, type ResyncState, startResync } from "./resync.ts";
import { blankRoom, changeRoom, commitChange, loadOrCreate } from "./room-change.ts";
import { openStayVoicemail } from "./voicemail-stay.ts";

export interface ApplyOutcome {
  /** PBX ops queued by this record. */
  ops: number;
}

const ACTOR = "pms";

function roomOf(rec: FiasRecord): string {
  const rn = (rec.fields.RN ?? "").trim();
  if (!rn) throw new AppError("INVALID", `${rec.type} without a room number (RN)`);
  return checkedRoom(rec, "RN", rn);
}

/** A room number from a record, held to the API's rule: a room the API cannot address is never made. */
function checkedRoom(rec: FiasRecord, field: "RN" | "RO", value: string): string {
  const problem = roomNumberProblem(value, `${rec.type} ${field}`);
  if (problem) throw new AppError("INVALID", problem);
  return value;
}

export async function applyRecord(
  ctx: ServiceContext,
  u: RoomUnit,
  rec: FiasRecord,
  resync: ResyncState,
): Promise<ApplyOutcome> {
  const f = rec.fields;
  const seen = resync.active ? { id: resync.id, reservation: (f["G#"] ?? "").trim() } : undefined;
  switch (rec.type) {
    case "GI": {
      const guest = guestPatchFromFields(f, ctx.pms);
      // The reservation is still checked in elsewhere: the PMS's room move (GC) never reached us.
      // Treat the check-in as that move, so the guest is not in two rooms and keeps wake-ups and lamp.
      const elsewhere = guest.reservation
        ? (await holdersOf(u, guest.reservation)).filter((r) => r !== roomOf(rec))
        : [];
      if (elsewhere.length) return guestChange(ctx, u, { type: "GC", fields: { ...f, RO: elsewhere[0] } }, seen);
      const cos = parseClassOfService(f.CS);
      const online = f.SF === undefined;
      const r = await changeRoom(
        ctx,
        u,
        { room: roomOf(rec), actor: ACTOR, action: "checkin", create: true, resyncMark: seen },
        (room) => checkIn(room, { guest, classOfService: cos, keepStatuses: !online }, ctx.rooms),
      );
      // Only an online GI opens a clean mailbox; a resync GI (SF) must never take messages away.
      if (online && startsNewStay(r.before, r.after)) await openStayVoicemail(ctx, u, r.after.number);
      return { ops: r.ops.length };
    }
    case "GO": {
      const reservation = (f["G#"] ?? "").trim() || undefined;
      const r = await changeRoom(
        ctx,
        u,
        { room: roomOf(rec), actor: ACTOR, action: "checkout", create: true },
        (room) => checkOut(room, reservation, ctx.rooms),
      );
      return { ops: r.ops.length };
    }
    case "GC":
      return guestChange(ctx, u, rec, seen);
    case "RE":
      return roomEquipment(ctx, u, rec);
    case "WR":
    case "WC":
      await wakeupRecord(ctx, u, rec);
      return { ops: 0 };
    case "XL":
    case "XD":
      return message(ctx, u, rec);
    case "DS":
      Object.assign(resync, await startResync(u.tx));
      return { ops: 0 };
    case "DE": {
      const ops = await finishResync(ctx, u, resync);
      Object.assign(resync, { active: false });
      return { ops };
    }
    case "NS":
    case "NE":
      await setMeta(u.tx, "pms.nightAudit", rec.type === "NS" ? "1" : "0");
      u.audit({ actor: ACTOR, action: rec.type === "NS" ? "night-audit-start" : "night-audit-end" });
      return { ops: 0 };
    default:
      throw new AppError("INVALID", `record type ${rec.type} is not handled by a PBX interface`);
  }
}

async function holdersOf(u: RoomUnit, reservation: string): Promise<string[]> {
  // Outside the ingest batch path (replay of single records) the reservation may not be loaded yet.
  await u.prefetchReservations([reservation]);
  return u.holders(reservation);
}

async function guestChange(
  ctx: ServiceContext,
  u: RoomUnit,
  rec: FiasRecord,
  seen: { id: number; reservation: string } | undefined,
): Promise<ApplyOutcome> {
  const f = rec.fields;
  const to = roomOf(rec);
  const from = (f.RO ?? "").trim();
  if (from) checkedRoom(rec, "RO", from);
  const guest = guestPatchFromFields(f, ctx.pms);
  const cos = parseClassOfService(f.CS);
  if (!from || from === to) {
    const r = await changeRoom(
      ctx,
      u,
      { room: to, actor: ACTOR, action: "guest-change", create: true, resyncMark: seen },
      (room) => checkIn(room, { guest, classOfService: cos, keepStatuses: true }, ctx.rooms),
    );
    return { ops: r.ops.length };
  }
  const fromRoom = await loadOrCreate(u, from, true);
  const toRoom = await loadOrCreate(u, to, true);
  const fromBase = fromRoom ?? blankRoom(ctx, from);
  const toBase = toRoom ?? blankRoom(ctx, to);
  const moved = moveGuest(fromBase, toBase, guest, ctx.rooms);
  // GC changes the statuses it carries: a CS sent with the move is the new room's class of service.
  const toAfter = cos === undefined ? moved.to : { ...moved.to, classOfService: cos };
  const opts = { actor: ACTOR, action: "room-move", resyncMark: seen };
  const a = await commitChange(ctx, u, { ...opts, resyncMark: undefined, movedTo: to }, fromRoom, moved.from);
  const b = await commitChange(ctx, u, opts, toRoom, toAfter);
  return { ops: a.ops.length + b.ops.length };
}

async function roomEquipment(ctx: ServiceContext, u: RoomUnit, rec: FiasRecord): Promise<ApplyOutcome> {
  const f = rec.fields;
  const dnd = parseYesNo(f.DN, "DN");
  const lamp = parseYesNo(f.ML, "ML");
  const cos = parseClassOfService(f.CS);
  const rs = f.RS !== undefined && f.RS !== "" ? Number(f.RS) : undefined;
  if (rs !== undefined && (!Number.isInteger(rs) || rs < 0))
    throw new AppError("INVALID", `RS ${JSON.stringify(f.RS)} is not a status code`);
  const r = await changeRoom(
    ctx,
    u,
    { room: roomOf(rec), actor: ACTOR, action: "room-equipment", create: true },
    (room) => {
      const next = { ...room };
      if (dnd !== undefined) next.dnd = dnd;
      if (cos !== undefined) next.classOfService = cos;
      if (lamp !== undefined) next.messageLamp = lamp ? Math.max(1, room.messageLamp) : 0;
      if (rs !== undefined) next.housekeeping = { status: rs, maid: f.ID ?? null, at: ctx.clock.now() };
      return next;
    },
  );
  // The PMS says no messages wait: the ones we counted are gone too.
  if (lamp === false) await retrieveMessages(u.tx, r.after.number, undefined, ctx.clock.now());
  return { ops: r.ops.length };
}

/**
 * WR sets, WC clears a wake-up at DA/TI, hotel time. PMSs in the field also send a time without a
 * date: a WR then means the next such time (today, or tomorrow when it has passed), stored with the
 * date it falls on so its WA carries a DA and echoes TI as received; a WC means every open wake-up
 * of the room at that time of day. A WC without DA and TI clears them all; with DA alone, that day's.
 */
async function wakeupRecord(ctx: ServiceContext, u: RoomUnit, rec: FiasRecord): Promise<void> {
  const f = rec.fields;
  const room = roomOf(rec);
  const now = ctx.clock.now();
  const da = (f.DA ?? "").trim();
  const ti = (f.TI ?? "").trim();
  const time = ti ? parseFiasTime(ti) : undefined;
  if (ti && !time)
    throw new AppError("INVALID", `${rec.type} with TI ${JSON.stringify(f.TI)}: not a time HHMM or HHMMSS`);
  if (rec.type === "WC" && !da && !ti) {
    const n = await cancelOpenWakeups(u.tx, room, now);
    u.audit({ actor: ACTOR, action: "wakeup-cancel-all", room, after: { cancelled: n } });
    if (n) ctx.hooks.wakeupsChanged();
    return;
  }
  if (rec.type === "WC" && (!da || !ti)) {
    if (da && !parseFiasDateTime(da, undefined))
      throw new AppError("INVALID", `WC with invalid DA ${JSON.stringify(f.DA)}`);
    const hit = (await openWakeups(u.tx, room)).filter((w) => (time ? sameTimeOfDay(ctx, w, time) : w.fiasDate === da));
    for (const w of hit) {
      await updateWakeup(u.tx, w.id, { state: "cancelled" }, now);
      u.audit({ actor: ACTOR, action: "wakeup-cancel", room, before: w });
    }
    if (hit.length) ctx.hooks.wakeupsChanged();
    return;
  }
  if (!time) throw new AppError("INVALID", `${rec.type} without a time (TI)`);
  let dueAt: number;
  let fiasDay = da;
  if (da) {
    const local = parseFiasDateTime(da, ti);
    if (!local)
      throw new AppError("INVALID", `${rec.type} with invalid DA/TI ${JSON.stringify(f.DA)}/${JSON.stringify(f.TI)}`);
    dueAt = fromWallTime(local, ctx.timezone);
  } else {
    const next = nextWallTimeOfDay(now, time, ctx.timezone);
    dueAt = next.dueAt;
    fiasDay = fiasDate(next.wall);
  }
  if (!(await u.get(room)))
    await changeRoom(ctx, u, { room, actor: ACTOR, action: "room-created", create: true }, (r) => r);
  if (rec.type === "WR") {
    const { row, created } = await insertWakeup(
      u.tx,
      { room, dueAt, fiasDate: fiasDay, fiasTime: ti, recurrence: "once", source: "pms" },
      now,
    );
    if (created) {
      u.audit({ actor: ACTOR, action: "wakeup-set", room, after: row });
      ctx.hooks.wakeupsChanged();
    }
    return;
  }
  const open = await findOpenWakeup(u.tx, room, dueAt);
  if (open) {
    await updateWakeup(u.tx, open.id, { state: "cancelled" }, now);
    u.audit({ actor: ACTOR, action: "wakeup-cancel", room, before: open });
    ctx.hooks.wakeupsChanged();
  }
}

/** The wake-up's time of day as it was asked for (its TI); seconds count only when the WC sends them. */
function sameTimeOfDay(ctx: ServiceContext, w: WakeupRow, t: FiasTimeOfDay): boolean {
  const at = parseFiasTime(w.fiasTime) ?? toWallTime(w.dueAt, ctx.timezone);
  return at.hour === t.hour && at.minute === t.minute && (!t.withSeconds || at.second === t.second);
}

/**
 * XL (message waiting) and XD (message retrieved), counted by message id so a repeated record does
 * not move the lamp twice. The room comes from RN, or from G# for guest-based interfaces.
 */
async function message(ctx: ServiceContext, u: RoomUnit, rec: FiasRecord): Promise<ApplyOutcome> {
  const f = rec.fields;
  const reservation = (f["G#"] ?? "").trim();
  let room = (f.RN ?? "").trim();
  if (room) checkedRoom(rec, "RN", room);
  if (!room && reservation) room = (await holdersOf(u, reservation))[0] ?? "";
  if (!room) throw new AppError("INVALID", `${rec.type} names no room (RN) and no checked-in reservation (G#)`);
  const messageId = (f.MI ?? "").trim();
  const now = ctx.clock.now();
  let delta: number;
  if (rec.type === "XL") {
    delta = (await addMessage(u.tx, { room, reservation, messageId, text: f.MT ?? "" }, now)) ? 1 : 0;
  } else {
    const known = messageId ? await knownMessage(u.tx, room, messageId) : false;
    const n = await retrieveMessages(u.tx, room, messageId || undefined, now);
    // An id never seen (announced before this appliance was installed) still means one message
    // fewer; an id already retrieved is a repeat and changes nothing.
    if (!messageId) delta = Number.NEGATIVE_INFINITY;
    else delta = known ? -n : -1;
  }
  const action = rec.type === "XL" ? "message-waiting" : "message-retrieved";
  const r = await changeRoom(ctx, u, { room, actor: ACTOR, action, create: true }, (current) => ({
    ...current,
    messageLamp: Math.max(0, current.messageLamp + delta),
  }));
  return { ops: r.ops.length };
}
