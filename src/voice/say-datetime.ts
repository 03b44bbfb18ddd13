/**
 * @module voice/say-datetime
 * Times and voicemail envelopes as prompts, in the hotel's wall time. English speaks a 12-hour clock
 * ("seven thirty P.M.", "seven o'clock P.M.", "seven oh five A.M."); German, French, Spanish and
 * Italian the 24-hour clock as it is read out there: "neunzehn Uhr dreißig", "dix-neuf heures
 * trente", "las diecinueve y treinta", "diciannove e trenta" (after "alle ore"). The hour words carry
 * what differs per language (Uhr, heures, the Spanish article, feminine "une"/"una" for one o'clock),
 * so the same sequence of ids works for all four 24-hour languages.
 */

import { isoWeekday, toWallTime, type WallTime } from "../lib/zoned-time.ts";
import type { PromptId, PromptLanguage } from "./prompts.ts";
import { numberPrompts } from "./say-number.ts";

/** Messages at most this many calendar days old are dated by their weekday, older ones by month and day. */
const WEEKDAY_DAYS = 6;

/** The prompts for hour:minute (24-hour input) in `lang`, without a preposition. */
export function timePrompts(lang: PromptLanguage, hour: number, minute: number): PromptId[] {
  const h = wrap(hour, 24);
  const m = wrap(minute, 60);
  const out: PromptId[] = [`hour-${h}` as PromptId];
  if (lang === "en") {
    if (m === 0) out.push("time-oclock");
    else if (m < 10) out.push("time-oh", ...numberPrompts(lang, m));
    else out.push(...numberPrompts(lang, m));
    out.push(h < 12 ? "time-am" : "time-pm");
    return out;
  }
  if (m === 0) return out;
  // "las diecinueve y treinta", "diciannove e trenta"; German and French put the minutes straight after.
  if (lang === "es" || lang === "it") out.push("and");
  out.push(...numberPrompts(lang, m));
  return out;
}

/** The prompts for a day of a month, in the order the language says them ("December sixth", "sechsten Dezember"). */
export function datePrompts(lang: PromptLanguage, month: number, day: number): PromptId[] {
  const monthId = `month-${clamp(month, 1, 12)}` as PromptId;
  const dayId = `date-day-${clamp(day, 1, 31)}` as PromptId;
  return lang === "en" ? [monthId, dayId] : [dayId, monthId];
}

export interface Envelope {
  /** The message's number as the caller hears it (1 = the first). */
  index: number;
  /** When it was received (ms since the epoch). */
  receivedAt: number;
  /** Now (ms since the epoch): "today" and "yesterday" are counted from it. */
  now: number;
  /** IANA zone of the hotel; an unknown zone reads as UTC rather than failing the call. */
  timezone: string;
}

/**
 * "Message N, received today / yesterday / on <weekday> (2–6 days ago) / on <month> <day> (older) at
 * <time>". Days are calendar days in the hotel's zone, so a message from 23:50 is "yesterday" ten
 * minutes later, and a DST change never moves one across a day. A time ahead of `now` (a clock step)
 * counts as today.
 */
export function envelopePrompts(lang: PromptLanguage, e: Envelope): PromptId[] {
  const received = wallTime(e.receivedAt, e.timezone);
  const today = wallTime(e.now, e.timezone);
  const days = calendarDays(received, today);
  const out: PromptId[] = ["env-message", ...numberPrompts(lang, e.index)];
  if (days <= 0) out.push("env-today");
  else if (days === 1) out.push("env-yesterday");
  else if (days <= WEEKDAY_DAYS) out.push("env-on-weekday", `weekday-${isoWeekday(received)}` as PromptId);
  else out.push("env-on-date", ...datePrompts(lang, received.month, received.day));
  out.push("at", ...timePrompts(lang, received.hour, received.minute));
  return out;
}

function wallTime(ms: number, tz: string): WallTime {
  try {
    return toWallTime(ms, tz);
  } catch {
    return toWallTime(ms, "UTC");
  }
}

/** Whole calendar days from `a` to `b` (dates only; the wall clock ignores DST). */
function calendarDays(a: WallTime, b: WallTime): number {
  return Math.round((Date.UTC(b.year, b.month - 1, b.day) - Date.UTC(a.year, a.month - 1, a.day)) / 86_400_000);
}

function wrap(n: number, mod: number): number {
  const i = Number.isFinite(n) ? Math.trunc(n) : 0;
  return ((i % mod) + mod) % mod;
}

function clamp(n: number, lo: number, hi: number): number {
  return Number.isFinite(n) ? Math.min(hi, Math.max(lo, Math.trunc(n))) : lo;
}
