/**
 * @module services/messages
 * PMS text messages (FIAS XL) waiting for a guest, and their delivery: when the front desk has given
 * a message to the guest, it is marked retrieved, the lamp counts down and the PMS is told (XD).
 */
import { AppError } from "../lib/errors.ts";
import { isoWithOffset } from "../lib/zoned-time.ts";
import { pendingMessages, retrieveMessages } from "../store/messages.ts";
import { loadRoom } from "../store/rooms.ts";
import type { ServiceContext } from "./context.ts";
import { enqueuePmsAction } from "./pms-outbox.ts";
import { changeRoom, inRoomTx } from "./room-change.ts";

export async function listMessages(ctx: ServiceContext, room: string) {
  const rows = await ctx.store.read(async (db) => {
    if (!(await loadRoom(db, room))) throw new AppError("NOT_FOUND", `room ${room} is not defined`);
    return pendingMessages(db, room);
  });
  return rows.map((m) => ({
    messageId: m.messageId,
    reservation: m.reservation,
    text: m.text,
    receivedAt: isoWithOffset(m.receivedAt, ctx.timezone),
  }));
}

export async function markMessageRetrieved(ctx: ServiceContext, actor: string, room: string, messageId: string) {
  await inRoomTx(ctx, async (u) => {
    const now = ctx.clock.now();
    const pending = (await pendingMessages(u.tx, room)).find((m) => m.messageId === messageId);
    if (!pending) throw new AppError("NOT_FOUND", `no message ${messageId} waits in room ${room}`);
    await retrieveMessages(u.tx, room, messageId, now);
    await changeRoom(ctx, u, { room, actor, action: "message-retrieved", create: false }, (r) => ({
      ...r,
      messageLamp: Math.max(0, r.messageLamp - 1),
    }));
    await enqueuePmsAction(
      ctx,
      u.tx,
      { kind: "message-retrieved", room, reservation: pending.reservation, messageId },
      `xd:${pending.id}`,
    );
  });
  ctx.hooks.pbxJobsQueued();
  ctx.hooks.pmsOutboxQueued();
}

/** Voice-mail count for the PMS (FIAS RE VM), reported by the voicemail service when it changes. */
export async function reportVoicemailCount(ctx: ServiceContext, room: string, unread: number, read: number) {
  await ctx.store.tx((tx) => enqueuePmsAction(ctx, tx, { kind: "voicemail-count", room, unread, read }));
  ctx.hooks.pmsOutboxQueued();
}
