/**
 * @module services/rooms
 * Room verbs for the staff API: read, define (installer), check-in/out/move for sites without a
 * PMS, and front-desk/housekeeping changes. They go through the same change path as PMS records.
 */

import { checkIn, checkOut, type GuestPatch, moveGuest, startsNewStay } from "../domain/room.ts";
import { vipLevel } from "../domain/vip.ts";
import { AppError } from "../lib/errors.ts";
import { writeAudit } from "../store/audit.ts";
import type { Queryable } from "../store/db.ts";
import { latestJobPerRoom } from "../store/pbx-jobs.ts";
import { listRooms, loadRoom, markPredefined, roomsByPhoneMac, type StoredRoom, updatePhone } from "../store/rooms.ts";
import { openWakeups } from "../store/wakeups.ts";
import type { ServiceContext } from "./context.ts";
import { MWI_LINK } from "./mwi-link.ts";
import { refusedClaims } from "./phones.ts";
import { enqueuePmsAction } from "./pms-outbox.ts";
import { blankRoom, changeRoom, commitChange, inRoomTx } from "./room-change.ts";
import { type RoomView, roomView } from "./room-view.ts";
import { openStayVoicemail } from "./voicemail-stay.ts";

/** One room; unlike the list, with the phone claims refused for it (what the installer looks for). */
export async function getRoom(ctx: ServiceContext, number: string): Promise<RoomView> {
  return ctx.store.read(async (db) => {
    const s = await loadRoom(db, number);
    if (!s) throw new AppError("NOT_FOUND", `room ${number} is not defined`);
    const [mwi] = await latestJobPerRoom(db, MWI_LINK, number);
    const view = roomView(s, await openWakeups(db, number), ctx.timezone, mwi);
    view.phone.refusedClaims = await refusedClaims(db, number, ctx.timezone);
    return view;
  });
}

export async function getRooms(ctx: ServiceContext): Promise<RoomView[]> {
  return ctx.store.read(async (db) => {
    const all = await listRooms(db);
    const wake = await openWakeups(db);
    const byRoom = Map.groupBy(wake, (w) => w.room);
    const mwi = new Map((await latestJobPerRoom(db, MWI_LINK)).map((j) => [j.room, j]));
    return all.map((s) => roomView(s, byRoom.get(s.room.number) ?? [], ctx.timezone, mwi.get(s.room.number)));
  });
}

export interface DefineRoomInput {
  extension?: string;
  phone?: { address?: string | null; transport?: "udp" | "tcp" | "tls" | null; mac?: string | null };
}

/** Installer: define a room or change its extension and phone. */
export async function defineRoom(ctx: ServiceContext, actor: string, number: string, input: DefineRoomInput) {
  const created = await inRoomTx(ctx, async (u) => {
    const tx = u.tx;
    const existing = await u.stored(number);
    const r = await changeRoom(ctx, u, { room: number, actor, action: "room-define", create: true }, (room) => ({
      ...room,
      extension: input.extension ?? room.extension,
    }));
    // The row must exist before installer columns are set on it.
    await u.flush();
    await markPredefined(tx, number);
    if (input.phone) await setPhone(ctx, tx, actor, number, input.phone, existing?.phone ?? null);
    return { created: !existing, ops: r.ops.length };
  });
  if (created.ops) ctx.hooks.pbxJobsQueued();
  return { created: created.created, room: await getRoom(ctx, number) };
}

/**
 * Staff setting a room's phone: the confirmation phone events cannot give (domain/phone.ts), so
 * this is how a phone is replaced or moved to another room. A MAC is one phone, so a room that
 * had it loses it, address included (its lamp must not reach the phone now in this room); the
 * phone keeps its address in its new room unless one is given, until it reports a new one.
 */
async function setPhone(
  ctx: ServiceContext,
  tx: Queryable,
  actor: string,
  number: string,
  input: NonNullable<DefineRoomInput["phone"]>,
  before: StoredRoom["phone"] | null,
) {
  const now = ctx.clock.now();
  // null clears the MAC; `?.` alone would turn it into undefined, "no change".
  const mac = typeof input.mac === "string" ? input.mac.toLowerCase() : input.mac;
  const phone: { address?: string | null; transport?: string | null; mac?: string | null } = { ...input, mac };
  for (const other of mac ? await roomsByPhoneMac(tx, mac) : []) {
    if (other === number) continue;
    const old = (await loadRoom(tx, other))?.phone;
    if (!old) continue;
    phone.address = phone.address === undefined ? old.address : phone.address;
    phone.transport = phone.transport === undefined ? old.transport : phone.transport;
    const cleared = { address: null, transport: null, mac: null };
    await updatePhone(tx, other, cleared, now);
    await writeAudit(
      tx,
      { actor, action: "room-phone", room: other, before: old, after: { ...cleared, movedTo: number } },
      now,
    );
  }
  await updatePhone(tx, number, phone, now);
  await writeAudit(tx, { actor, action: "room-phone", room: number, before, after: phone }, now);
}

export async function checkInRoom(
  ctx: ServiceContext,
  actor: string,
  number: string,
  guest: GuestPatch & { reservation: string },
  classOfService?: number,
) {
  // The desk may type VIP as the PMS sends it ("0", "N" for none): stored as the one meaning.
  if (guest.vip !== undefined) guest = { ...guest, vip: vipLevel(guest.vip) };
  const ops = await inRoomTx(ctx, async (u) => {
    const r = await changeRoom(ctx, u, { room: number, actor, action: "checkin", create: true }, (room) =>
      checkIn(room, { guest, classOfService, keepStatuses: false }, ctx.rooms),
    );
    if (startsNewStay(r.before, r.after)) await openStayVoicemail(ctx, u, r.after.number);
    return r.ops.length;
  });
  if (ops) ctx.hooks.pbxJobsQueued();
  return getRoom(ctx, number);
}

export async function checkOutRoom(ctx: ServiceContext, actor: string, number: string, reservation?: string) {
  const ops = await inRoomTx(ctx, async (u) => {
    const r = await changeRoom(ctx, u, { room: number, actor, action: "checkout", create: false }, (room) => {
      if (!room.occupied) throw new AppError("CONFLICT", `room ${number} is not occupied`);
      if (reservation && !room.guests.some((g) => g.reservation === reservation)) {
        throw new AppError("NOT_FOUND", `reservation ${reservation} is not in room ${number}`);
      }
      return checkOut(room, reservation, ctx.rooms);
    });
    return r.ops.length;
  });
  if (ops) ctx.hooks.pbxJobsQueued();
  return getRoom(ctx, number);
}

export async function moveRoom(ctx: ServiceContext, actor: string, from: string, to: string, reservation?: string) {
  if (from === to) throw new AppError("INVALID", "a move needs two different rooms");
  const ops = await inRoomTx(ctx, async (u) => {
    const a = await u.get(from);
    if (!a?.occupied) throw new AppError("CONFLICT", `room ${from} is not occupied`);
    const guest = reservation ? a.guests.find((g) => g.reservation === reservation) : a.guests[0];
    if (!guest) throw new AppError("NOT_FOUND", `reservation ${reservation} is not in room ${from}`);
    const b = await u.get(to);
    // A PMS may move a guest into an occupied room (it knows the other guest left); staff must
    // check that guest out first, so nobody disappears from a room without a check-out.
    if (b?.occupied) throw new AppError("CONFLICT", `room ${to} is occupied; check its guests out first`);
    const moved = moveGuest(a, b ?? blankRoom(ctx, to), { reservation: guest.reservation }, ctx.rooms);
    const x = await commitChange(ctx, u, { actor, action: "room-move", movedTo: to }, a, moved.from);
    const y = await commitChange(ctx, u, { actor, action: "room-move" }, b, moved.to);
    return x.ops.length + y.ops.length;
  });
  if (ops) ctx.hooks.pbxJobsQueued();
  return getRoom(ctx, to);
}

export interface RoomPatch {
  dnd?: boolean;
  classOfService?: number;
  messageLamp?: number | boolean;
  housekeeping?: { status: number; maid?: string | null };
}

/** Front desk / housekeeping change; a housekeeping status is also reported to the PMS (RE RS). */
export async function patchRoom(ctx: ServiceContext, actor: string, number: string, patch: RoomPatch) {
  const res = await inRoomTx(ctx, async (u) => {
    const now = ctx.clock.now();
    const r = await changeRoom(ctx, u, { room: number, actor, action: "room-update", create: false }, (room) => {
      const next = { ...room };
      if (patch.dnd !== undefined) next.dnd = patch.dnd;
      if (patch.classOfService !== undefined) next.classOfService = patch.classOfService;
      if (patch.messageLamp !== undefined) {
        next.messageLamp = typeof patch.messageLamp === "boolean" ? (patch.messageLamp ? 1 : 0) : patch.messageLamp;
      }
      if (patch.housekeeping)
        next.housekeeping = { status: patch.housekeeping.status, maid: patch.housekeeping.maid ?? null, at: now };
      return next;
    });
    let queued = false;
    if (patch.housekeeping) {
      const { status, maid } = patch.housekeeping;
      queued = await enqueuePmsAction(ctx, u.tx, {
        kind: "housekeeping",
        room: number,
        status,
        maid: maid ?? undefined,
      });
    }
    return { ops: r.ops.length, queued };
  });
  if (res.ops) ctx.hooks.pbxJobsQueued();
  if (res.queued) ctx.hooks.pmsOutboxQueued();
  return getRoom(ctx, number);
}
