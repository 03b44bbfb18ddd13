/**
 * @module services/room-change
 * The one path by which a room changes: load (creating an unknown room), apply a domain rule, stage
 * the new room, the PBX jobs the difference calls for, and the audit row. Everything lands in the
 * caller's transaction through a RoomUnit, so a PMS record, its room changes and its outbox rows
 * commit together.
 */
import { extensionFor } from "../domain/names.ts";
import { opCapability, type PbxOp, pbxOpsFor } from "../domain/pbx-ops.ts";
import { newRoom, type Room } from "../domain/room.ts";
import { roomNumberProblem } from "../domain/room-number.ts";
import { AppError } from "../lib/errors.ts";
import { moveMessages, retrieveMessages } from "../store/messages.ts";
import { RoomUnit } from "../store/room-unit.ts";
import { cancelOpenWakeups, moveOpenWakeups } from "../store/wakeups.ts";
import type { ServiceContext } from "./context.ts";
import { archiveStayVoicemail, moveStayVoicemail, reportVoiceCounts } from "./voicemail-stay.ts";

export interface ChangeOptions {
  room: string;
  actor: string;
  action: string;
  /** Create the room from the extension template when unknown (PMS records do; PATCH does not). */
  create: boolean;
  /** Marks this reservation's stay as listed by the running resync. */
  resyncMark?: { id: number; reservation: string };
}

export interface ChangeResult {
  before: Room | undefined;
  after: Room;
  ops: PbxOp[];
}

/** Runs fn in one transaction with a RoomUnit, flushed before commit. */
export function inRoomTx<T>(ctx: ServiceContext, fn: (u: RoomUnit) => Promise<T>): Promise<T> {
  return ctx.store.tx(async (tx) => {
    const u = new RoomUnit(tx, () => ctx.clock.now());
    const r = await fn(u);
    await u.flush();
    return r;
  });
}

/** A room seen for the first time. Every room is created here, so its number is checked here too. */
export function blankRoom(ctx: ServiceContext, number: string): Room {
  const problem = roomNumberProblem(number);
  if (problem) throw new AppError("INVALID", problem);
  return newRoom(number, extensionFor(number, ctx.rooms.extensionTemplate));
}

export async function loadOrCreate(u: RoomUnit, number: string, create: boolean): Promise<Room | undefined> {
  const room = await u.get(number);
  if (!room && !create) throw new AppError("NOT_FOUND", `room ${number} is not defined`);
  return room;
}

export async function changeRoom(
  ctx: ServiceContext,
  u: RoomUnit,
  opts: ChangeOptions,
  rule: (room: Room) => Room,
): Promise<ChangeResult> {
  const number = opts.room.trim();
  if (!number) throw new AppError("INVALID", "room number is empty");
  const before = await loadOrCreate(u, number, opts.create);
  const after = rule(before ?? blankRoom(ctx, number));
  return await commitChange(ctx, u, opts, before, after);
}

/**
 * Stages an already computed change. A room that empties has its pending wake-ups cancelled, its
 * messages cleared and its voicemail archived, unless its guest moved (`movedTo`), in which case they
 * follow the guest. A change of the voice counts is reported to the PMS (RE VM) in the same commit.
 */
export async function commitChange(
  ctx: ServiceContext,
  u: RoomUnit,
  opts: Omit<ChangeOptions, "create" | "room"> & { movedTo?: string },
  before: Room | undefined,
  after: Room,
): Promise<ChangeResult> {
  const unchanged = before !== undefined && JSON.stringify(before) === JSON.stringify(after);
  if (unchanged) {
    if (opts.resyncMark) u.put(before, opts.resyncMark);
    return { before, after: before, ops: [] };
  }
  u.put(after, opts.resyncMark);
  const ops = pbxOpsFor(before, after, ctx.rooms);
  const links = ctx.pbxLinks();
  if (ops.length && links.length) {
    u.addJobs(
      links.flatMap((link) =>
        ops
          .filter((o) => link.capabilities.includes(opCapability[o.op]))
          .map((o) => ({ link: link.name, op: o.op, room: after.number, payload: o })),
      ),
    );
  }
  u.audit({ actor: opts.actor, action: opts.action, room: after.number, before, after });
  if (before?.occupied && !after.occupied) {
    const now = ctx.clock.now();
    if (opts.movedTo) {
      await moveOpenWakeups(u.tx, after.number, opts.movedTo, now);
      await moveMessages(u.tx, after.number, opts.movedTo);
      await moveStayVoicemail(ctx, u, after.number, opts.movedTo);
    } else {
      await cancelOpenWakeups(u.tx, after.number, now);
      await retrieveMessages(u.tx, after.number, undefined, now);
      await archiveStayVoicemail(ctx, u, after.number);
    }
  }
  await reportVoiceCounts(ctx, u, before, after);
  return { before, after, ops };
}
