/**
 * @module cti/phones-file
 * The 24U Phone Companion Server configuration file (`companion.phonesFile`), read for its phones:
 * `key = value` lines, `#` comments, one `phone=<extension>@<phone IP> <phone config file> [<http
 * user> <http password>]` line per phone (seed 004). The other keys are the 24U server's own:
 * `serverPort` is reported but `companion.listen` decides the port; `serverLogFilePath` and the
 * `provider*` keys (RawCommand's provider REST API, which the appliance does not proxy) are ignored;
 * unknown keys are ignored too. The phone configuration file named on each line is not read (its
 * format is not public): the appliance drives SNOM phones with its own requests.
 *
 * The seed says both "re-read every 5 seconds" and "restart the server after a change": the file is
 * re-read every 5 s and phone changes apply at once. A file that does not parse (or cannot be read)
 * leaves the last good phones in force and is logged once per version of the file.
 */
import { readFile, stat } from "node:fs/promises";
import { isIP } from "node:net";
import type { Clock, TimerHandle } from "../lib/clock.ts";
import { errorMessage } from "../lib/errors.ts";
import type { Logger } from "../lib/logger.ts";
import { isDevice } from "./protocol.ts";

export interface FilePhone {
  extension: string;
  /** As written after the `@`: `IP`, `IP:port` or `[IPv6]:port`. */
  host: string;
  ip: string;
  /** The phone configuration file named on the line (kept, not read). */
  configFile: string;
  user?: string;
  password?: string;
}

export interface PhonesFileContent {
  phones: FilePhone[];
  /** `serverPort`, when the file sets one (informational: `companion.listen` decides). */
  serverPort?: number;
  /** Keys present that the appliance does not use (provider*, serverLogFilePath, unknown ones). */
  ignoredKeys: string[];
}

export type PhonesFileParse = { ok: true; content: PhonesFileContent } | { ok: false; error: string };

/** Larger files are refused (the seed's file is a few kB; a thousand phones are ~50 kB). */
export const MAX_PHONES_FILE_BYTES = 1024 * 1024;

/** `IP`, `IP:port`, `[IPv6]`, `[IPv6]:port` or a bare IPv6 → its IP, or undefined. */
export function hostIp(host: string): string | undefined {
  if (isIP(host) !== 0) return host;
  if (host.startsWith("[")) {
    const end = host.indexOf("]");
    if (end < 0) return undefined;
    const ip = host.slice(1, end);
    const rest = host.slice(end + 1);
    if (isIP(ip) !== 6) return undefined;
    if (rest === "") return ip;
    return rest.startsWith(":") && validPort(rest.slice(1)) ? ip : undefined;
  }
  const colon = host.lastIndexOf(":");
  if (colon < 0) return undefined;
  const ip = host.slice(0, colon);
  return isIP(ip) === 4 && validPort(host.slice(colon + 1)) ? ip : undefined;
}

function validPort(text: string): boolean {
  if (!/^[0-9]{1,5}$/.test(text)) return false;
  const n = Number(text);
  return n >= 1 && n <= 65535;
}

function parsePhone(value: string): FilePhone | string {
  const t = value.split(/[ \t]+/).filter((s) => s.length > 0);
  if (t.length !== 2 && t.length !== 4)
    return t.length === 3
      ? "a user name without a password (expected EXT@IP cfgfile [user password])"
      : "expected EXT@IP cfgfile [user password]";
  const target = t[0] as string;
  const at = target.indexOf("@");
  if (at <= 0) return `${JSON.stringify(target)} is not EXT@IP`;
  const extension = target.slice(0, at);
  const host = target.slice(at + 1);
  if (!isDevice(extension)) return `${JSON.stringify(extension)} is not an extension`;
  const ip = hostIp(host);
  if (!ip) return `${JSON.stringify(host)} is not an IP address (optionally with :port)`;
  const phone: FilePhone = { extension, host, ip, configFile: t[1] as string };
  if (t.length === 4) {
    phone.user = t[2] as string;
    phone.password = t[3] as string;
  }
  return phone;
}

/** Parses the file's text. Errors name the line (passwords are never quoted back). */
export function parsePhonesFile(text: string): PhonesFileParse {
  const phones: FilePhone[] = [];
  const seen = new Map<string, number>();
  const ignored = new Set<string>();
  let serverPort: number | undefined;
  const lines = text.replace(/^\uFEFF/, "").split(/\r\n|\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const line = (lines[i] as string).trim();
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) return { ok: false, error: `line ${n}: expected key = value` };
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    const lower = key.toLowerCase();
    if (lower === "phone") {
      const p = parsePhone(value);
      if (typeof p === "string") return { ok: false, error: `line ${n}: phone: ${p}` };
      const first = seen.get(p.extension);
      if (first !== undefined)
        return { ok: false, error: `line ${n}: extension ${p.extension} is listed already on line ${first}` };
      seen.set(p.extension, n);
      phones.push(p);
    } else if (lower === "serverport") {
      if (!validPort(value)) return { ok: false, error: `line ${n}: serverPort must be a port number` };
      serverPort = Number(value);
    } else {
      ignored.add(key);
    }
  }
  return {
    ok: true,
    content: { phones, ...(serverPort !== undefined ? { serverPort } : {}), ignoredKeys: [...ignored] },
  };
}

async function readLimited(path: string): Promise<string> {
  const s = await stat(path);
  if (s.size > MAX_PHONES_FILE_BYTES) throw new Error(`the file is larger than ${MAX_PHONES_FILE_BYTES} bytes`);
  return readFile(path, "utf8");
}

export interface PhonesFileStatus {
  path: string;
  /** Phones in force (from the last good version). */
  phones: number;
  /** When the phones in force were read (ms since the epoch); null before any good read. */
  loadedAt: number | null;
  /** Why the file on disk is not in force, while it is not; else null. */
  error: string | null;
}

export interface PhonesFileWatcherOptions {
  path: string;
  clock: Clock;
  logger: Logger;
  /** Default 5 s (the seed's). */
  intervalMs?: number;
  /** Tests may read from elsewhere; default the file system, refusing files over 1 MB. */
  read?: (path: string) => Promise<string>;
  /** The port the CTI server listens on, to say when the file's serverPort differs. */
  listenPort?: number;
}

/** Keeps the file's phones current: read at start, then every 5 s; the last good version wins. */
export class PhonesFileWatcher {
  private current = new Map<string, FilePhone>();
  private lastText: string | undefined;
  private lastLogged: string | undefined;
  private loadedAt: number | null = null;
  private error: string | null = null;
  private timer: TimerHandle | undefined;
  private inFlight: Promise<void> | undefined;
  private stopped = false;
  private readonly intervalMs: number;
  private readonly read: (path: string) => Promise<string>;

  constructor(private readonly opts: PhonesFileWatcherOptions) {
    this.intervalMs = opts.intervalMs ?? 5000;
    this.read = opts.read ?? readLimited;
  }

  /** Reads the file once (a failure is logged, not thrown), then every interval. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.check();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The phone the file lists for an extension. */
  get(extension: string): FilePhone | undefined {
    return this.current.get(extension);
  }

  get phones(): readonly FilePhone[] {
    return [...this.current.values()];
  }

  status(): PhonesFileStatus {
    return { path: this.opts.path, phones: this.current.size, loadedAt: this.loadedAt, error: this.error };
  }

  /** Resolves once a read in progress (a timer's) is applied. */
  async idle(): Promise<void> {
    await this.inFlight;
  }

  /** Reads the file now and applies it when it changed. */
  check(): Promise<void> {
    this.inFlight ??= this.readOnce().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.opts.clock.setTimeout(() => {
      this.timer = undefined;
      this.check().finally(() => this.schedule());
    }, this.intervalMs);
  }

  private async readOnce(): Promise<void> {
    const { path, logger } = this.opts;
    let text: string;
    try {
      text = await this.read(path);
    } catch (err) {
      this.fail(`cannot read ${path}: ${errorMessage(err)}`, "\0unreadable");
      return;
    }
    if (text === this.lastText) return;
    this.lastText = text;
    const parsed = parsePhonesFile(text);
    if (!parsed.ok) {
      this.fail(`${path}: ${parsed.error}`, text);
      return;
    }
    const next = new Map(parsed.content.phones.map((p) => [p.extension, p]));
    const changes = diff(this.current, next);
    const first = this.loadedAt === null;
    this.current = next;
    this.loadedAt = this.opts.clock.now();
    this.error = null;
    this.lastLogged = undefined;
    logger.info(first ? "CTI phones file read" : "CTI phones file changed; applied", {
      path,
      phones: next.size,
      ...(first ? {} : changes),
      ...(parsed.content.ignoredKeys.length ? { ignoredKeys: parsed.content.ignoredKeys } : {}),
    });
    const port = parsed.content.serverPort;
    if (port !== undefined && this.opts.listenPort !== undefined && port !== this.opts.listenPort)
      logger.warn("CTI phones file: serverPort is not used; companion.listen sets the port", {
        serverPort: port,
        listenPort: this.opts.listenPort,
      });
  }

  /** Keeps the phones in force; logs once per version of the file (and once while it is unreadable). */
  private fail(error: string, version: string): void {
    this.error = error;
    if (version !== "\0unreadable") this.lastText = version;
    else this.lastText = undefined;
    const key = `${version}\0${error}`;
    if (this.lastLogged === key) return;
    this.lastLogged = key;
    this.opts.logger.error("CTI phones file not applied; the last good phones stay in force", {
      error,
      phones: this.current.size,
    });
  }
}

function diff(
  before: ReadonlyMap<string, FilePhone>,
  after: ReadonlyMap<string, FilePhone>,
): { added: number; removed: number; changed: number } {
  let added = 0;
  let removed = 0;
  let changed = 0;
  for (const [ext, p] of after) {
    const old = before.get(ext);
    if (!old) added++;
    else if (
      old.host !== p.host ||
      old.user !== p.user ||
      old.password !== p.password ||
      old.configFile !== p.configFile
    )
      changed++;
  }
  for (const ext of before.keys()) if (!after.has(ext)) removed++;
  return { added, removed, changed };
}
