/**
 * @module lib/time-of-day
 * The next instant a time of day happens in a zone (a guest keying HH:MM, a PMS wake-up without a
 * date, a nightly job), placed with `fromWallTime` like every other wall time, so all follow one DST
 * rule.
 */
import { addDays, fromWallTime, offsetMinutes, toWallTime, type WallTime } from "./zoned-time.ts";

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
