/**
 * @module services/voicemail-stay
 * The guest mailbox follows the stay (README "Guest voicemail"): a room's box is its messages of the
 * current stay. The room rules (domain/room.ts) set the voice counts at check-in, check-out and move;
 * these steps bring the message rows and the PIN along in the same transaction, called from the one
 * room change path (room-change.ts) and from online check-ins. They never call back into
 * room-change.ts (it calls them).
 *
 * - online check-in opening a new stay: whatever is left in the box is archived (there should be
 *   nothing: the last check-out archived it) and the PIN is reset;
 * - last guest out (GO, or a resync that no longer lists the room): the box is archived;
 * - last guest moved (GC with RO): messages and PIN go to the new room;
 * - resync GI (SF) and GC never archive: a resync must not take a guest's messages away.
 */
import type { Room } from "../domain/room.ts";
import type { RoomUnit } from "../store/room-unit.ts";
import { archiveRoomVoicemail, moveBox, moveRoomVoicemail, resetBox } from "../store/voicemail.ts";
import type { ServiceContext } from "./context.ts";
import { enqueuePmsAction } from "./pms-outbox.ts";

/** The last guest left: the stay's messages (a recording in progress too) go to the archive. */
export async function archiveStayVoicemail(ctx: ServiceContext, u: RoomUnit, room: string): Promise<number> {
  const rows = await archiveRoomVoicemail(u.tx, room, ctx.clock.now());
  await resetBox(u.tx, room);
  if (rows.length) {
    ctx.logger.info("voicemail archived with the stay", { room, messages: rows.length });
    ctx.hooks.voicemailArchived?.();
  }
  return rows.length;
}

/**
 * The last guest moved from `from` to `to`: the box follows. Runs while `to` still holds its state
 * before the move (both callers commit the old room first): a vacant destination's leftovers are
 * archived first, so they never join the moving guest's box.
 */
export async function moveStayVoicemail(ctx: ServiceContext, u: RoomUnit, from: string, to: string): Promise<void> {
  const dest = await u.get(to);
  if (!dest?.occupied) await archiveLeftovers(ctx, u, to);
  const n = await moveRoomVoicemail(u.tx, from, to);
  await moveBox(u.tx, from, to, ctx.clock.now());
  if (n) ctx.logger.info("voicemail moved with the guest", { from, to, messages: n });
}

/**
 * An online check-in opened a new stay (domain `startsNewStay`): the box starts clean. GI with SF and
 * GC are never passed here.
 */
export async function openStayVoicemail(ctx: ServiceContext, u: RoomUnit, room: string): Promise<void> {
  await archiveLeftovers(ctx, u, room);
  await resetBox(u.tx, room);
}

async function archiveLeftovers(ctx: ServiceContext, u: RoomUnit, room: string): Promise<void> {
  const rows = await archiveRoomVoicemail(u.tx, room, ctx.clock.now());
  if (!rows.length) return;
  // A vacant room's box is archived at the check-out; finding messages here means a check-out was
  // missed. They belong to the guest before, never to the one arriving.
  ctx.logger.warn("voicemail left in a room before a new stay; archived", { room, messages: rows.length });
  ctx.hooks.voicemailArchived?.();
}

/**
 * After every change of a room's voice counts the PMS hears them once (FIAS `RE|RN|VMnnoo|`),
 * through the persisted outbox in the same transaction as the change.
 */
export async function reportVoiceCounts(
  ctx: ServiceContext,
  u: RoomUnit,
  before: Room | undefined,
  after: Room,
): Promise<void> {
  const was = before ? [before.voiceNew, before.voiceSaved] : [0, 0];
  if (was[0] === after.voiceNew && was[1] === after.voiceSaved) return;
  const action = {
    kind: "voicemail-count",
    room: after.number,
    unread: after.voiceNew,
    read: after.voiceSaved,
  } as const;
  if (await enqueuePmsAction(ctx, u.tx, action)) ctx.hooks.pmsOutboxQueued();
}
