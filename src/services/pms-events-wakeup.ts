/**
 * @module services/pms-events-wakeup
 * PMS wake-up events: set, or cancel, in hotel time. A set without a date means the next such time
 * (today, or tomorrow when it has passed), stored with the day it falls on so its result carries a
 * date and echoes the time of day as received. A cancel names one wake-up (date and time), a day's
 * (date alone), those at a time of day (time alone) or all of the room's (neither).
 */
import {
  type PmsEvent,
  parseWakeupTimeKey,
  type TimeOfDay,
  wakeupDayKey,
  wakeupTimeKey,
} from "../domain/pms-events.ts";
import { nextWallTimeOfDay } from "../lib/time-of-day.ts";
import { fromWallTime, toWallTime } from "../lib/zoned-time.ts";
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
import { changeRoom } from "./room-change.ts";

const ACTOR = "pms";

export async function applyWakeupEvent(
  ctx: ServiceContext,
  u: RoomUnit,
  ev: Extract<PmsEvent, { kind: "wakeup-set" | "wakeup-cancel" }>,
): Promise<void> {
  const { room, date, time } = ev;
  const now = ctx.clock.now();
  if (ev.kind === "wakeup-cancel" && !date && !time) {
    const n = await cancelOpenWakeups(u.tx, room, now);
    u.audit({ actor: ACTOR, action: "wakeup-cancel-all", room, after: { cancelled: n } });
    if (n) ctx.hooks.wakeupsChanged();
    return;
  }
  if (ev.kind === "wakeup-cancel" && (!date || !time)) {
    const day = date ? wakeupDayKey(date) : "";
    const hit = (await openWakeups(u.tx, room)).filter((w) =>
      time ? sameTimeOfDay(ctx, w, time) : w.fiasDate === day,
    );
    for (const w of hit) {
      await updateWakeup(u.tx, w.id, { state: "cancelled" }, now);
      u.audit({ actor: ACTOR, action: "wakeup-cancel", room, before: w });
    }
    if (hit.length) ctx.hooks.wakeupsChanged();
    return;
  }
  // Both kinds carry a time from here on (a set always does; a cancel with both fields).
  const t = time as TimeOfDay;
  let dueAt: number;
  let day: string;
  if (date) {
    dueAt = fromWallTime({ ...date, hour: t.hour, minute: t.minute, second: t.second }, ctx.timezone);
    day = wakeupDayKey(date);
  } else {
    const next = nextWallTimeOfDay(now, t, ctx.timezone);
    dueAt = next.dueAt;
    day = wakeupDayKey(next.wall);
  }
  if (!(await u.get(room)))
    await changeRoom(ctx, u, { room, actor: ACTOR, action: "room-created", create: true }, (r) => r);
  if (ev.kind === "wakeup-set") {
    const { row, created } = await insertWakeup(
      u.tx,
      { room, dueAt, fiasDate: day, fiasTime: wakeupTimeKey(t), recurrence: "once", source: "pms" },
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

/** The wake-up's time of day as it was asked for; seconds count only when the cancel sends them. */
function sameTimeOfDay(ctx: ServiceContext, w: WakeupRow, t: TimeOfDay): boolean {
  const at = parseWakeupTimeKey(w.fiasTime) ?? toWallTime(w.dueAt, ctx.timezone);
  return at.hour === t.hour && at.minute === t.minute && (!t.withSeconds || at.second === t.second);
}
