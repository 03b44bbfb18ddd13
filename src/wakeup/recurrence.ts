/**
 * @module wakeup/recurrence
 * Calendar arithmetic of wake-ups in the hotel's zone: the next day a recurring wake-up rings, and
 * the next HH:MM a guest keyed in. Both place wall times with `fromWallTime`, the function the PMS
 * one-offs go through, so every source follows one DST rule (see the scheduler's header for why
 * croner is not used for this).
 */
import {
  addDays,
  fromWallTime,
  isoDate,
  isoWeekday,
  offsetMinutes,
  toWallTime,
  type WallTime,
} from "../lib/zoned-time.ts";
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

const DAY_MS = 86_400_000;

/**
 * The first instant after `now` whose wall time in `tz` is hh:mm:00. A time skipped by a spring-
 * forward gap rings as zoned-time's `fromWallTime` places it; in the autumn overlap the first
 * occurrence still ahead wins (a guest calling at 02:40 after the clocks went back who asks for 02:50
 * means in ten minutes, not tomorrow).
 */
export function nextTimeOfDay(now: number, hh: number, mm: number, tz: string): number {
  return nextWallTimeOfDay(now + 1, { hour: hh, minute: mm, second: 0 }, tz).dueAt;
}

/**
 * The first instant at or after `from` whose wall time in `tz` is the given time of day, with the
 * wall date it falls on (a PMS WR without DA: the WA echoes that date). DST as {@link nextTimeOfDay}.
 */
export function nextWallTimeOfDay(
  from: number,
  t: Pick<WallTime, "hour" | "minute" | "second">,
  tz: string,
): { dueAt: number; wall: WallTime } {
  const today = toWallTime(from, tz);
  // Three days: a zone that skipped a whole calendar day (Samoa, 2011) still yields one.
  for (let d = 0; d < 3; d++) {
    const wall = { ...addDays(today, d), hour: t.hour, minute: t.minute, second: t.second };
    for (const at of occurrences(wall, tz)) if (at >= from) return { dueAt: at, wall };
  }
  throw new Error(`no ${t.hour}:${t.minute}:${t.second} in ${tz} within three days of ${from}`);
}

/** The instants of a wall time: one, or two in an autumn overlap (earlier first). */
function occurrences(wall: WallTime, tz: string): number[] {
  const first = fromWallTime(wall, tz);
  const later = first + (offsetMinutes(first, tz) - offsetMinutes(first + DAY_MS, tz)) * 60_000;
  if (later <= first) return [first];
  const w = toWallTime(later, tz);
  const same = w.day === wall.day && w.hour === wall.hour && w.minute === wall.minute;
  return same ? [first, later] : [first];
}
