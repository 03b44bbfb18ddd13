/**
 * @module wakeup/recurrence
 * Calendar arithmetic of wake-ups in the hotel's zone: the next day a recurring wake-up rings, and
 * the next HH:MM a guest keyed in. Both place wall times with `fromWallTime`, the function the PMS
 * one-offs go through, so every source follows one DST rule (see the scheduler's header for why
 * croner is not used for this).
 */
import { addDays, fromWallTime, isoDate, isoWeekday, toWallTime, type WallTime } from "../lib/zoned-time.ts";
import { parseFiasDateTime } from "../pms/fias/datetime.ts";
import type { WakeupRow } from "../store/wakeups.ts";

const ALL_DAYS = [1, 2, 3, 4, 5, 6, 7];

/**
 * The occurrence after `row` of a recurring wake-up: the same hotel-local time (DST handled by the
 * zone) on the next day it rings on (every day for `daily`, the listed ISO days for `weekdays`),
 * moved on until it is after `after`. Undefined for `once`, or when the next day would be after
 * `lastDate` (YYYY-MM-DD, inclusive).
 */
export function nextOccurrence(
  row: Pick<WakeupRow, "dueAt" | "fiasDate" | "fiasTime" | "recurrence" | "weekdays">,
  tz: string,
  after: number,
  lastDate?: string,
): { dueAt: number; wall: WallTime } | undefined {
  if (row.recurrence === "once") return undefined;
  const days = row.recurrence === "weekdays" ? (row.weekdays ?? []) : ALL_DAYS;
  if (!days.length) return undefined;
  let wall: WallTime = parseFiasDateTime(row.fiasDate, row.fiasTime) ?? toWallTime(row.dueAt, tz);
  for (;;) {
    wall = addDays(wall, 1);
    if (lastDate !== undefined && isoDate(wall) > lastDate) return undefined;
    if (!days.includes(isoWeekday(wall))) continue;
    const dueAt = fromWallTime(wall, tz);
    if (dueAt > after) return { dueAt, wall };
  }
}

/** {@link nextOccurrence} of a daily wake-up. */
export function nextDailyOccurrence(
  row: Pick<WakeupRow, "dueAt" | "fiasDate" | "fiasTime">,
  tz: string,
  after: number,
): { dueAt: number; wall: WallTime } {
  return nextOccurrence({ ...row, recurrence: "daily", weekdays: null }, tz, after) as {
    dueAt: number;
    wall: WallTime;
  };
}
