/**
 * @module sim/cli-args
 * The flag loop every `bellhop sim …` command shares. A command lists its flags once, each with the
 * field it sets and how its value is read (`["listen", port]`), or a handler for a flag that does
 * more (`--set NAME=VALUE`); `parseFlags` walks the command line in order. An unknown flag, a flag
 * without its value or a value its reader refuses is a UsageError (cli-io.ts prints it with the
 * usage, exit 2), in the same words in every simulator.
 */
import { UsageError } from "./cli-io.ts";

/** The flag being read, and its value. */
export interface FlagValue {
  readonly flag: string;
  /** The argument after the flag; a UsageError when there is none. */
  next(): string;
}

/** Reads one flag's value (nothing, for a switch). */
export type Read<T> = (v: FlagValue) => T;

/** A flag: the field of `A` it sets and how its value is read, or a handler that does the rest. */
export type Flag<A> = { [K in keyof A]-?: readonly [K, Read<A[K]>] }[keyof A] | ((v: FlagValue) => void);

/** Applies each flag of `argv`, in order, to `into`. */
export function parseFlags<A extends object>(argv: readonly string[], into: A, flags: Record<string, Flag<A>>): void {
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] ?? "";
    const spec = Object.hasOwn(flags, flag) ? flags[flag] : undefined;
    if (spec === undefined) throw new UsageError(`unknown argument "${flag}"`);
    const v: FlagValue = {
      flag,
      next: () => {
        const value = argv[++i];
        if (value === undefined) throw new UsageError(`${flag} needs a value`);
        return value;
      },
    };
    if (typeof spec === "function") spec(v);
    else {
      const [key, read] = spec;
      into[key] = read(v);
    }
  }
}

/** The value as written. */
export const text: Read<string> = (v) => v.next();

/** The value as a number (NaN when it is none: check it). */
export const number: Read<number> = (v) => Number(v.next());

/** A switch: the flag alone sets `value`. */
export function set<T>(value: T): Read<T> {
  return () => value;
}

/** A whole number from `min` (to `max`). */
export function int(min: number, max = Number.MAX_SAFE_INTEGER): Read<number> {
  return (v) => {
    const n = Number(v.next());
    if (!Number.isInteger(n) || n < min || n > max) {
      const to = max === Number.MAX_SAFE_INTEGER ? "" : ` to ${max}`;
      throw new UsageError(`${v.flag} wants a whole number from ${min}${to}`);
    }
    return n;
  };
}

/** A port to listen on, 0 (any free port) to 65535. */
export const port: Read<number> = (v) => {
  const s = v.next();
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${v.flag}: invalid port "${s}"`);
  return n;
};

/** `HOST:PORT` to dial (the port as `port` reads it; an IPv6 host keeps its colons). */
export const hostPort: Read<{ host: string; port: number }> = (v) => {
  const s = v.next();
  const colon = s.lastIndexOf(":");
  if (colon <= 0 || colon === s.length - 1) throw new UsageError(`${v.flag} wants HOST:PORT, got "${s}"`);
  return { host: s.slice(0, colon), port: port({ flag: v.flag, next: () => s.slice(colon + 1) }) };
};

/** An http or https URL. */
export const url: Read<string> = (v) => {
  const s = v.next();
  if (!URL.canParse(s) || !/^https?:$/.test(new URL(s).protocol)) throw new UsageError(`${v.flag}: not an http URL`);
  return s;
};

/** One of `choices`. */
export function oneOf<T extends string>(...choices: T[]): Read<T> {
  return (v) => {
    const s = v.next();
    if (!(choices as string[]).includes(s)) throw new UsageError(`${v.flag}: ${choices.join(" or ")}`);
    return s as T;
  };
}

/** `read`'s value when `ok` holds, else a UsageError saying `why`. */
export function checked<T>(read: Read<T>, ok: (value: T) => boolean, why: string): Read<T> {
  return (v) => {
    const value = read(v);
    if (!ok(value)) throw new UsageError(why);
    return value;
  };
}
