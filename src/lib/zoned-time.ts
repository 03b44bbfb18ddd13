/**
 * @module zoned-time
 * Hotel-local wall-clock time <-> instants, for an IANA zone, with Intl only (no tz library).
 * FIAS dates and times are hotel-local; the API shows instants as ISO 8601 with the hotel's offset.
 */

export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(tz, f);
  }
  return f;
}

export function systemTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

export function toWallTime(ms: number, tz: string): WallTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(new Date(ms))) if (p.type !== "literal") parts[p.type] = Number(p.value);
  return {
    year: parts.year,
    month: parts.month,
    day: parts.day,
    hour: parts.hour,
    minute: parts.minute,
    second: parts.second,
  };
}

/** Offset of the zone from UTC at an instant, in minutes (east positive). */
export function offsetMinutes(ms: number, tz: string): number {
  const w = toWallTime(ms, tz);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60000);
}

/**
 * The instant a wall time names. In a spring-forward gap the earlier offset applies (07:30 that does
 * not exist rings at 08:30 rather than never); in the autumn overlap the first occurrence wins.
 */
export function fromWallTime(w: WallTime, tz: string): number {
  const guess = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  const day = 86_400_000;
  const a = guess - offsetMinutes(guess - day, tz) * 60000;
  const b = guess - offsetMinutes(guess + day, tz) * 60000;
  const matches = (ms: number) => {
    const x = toWallTime(ms, tz);
    return x.day === w.day && x.hour === w.hour && x.minute === w.minute && x.second === w.second;
  };
  const ok = [a, b].filter(matches);
  return ok.length ? Math.min(...ok) : Math.max(a, b);
}

const p2 = (n: number) => String(n).padStart(2, "0");

export function isoWithOffset(ms: number, tz: string): string {
  const w = toWallTime(ms, tz);
  const off = offsetMinutes(ms, tz);
  const sign = off < 0 ? "-" : "+";
  const a = Math.abs(off);
  return `${w.year}-${p2(w.month)}-${p2(w.day)}T${p2(w.hour)}:${p2(w.minute)}:${p2(w.second)}${sign}${p2(Math.floor(a / 60))}:${p2(a % 60)}`;
}

export function isoDate(w: Pick<WallTime, "year" | "month" | "day">): string {
  return `${w.year}-${p2(w.month)}-${p2(w.day)}`;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A real calendar date YYYY-MM-DD. */
export function isIsoDate(s: string): boolean {
  const m = ISO_DATE.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

/** ISO day of the week of a wall date: 1 = Monday … 7 = Sunday. */
export function isoWeekday(w: Pick<WallTime, "year" | "month" | "day">): number {
  return new Date(Date.UTC(w.year, w.month - 1, w.day)).getUTCDay() || 7;
}

/** The wall time `days` later, same time of day. */
export function addDays(w: WallTime, days: number): WallTime {
  const d = new Date(Date.UTC(w.year, w.month - 1, w.day + days));
  return { ...w, year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}
