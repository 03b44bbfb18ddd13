/**
 * @module services/room-change
 * The one path by which a room changes: load (creating an unknown room), apply a domain rule, save,
 * queue the PBX jobs the difference calls for, audit. Callers supply the transaction so a PMS record,
 * its room changes and its outbox rows commit together.
 */
import { extensionFor } from "../domain/names.ts";
import { type PbxOp, pbxOpsFor } from "../domain/pbx-ops.ts";
import { newRoom, type Room } from "../domain/room.ts";
import { AppError } from "../lib/errors.ts";
import { writeAudit } from "../store/audit.ts";
import type { Tx } from "../store/db.ts";
import { insertJobs } from "../store/pbx-jobs.ts";
import { loadRoom, saveRoom } from "../store/rooms.ts";
import type { ServiceContext } from "./context.ts";

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

export async function loadOrCreate(ctx: ServiceContext, tx: Tx, number: string, create: boolean) {
  const stored = await loadRoom(tx, number);
  if (stored) return stored.room;
  if (!create) throw new AppError("NOT_FOUND", `room ${number} is not defined`);
  return undefined;
}

export async function changeRoom(
  ctx: ServiceContext,
  tx: Tx,
  opts: ChangeOptions,
  rule: (room: Room) => Room,
): Promise<ChangeResult> {
  const number = opts.room.trim();
  if (!number) throw new AppError("INVALID", "room number is empty");
  const before = await loadOrCreate(ctx, tx, number, opts.create);
  const base = before ?? newRoom(number, extensionFor(number, ctx.rooms.extensionTemplate));
  const after = rule(base);
  return commitChange(ctx, tx, opts, before, after);
}

/** Writes an already computed change (room moves compute two rooms at once). */
export async function commitChange(
  ctx: ServiceContext,
  tx: Tx,
  opts: Omit<ChangeOptions, "create" | "room">,
  before: Room | undefined,
  after: Room,
): Promise<ChangeResult> {
  const now = ctx.clock.now();
  const unchanged = before !== undefined && JSON.stringify(before) === JSON.stringify(after);
  if (unchanged && opts.resyncMark === undefined) return { before, after, ops: [] };
  await saveRoom(tx, before, after, now, opts.resyncMark);
  if (unchanged) return { before, after, ops: [] };
  const ops = pbxOpsFor(before, after, ctx.rooms);
  const links = ctx.pbxLinks();
  if (ops.length && links.length) {
    await insertJobs(
      tx,
      links.flatMap((link) => ops.map((o) => ({ link, op: o.op, room: after.number, payload: o }))),
      now,
    );
  }
  await writeAudit(tx, { actor: opts.actor, action: opts.action, room: after.number, before, after }, now);
  return { before, after, ops };
}
