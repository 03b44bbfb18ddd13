/**
 * @module logger
 * JSON-lines logger. Secrets are masked by key name before anything is written, so a config or a
 * request body can be logged without leaking a password or token.
 */

export type Level = "debug" | "info" | "warn" | "error";
const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  child(fields: Fields): Logger;
}

export type Sink = (line: string, level: Level) => void;

const SECRET_KEYS = /pass(word)?|secret|token|authorization|cookie|apikey|api_key|notifykey/i;

export function maskSecrets(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v, depth + 1));
  if (value instanceof Error) return { name: value.name, message: value.message };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEYS.test(k) && v !== null && v !== undefined && v !== "" ? "***" : maskSecrets(v, depth + 1);
  }
  return out;
}

const stderrSink: Sink = (line) => {
  process.stderr.write(`${line}\n`);
};

export function createLogger(opts: { level?: Level; sink?: Sink; fields?: Fields } = {}): Logger {
  const min = order[opts.level ?? "info"];
  const sink = opts.sink ?? stderrSink;
  const base = opts.fields ?? {};
  const write = (level: Level, msg: string, fields?: Fields) => {
    if (order[level] < min) return;
    const rec = {
      t: new Date().toISOString(),
      level,
      msg,
      ...base,
      ...(fields ? (maskSecrets(fields) as Fields) : {}),
    };
    sink(JSON.stringify(rec), level);
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    child: (f) => createLogger({ level: opts.level, sink, fields: { ...base, ...f } }),
  };
}

/** A logger that keeps lines in memory; for tests. */
export function memoryLogger(): Logger & { lines: Fields[] } {
  const lines: Fields[] = [];
  const logger = createLogger({ level: "debug", sink: (line) => lines.push(JSON.parse(line)) });
  return Object.assign(logger, { lines });
}

export const silentLogger: Logger = createLogger({ sink: () => {} });
