/**
 * @module services/pms-apply
 * What each FIAS record does to the room model. Runs inside the transaction that also marks the
 * inbox row applied, so a record takes effect exactly once even across a crash.
 */
import { extensionFor } from "../domain/names.ts";
import { checkIn, checkOut, moveGuest, newRoom, type Room } from "../domain/room.ts";
import { AppError } from "../lib/errors.ts";
import { fromWallTime } from "../lib/zoned-time.ts";
import { parseFiasDateTime } from "../pms/fias/datetime.ts";
import type { FiasRecord } from "../pms/fias/record.ts";
import { writeAudit } from "../store/audit.ts";
import type { Tx } from "../store/db.ts";
import { setMeta } from "../store/meta.ts";
import { loadRoom } from "../store/rooms.ts";
import { cancelOpenWakeups, findOpenWakeup, insertWakeup, moveOpenWakeups, updateWakeup } from "../store/wakeups.ts";
import type { ServiceContext } from "./context.ts";
import { guestPatchFromFields, parseClassOfService, parseYesNo } from "./fias-guest.ts";
import { finishResync, type ResyncState, startResync } from "./resync.ts";
import { changeRoom, commitChange, loadOrCreate } from "./room-change.ts";

export interface ApplyOutcome {
  /** PBX ops queued by this record. */
  ops: number;
}

const ACTOR = "pms";

function roomOf(rec: FiasRecord): string {
  const rn = (rec.fields.RN ?? "").trim();
  if (!rn) throw new AppError("INVALID", `${rec.type} without a room number (RN)`);
  return rn;
}

export async function applyRecord(
  ctx: ServiceContext,
  tx: Tx,
  rec: FiasRecord,
  resync: ResyncState,
): Promise<ApplyOutcome> {
  const f = rec.fields;
  const seen = resync.active ? { id: resync.id, reservation: (f["G#"] ?? "").trim() } : undefined;
  switch (rec.type) {
    case "GI": {
      const guest = guestPatchFromFields(f);
      const cos = parseClassOfService(f.CS);
      const r = await changeRoom(
        ctx,
        tx,
        { room: roomOf(rec), actor: ACTOR, action: "checkin", create: true, resyncMark: seen },
        (room) => checkIn(room, { guest, classOfService: cos, keepStatuses: f.SF !== undefined }, ctx.rooms),
      );
      return { ops: r.ops.length };
    }
    case "GO": {
      const reservation = (f["G#"] ?? "").trim() || undefined;
      const r = await changeRoom(
        ctx,
        tx,
        { room: roomOf(rec), actor: ACTOR, action: "checkout", create: true },
        (room) => checkOut(room, reservation, ctx.rooms),
      );
      if (r.before?.occupied && !r.after.occupied) await cancelOpenWakeups(tx, r.after.number, ctx.clock.now());
      return { ops: r.ops.length };
    }
    case "GC":
      return guestChange(ctx, tx, rec, seen);
    case "RE":
      return roomEquipment(ctx, tx, rec);
    case "WR":
    case "WC":
      await wakeupRecord(ctx, tx, rec);
      return { ops: 0 };
    case "XL":
    case "XD": {
      const r = await changeRoom(
        ctx,
        tx,
        {
          room: roomOf(rec),
          actor: ACTOR,
          action: rec.type === "XL" ? "message-waiting" : "message-retrieved",
          create: true,
        },
        (room) => ({
          ...room,
          messageLamp: rec.type === "XL" ? room.messageLamp + 1 : Math.max(0, room.messageLamp - 1),
        }),
      );
      return { ops: r.ops.length };
    }
    case "DS":
      Object.assign(resync, await startResync(tx, ctx.clock.now()));
      return { ops: 0 };
    case "DE": {
      const ops = await finishResync(ctx, tx, resync);
      Object.assign(resync, { active: false });
      return { ops };
    }
    case "NS":
    case "NE":
      await setMeta(tx, "pms.nightAudit", rec.type === "NS" ? "1" : "0");
      await writeAudit(
        tx,
        { actor: ACTOR, action: rec.type === "NS" ? "night-audit-start" : "night-audit-end" },
        ctx.clock.now(),
      );
      return { ops: 0 };
    default:
      throw new AppError("INVALID", `record type ${rec.type} is not handled by a PBX interface`);
  }
}

async function guestChange(
  ctx: ServiceContext,
  tx: Tx,
  rec: FiasRecord,
  seen: { id: number; reservation: string } | undefined,
): Promise<ApplyOutcome> {
  const f = rec.fields;
  const to = roomOf(rec);
  const from = (f.RO ?? "").trim();
  const guest = guestPatchFromFields(f);
  if (!from || from === to) {
    const cos = parseClassOfService(f.CS);
    const r = await changeRoom(
      ctx,
      tx,
      { room: to, actor: ACTOR, action: "guest-change", create: true, resyncMark: seen },
      (room) => checkIn(room, { guest, classOfService: cos, keepStatuses: true }, ctx.rooms),
    );
    return { ops: r.ops.length };
  }
  const fromRoom = await loadOrCreate(ctx, tx, from, true);
  const toRoom = await loadOrCreate(ctx, tx, to, true);
  const fromBase = fromRoom ?? emptyRoom(ctx, from);
  const toBase = toRoom ?? emptyRoom(ctx, to);
  const moved = moveGuest(fromBase, toBase, guest, ctx.rooms);
  const opts = { actor: ACTOR, action: "room-move", resyncMark: seen };
  const a = await commitChange(ctx, tx, { ...opts, resyncMark: undefined }, fromRoom, moved.from);
  const b = await commitChange(ctx, tx, opts, toRoom, moved.to);
  if (!moved.from.occupied) await moveOpenWakeups(tx, from, to, ctx.clock.now());
  return { ops: a.ops.length + b.ops.length };
}

function emptyRoom(ctx: ServiceContext, number: string): Room {
  return newRoom(number, extensionFor(number, ctx.rooms.extensionTemplate));
}

async function roomEquipment(ctx: ServiceContext, tx: Tx, rec: FiasRecord): Promise<ApplyOutcome> {
  const f = rec.fields;
  const dnd = parseYesNo(f.DN, "DN");
  const lamp = parseYesNo(f.ML, "ML");
  const cos = parseClassOfService(f.CS);
  const rs = f.RS !== undefined && f.RS !== "" ? Number(f.RS) : undefined;
  if (rs !== undefined && (!Number.isInteger(rs) || rs < 0))
    throw new AppError("INVALID", `RS ${JSON.stringify(f.RS)} is not a status code`);
  const r = await changeRoom(
    ctx,
    tx,
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
  return { ops: r.ops.length };
}

async function wakeupRecord(ctx: ServiceContext, tx: Tx, rec: FiasRecord): Promise<void> {
  const f = rec.fields;
  const room = roomOf(rec);
  const now = ctx.clock.now();
  if (rec.type === "WC" && !f.DA && !f.TI) {
    const n = await cancelOpenWakeups(tx, room, now);
    await writeAudit(tx, { actor: ACTOR, action: "wakeup-cancel-all", room, after: { cancelled: n } }, now);
    return;
  }
  const local = parseFiasDateTime(f.DA, f.TI);
  if (!local)
    throw new AppError("INVALID", `${rec.type} with invalid DA/TI ${JSON.stringify(f.DA)}/${JSON.stringify(f.TI)}`);
  const dueAt = fromWallTime(local, ctx.timezone);
  if (!(await loadRoom(tx, room)))
    await changeRoom(ctx, tx, { room, actor: ACTOR, action: "room-created", create: true }, (r) => r);
  if (rec.type === "WR") {
    const { row, created } = await insertWakeup(
      tx,
      { room, dueAt, fiasDate: f.DA, fiasTime: f.TI, recurrence: "once", source: "pms" },
      now,
    );
    if (created) await writeAudit(tx, { actor: ACTOR, action: "wakeup-set", room, after: row }, now);
    return;
  }
  const open = await findOpenWakeup(tx, room, dueAt);
  if (open) {
    await updateWakeup(tx, open.id, { state: "cancelled" }, now);
    await writeAudit(tx, { actor: ACTOR, action: "wakeup-cancel", room, before: open }, now);
  }
}
