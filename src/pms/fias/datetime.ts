/** @module fias/datetime: FIAS DA (YYMMDD) and TI (HHMMSS or HHMM) fields, always hotel-local time. */

export interface LocalDateTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function digits(s: string, from: number, len: number): number {
  let v = 0;
  for (let i = from; i < from + len; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return Number.NaN;
    v = v * 10 + c;
  }
  return v;
}

/** DA=YYMMDD (years 00..99 are 2000..2099), TI=HHMMSS or HHMM. Returns undefined when invalid. */
export function parseFiasDateTime(da: string | undefined, ti: string | undefined): LocalDateTime | undefined {
  if (da === undefined || da.length !== 6) return undefined;
  const year = 2000 + digits(da, 0, 2);
  const month = digits(da, 2, 2);
  const day = digits(da, 4, 2);
  const time = ti ? parseFiasTime(ti) : { hour: 0, minute: 0, second: 0 };
  if (!time) return undefined;
  if (Number.isNaN(year) || Number.isNaN(month) || Number.isNaN(day)) return undefined;
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  return { year, month, day, hour: time.hour, minute: time.minute, second: time.second };
}

export interface FiasTimeOfDay {
  hour: number;
  minute: number;
  second: number;
  /** TI was HHMMSS: the seconds were sent, not assumed. */
  withSeconds: boolean;
}

/** TI=HHMMSS or HHMM, in range; undefined when it is not such a time. */
export function parseFiasTime(ti: string): FiasTimeOfDay | undefined {
  if (ti.length !== 4 && ti.length !== 6) return undefined;
  const hour = digits(ti, 0, 2);
  const minute = digits(ti, 2, 2);
  const withSeconds = ti.length === 6;
  const second = withSeconds ? digits(ti, 4, 2) : 0;
  if (Number.isNaN(hour) || Number.isNaN(minute) || Number.isNaN(second)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  return { hour, minute, second, withSeconds };
}

const p2 = (n: number) => String(n).padStart(2, "0");

export function fiasDate(t: LocalDateTime): string {
  return `${p2(t.year % 100)}${p2(t.month)}${p2(t.day)}`;
}

export function fiasTime(t: LocalDateTime): string {
  return `${p2(t.hour)}${p2(t.minute)}${p2(t.second)}`;
}

/** Local time of the machine (the default when no hotel zone is configured). */
export function systemLocalTime(ms: number): LocalDateTime {
  const d = new Date(ms);
  return {
    year: d.getFullYear(),
    month: d.getMonth() + 1,
    day: d.getDate(),
    hour: d.getHours(),
    minute: d.getMinutes(),
    second: d.getSeconds(),
  };
}
