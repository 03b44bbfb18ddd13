/**
 * @module services/pms-events-apply
 * What each PMS event (domain/pms-events.ts) does to the room model, whatever protocol brought it.
 * Runs inside the transaction that also marks the inbox row applied, so a frame takes effect exactly
 * once even across a crash. Room changes are staged in the RoomUnit; wake-ups and meta are written
 * straight to its transaction.
 */
import type { PmsEvent } from "../domain/pms-events.ts";
import { checkIn, checkOut, moveGuest, startsNewStay } from "../domain/room.ts";
import { AppError } from "../lib/errors.ts";
import { addMessage, knownMessage, retrieveMessages } from "../store/messages.ts";
import { setMeta } from "../store/meta.ts";
import type { RoomUnit } from "../store/room-unit.ts";
import type { ServiceContext } from "./context.ts";
import { applyWakeupEvent } from "./pms-events-wakeup.ts";
import { applyPostingAnswer } from "./postings.ts";
import { finishResync, type ResyncState, startResync } from "./resync.ts";
import { blankRoom, changeRoom, commitChange, loadOrCreate } from "./room-change.ts";
import { openStayVoicemail } from "./voicemail-stay.ts";

export interface ApplyOutcome {
  /** PBX ops queued by this event. */
  ops: number;
}

const ACTOR = "pms";

type EventOf<K extends PmsEvent["kind"]> = Extract<PmsEvent, { kind: K }>;
type ResyncMark = { id: number; reservation: string } | undefined;

/** Applies the events of one received frame, in order. */
export async function applyEvents(
  ctx: ServiceContext,
  u: RoomUnit,
  events: readonly PmsEvent[],
  resync: ResyncState,
): Promise<ApplyOutcome> {
  let ops = 0;
  for (const ev of events) ops += (await applyEvent(ctx, u, ev, resync)).ops;
  return { ops };
}

export async function applyEvent(
  ctx: ServiceContext,
  u: RoomUnit,
  ev: PmsEvent,
  resync: ResyncState,
): Promise<ApplyOutcome> {
  switch (ev.kind) {
    case "check-in":
      return checkInEvent(ctx, u, ev, markOf(resync, ev.guest.reservation));
    case "check-out": {
      const r = await changeRoom(ctx, u, { room: ev.room, actor: ACTOR, action: "checkout", create: true }, (room) =>
        checkOut(room, ev.reservation, ctx.rooms),
      );
      return { ops: r.ops.length };
    }
    case "guest-change":
      return guestChange(ctx, u, ev, markOf(resync, ev.guest.reservation));
    case "room-status":
      return roomStatus(ctx, u, ev);
    case "wakeup-set":
    case "wakeup-cancel":
      await applyWakeupEvent(ctx, u, ev);
      return { ops: 0 };
    case "message-waiting":
    case "message-deleted":
      return message(ctx, u, ev);
    case "resync-start":
      Object.assign(resync, await startResync(u.tx));
      return { ops: 0 };
    case "resync-end": {
      const ops = await finishResync(ctx, u, resync);
      Object.assign(resync, { active: false });
      return { ops };
    }
    case "night-audit":
      await setMeta(u.tx, "pms.nightAudit", ev.running ? "1" : "0");
      u.audit({ actor: ACTOR, action: ev.running ? "night-audit-start" : "night-audit-end" });
      return { ops: 0 };
    case "posting-answer": {
      const { kind: _kind, via: _via, ...answer } = ev;
      await applyPostingAnswer(ctx, u.tx, answer);
      ctx.hooks.postingAnswered?.(answer);
      return { ops: 0 };
    }
    case "link-state":
      // The link reports its state to the monitor; as an event it changes no room.
      return { ops: 0 };
  }
}

/** Inside a resync every guest event marks its stay as listed (resync.ts). */
function markOf(resync: ResyncState, reservation: string): ResyncMark {
  return resync.active ? { id: resync.id, reservation } : undefined;
}

async function checkInEvent(
  ctx: ServiceContext,
  u: RoomUnit,
  ev: EventOf<"check-in">,
  seen: ResyncMark,
): Promise<ApplyOutcome> {
  const { guest, classOfService } = ev;
  // The reservation is still checked in elsewhere: the PMS's room move never reached us. Treat the
  // check-in as that move, so the guest is not in two rooms and keeps wake-ups and lamp.
  const elsewhere = guest.reservation ? (await holdersOf(u, guest.reservation)).filter((r) => r !== ev.room) : [];
  if (elsewhere.length) return guestChange(ctx, u, { ...ev, kind: "guest-change", fromRoom: elsewhere[0] }, seen);
  const online = !ev.resync;
  const r = await changeRoom(
    ctx,
    u,
    { room: ev.room, actor: ACTOR, action: "checkin", create: true, resyncMark: seen },
    (room) => checkIn(room, { guest, classOfService, keepStatuses: !online }, ctx.rooms),
  );
  // Only an online check-in opens a clean mailbox; a resync one must never take messages away.
  if (online && startsNewStay(r.before, r.after)) await openStayVoicemail(ctx, u, r.after.number);
  return { ops: r.ops.length };
}

async function holdersOf(u: RoomUnit, reservation: string): Promise<string[]> {
  // Outside the ingest batch path (replay of single frames) the reservation may not be loaded yet.
  await u.prefetchReservations([reservation]);
  return u.holders(reservation);
}

async function guestChange(
  ctx: ServiceContext,
  u: RoomUnit,
  ev: EventOf<"guest-change">,
  seen: ResyncMark,
): Promise<ApplyOutcome> {
  const { room: to, guest, classOfService: cos } = ev;
  const from = ev.fromRoom ?? "";
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
  // A guest change sets the statuses it carries: a class of service sent with the move is the new room's.
  const toAfter = cos === undefined ? moved.to : { ...moved.to, classOfService: cos };
  const opts = { actor: ACTOR, action: "room-move", resyncMark: seen };
  const a = await commitChange(ctx, u, { ...opts, resyncMark: undefined, movedTo: to }, fromRoom, moved.from);
  const b = await commitChange(ctx, u, opts, toRoom, toAfter);
  return { ops: a.ops.length + b.ops.length };
}

async function roomStatus(ctx: ServiceContext, u: RoomUnit, ev: EventOf<"room-status">): Promise<ApplyOutcome> {
  const { dnd, messageWaiting: lamp, classOfService: cos, housekeeping: hk } = ev;
  const r = await changeRoom(
    ctx,
    u,
    { room: ev.room, actor: ACTOR, action: "room-equipment", create: true },
    (room) => {
      const next = { ...room };
      if (dnd !== undefined) next.dnd = dnd;
      if (cos !== undefined) next.classOfService = cos;
      if (lamp !== undefined) next.messageLamp = lamp ? Math.max(1, room.messageLamp) : 0;
      if (hk !== undefined) next.housekeeping = { status: hk.status, maid: hk.maid, at: ctx.clock.now() };
      return next;
    },
  );
  // The PMS says no messages wait: the ones we counted are gone too.
  if (lamp === false) await retrieveMessages(u.tx, r.after.number, undefined, ctx.clock.now());
  return { ops: r.ops.length };
}

/**
 * A text message waits, or was delivered: counted by message id so a repeated frame does not move
 * the lamp twice. The room is the event's, or the one holding its reservation (guest-based PMSs).
 */
async function message(
  ctx: ServiceContext,
  u: RoomUnit,
  ev: EventOf<"message-waiting" | "message-deleted">,
): Promise<ApplyOutcome> {
  const { reservation, messageId } = ev;
  let room = ev.room ?? "";
  if (!room && reservation) room = (await holdersOf(u, reservation))[0] ?? "";
  if (!room) {
    const what = ev.via ?? ev.kind;
    throw new AppError("INVALID", `${what} names no room and no checked-in reservation`);
  }
  const now = ctx.clock.now();
  let delta: number;
  if (ev.kind === "message-waiting") {
    delta = (await addMessage(u.tx, { room, reservation, messageId, text: ev.text }, now)) ? 1 : 0;
  } else {
    const known = messageId ? await knownMessage(u.tx, room, messageId) : false;
    const n = await retrieveMessages(u.tx, room, messageId || undefined, now);
    // An id never seen (announced before this appliance was installed) still means one message
    // fewer; an id already retrieved is a repeat and changes nothing.
    if (!messageId) delta = Number.NEGATIVE_INFINITY;
    else delta = known ? -n : -1;
  }
  const action = ev.kind === "message-waiting" ? "message-waiting" : "message-retrieved";
  const r = await changeRoom(ctx, u, { room, actor: ACTOR, action, create: true }, (current) => ({
    ...current,
    messageLamp: Math.max(0, current.messageLamp + delta),
  }));
  return { ops: r.ops.length };
}
