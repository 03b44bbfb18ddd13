/**
 * @module services/wakeups
 * Stored wake-up calls. The dialer that places them is a separate module; it reports its outcome
 * through `recordWakeupResult`, which queues the one WA the PMS gets for that wake-up.
 */

import { AppError } from "../lib/errors.ts";
import { toWallTime } from "../lib/zoned-time.ts";
import { fiasDate, fiasTime } from "../pms/fias/datetime.ts";
import { serializeWakeupAnswer } from "../pms/fias/outgoing.ts";
import { writeAudit } from "../store/audit.ts";
import { enqueueOutbox } from "../store/pms-queue.ts";
import { loadRoom } from "../store/rooms.ts";
import { getWakeup, insertWakeup, openWakeups, updateWakeup } from "../store/wakeups.ts";
import type { ServiceContext } from "./context.ts";
import { wakeupView } from "./room-view.ts";

export async function listWakeups(ctx: ServiceContext, room?: string) {
  const rows = await ctx.store.read((db) => openWakeups(db, room));
  return rows.map((w) => wakeupView(w, ctx.timezone));
}

export async function createWakeup(
  ctx: ServiceContext,
  actor: string,
  input: { room: string; at: number; recurrence?: "once" | "daily"; source?: "api" | "phone" },
) {
  if (input.at <= ctx.clock.now()) throw new AppError("INVALID", "at: the wake-up time is in the past");
  const local = toWallTime(input.at, ctx.timezone);
  const res = await ctx.store.tx(async (tx) => {
    if (!(await loadRoom(tx, input.room))) throw new AppError("NOT_FOUND", `room ${input.room} is not defined`);
    const r = await insertWakeup(
      tx,
      {
        room: input.room,
        dueAt: input.at,
        fiasDate: fiasDate(local),
        fiasTime: fiasTime(local),
        recurrence: input.recurrence ?? "once",
        source: input.source ?? "api",
      },
      ctx.clock.now(),
    );
    if (r.created)
      await writeAudit(tx, { actor, action: "wakeup-set", room: input.room, after: r.row }, ctx.clock.now());
    return r;
  });
  return { created: res.created, wakeup: wakeupView(res.row, ctx.timezone) };
}

export async function cancelWakeup(ctx: ServiceContext, actor: string, id: number) {
  return ctx.store.tx(async (tx) => {
    const w = await getWakeup(tx, id);
    if (!w) throw new AppError("NOT_FOUND", `wake-up ${id} does not exist`);
    if (w.state !== "pending") throw new AppError("CONFLICT", `wake-up ${id} is ${w.state}, it cannot be cancelled`);
    await updateWakeup(tx, id, { state: "cancelled" }, ctx.clock.now());
    await writeAudit(tx, { actor, action: "wakeup-cancel", room: w.room, before: w }, ctx.clock.now());
    return wakeupView({ ...w, state: "cancelled" }, ctx.timezone);
  });
}

/** FIAS AS codes a wake-up can end with. */
export type WakeupStatus = "OK" | "NR" | "BY" | "UR" | "RY";

/**
 * Final outcome of a wake-up. Exactly one WA per wake-up (per day for a daily one) reaches the PMS:
 * the outbox dedupe key makes a second report a no-op.
 */
export async function recordWakeupResult(ctx: ServiceContext, id: number, status: WakeupStatus, attempts: number) {
  const queued = await ctx.store.tx(async (tx) => {
    const w = await getWakeup(tx, id);
    if (!w) throw new AppError("NOT_FOUND", `wake-up ${id} does not exist`);
    // The first final result is the one the PMS heard; a late second report must not rewrite history.
    if (w.state === "done" || w.state === "failed") return false;
    const now = ctx.clock.now();
    await updateWakeup(tx, id, { state: status === "OK" ? "done" : "failed", result: status, attempts }, now);
    await writeAudit(
      tx,
      { actor: "wakeup", action: "wakeup-result", room: w.room, after: { id, status, attempts } },
      now,
    );
    if (w.source !== "pms") return false;
    return enqueueOutbox(
      tx,
      {
        type: "WA",
        record: serializeWakeupAnswer(w.room, w.fiasDate, w.fiasTime, status),
        dedupeKey: `wa:${id}:${w.fiasDate}`,
      },
      now,
    );
  });
  if (queued) ctx.hooks.pmsOutboxQueued();
  return queued;
}
