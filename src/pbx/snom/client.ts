/**
 * @module pbx/snom/client
 * `SnomClient`: requests to SNOM desk phones over their own web interface (wire.ts names every URL
 * and setting). Knows no store, no room and no configuration file: the SNOM link's driver uses it
 * for hotel state, the CTI server for call control. A phone is named by its IP (the client's
 * defaults for scheme, port and credentials), or by a `SnomPhone` that overrides any of them (the
 * 24U phones file gives some phones their own user and password).
 *
 * Authentication, as each phone asks: a request goes out without credentials until the phone
 * answers 401. `WWW-Authenticate: Digest` is answered by RFC 7616/2617 digest (sip/auth's
 * `DigestSession`: MD5, MD5-sess, SHA-256, qop=auth or none), `Basic` by Basic. What the phone asked
 * for is remembered per phone, so later requests carry it at once (Digest re-using the nonce with a
 * rising nc). A 401 to our answer is a wrong user or password: a `SnomError` of kind `auth`, not
 * retryable. A Digest challenge with `stale=true` (the nonce expired) is answered again at once.
 *
 * Requests to one phone go one at a time (a phone's web server is small, and a digest nonce count
 * must not race); different phones are talked to in parallel.
 *
 * Errors are `SnomError`s (a `PbxError`): `timeout` and `unreachable` and HTTP 5xx are retryable;
 * `auth`, `tls`, other HTTP statuses, and a value the wire format cannot carry are not. Credentials
 * never appear in an error or a log line: the debug packet log has the request line (setting values
 * whose names contain "pass" masked) and the status, never a header.
 */
import { Buffer } from "node:buffer";
import { readFile } from "node:fs/promises";
import { errorMessage } from "../../lib/errors.ts";
import type { Logger } from "../../lib/logger.ts";
import { DigestSession } from "../../sip/auth/session.ts";
import { PbxError } from "../driver.ts";
import { type PhoneHttpResponse, phoneGet, TransportFailure, type TransportFailureKind } from "./transport.ts";
import {
  actionUrlSettings,
  dialRequest,
  dtmfRequest,
  isSettingName,
  isSnomKey,
  keyRequest,
  minibrowserRequest,
  releaseAllCallsRequest,
  type SnomActionEvent,
  settingsRequest,
} from "./wire.ts";

export type SnomScheme = "http" | "https";

/** A phone with its own settings; unset fields are the client's defaults. */
export interface SnomPhone {
  /** An IP, `IP:port` or `[IPv6]:port` (a port here wins over the client's). */
  ip: string;
  port?: number;
  scheme?: SnomScheme;
  username?: string | null;
  password?: string | null;
}

/** A phone's IP (the client's defaults apply), or a phone with its own settings. */
export type SnomPhoneRef = string | SnomPhone;

export interface SnomClientOptions {
  /** Default "http". */
  scheme?: SnomScheme;
  /** Default 80 for http, 443 for https. */
  port?: number | null;
  username?: string | null;
  password?: string | null;
  /** Per request (connect and answer); default 5000. */
  timeoutMs?: number;
  /** https: PEM file of the CA that signs the phones' certificates; unset = not verified. */
  caFile?: string | null;
  logger?: Logger;
  /** The debug packet log (request lines and statuses; never a header). */
  debug?: () => boolean;
}

export type SnomErrorKind = TransportFailureKind | "auth" | "http" | "invalid";

/** A request a phone did not carry out. `phone` is `ip:port`. */
export class SnomError extends PbxError {
  /** The phone's HTTP status, when it answered one. */
  readonly status?: number;
  constructor(
    readonly kind: SnomErrorKind,
    readonly phone: string,
    message: string,
    opts: { retryable: boolean; status?: number },
  ) {
    super(message, { retryable: opts.retryable });
    this.name = "SnomError";
    if (opts.status !== undefined) this.status = opts.status;
  }
}

export interface SnomResponse {
  status: number;
  body: string;
}

interface PhoneAuth {
  scheme: "none" | "basic" | "digest";
  digest?: DigestSession;
}

interface Resolved {
  ip: string;
  port: number;
  scheme: SnomScheme;
  username: string | null;
  password: string | null;
  /** `ip:port` ([v6]:port) for messages. */
  label: string;
  /** Auth state and queue key: scheme, address and user. */
  key: string;
}

const DEFAULT_TIMEOUT_MS = 5000;

export class SnomClient {
  private readonly auth = new Map<string, PhoneAuth>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private ca: Promise<string | undefined> | undefined;

  constructor(private readonly opts: SnomClientOptions = {}) {}

  /** Presses keys: one key event (`"OFFHOOK"`, `"5"`, `"#"`, `"F_HOLD,500"`) or several in order. */
  async pressKey(phone: SnomPhoneRef, key: string | readonly string[]): Promise<void> {
    const events = typeof key === "string" ? [key] : [...key];
    const bad = events.find((e) => !isSnomKey(e));
    if (!events.length || bad !== undefined) {
      throw this.invalid(phone, `not a SNOM key event: ${JSON.stringify(bad ?? "")}`);
    }
    await this.request(phone, keyRequest(events));
  }

  /** The phone dials `number` (click-to-dial), optionally through another identity's `outgoingUri`. */
  async dial(phone: SnomPhoneRef, number: string, opts: { outgoingUri?: string } = {}): Promise<void> {
    if (!/^[0-9*#+A-Za-z@._:;=-]{1,64}$/.test(number))
      throw this.invalid(phone, `not a dialable number: ${JSON.stringify(number)}`);
    await this.request(phone, dialRequest(number, opts.outgoingUri));
  }

  /** Hangs up every call on the phone. */
  async releaseAllCalls(phone: SnomPhoneRef): Promise<void> {
    await this.request(phone, releaseAllCallsRequest());
  }

  /** Sends DTMF digits into the call in progress. */
  async sendDtmf(phone: SnomPhoneRef, digits: string): Promise<void> {
    if (!/^[0-9*#A-D]{1,32}$/.test(digits)) throw this.invalid(phone, `not DTMF digits: ${JSON.stringify(digits)}`);
    await this.request(phone, dtmfRequest(digits));
  }

  /**
   * Saves settings (`dummy.htm?settings=save&name=value…`), by default also to flash
   * (`store_settings=save`) so they outlive a reboot. Names must look like SNOM setting names.
   */
  async saveSettings(
    phone: SnomPhoneRef,
    settings: Readonly<Record<string, string>>,
    opts: { store?: boolean } = {},
  ): Promise<void> {
    const names = Object.keys(settings);
    const bad = names.find((n) => !isSettingName(n));
    if (!names.length || bad !== undefined) {
      throw this.invalid(phone, `not a SNOM setting name: ${JSON.stringify(bad ?? "")}`);
    }
    await this.request(phone, settingsRequest(settings, opts));
  }

  /**
   * Makes the phone's XML minibrowser fetch and show `url` (an absolute http(s) URL the phone can
   * reach). Resolves when the phone accepted the push, not when it fetched the page.
   */
  async showMinibrowser(phone: SnomPhoneRef, url: string): Promise<void> {
    let ok = false;
    try {
      const u = new URL(url);
      ok = u.protocol === "http:" || u.protocol === "https:";
    } catch {}
    if (!ok) throw this.invalid(phone, `the minibrowser needs an absolute http(s) URL, not ${JSON.stringify(url)}`);
    await this.request(phone, minibrowserRequest(url));
  }

  /**
   * Sets the phone's action URLs (one settings request): each event's URL, which may hold the
   * phone's `$variables` (wire.ts `actionUrlVariables`); "" clears it.
   */
  async setActionUrls(phone: SnomPhoneRef, urls: Readonly<Partial<Record<SnomActionEvent, string>>>): Promise<void> {
    const settings: Record<string, string> = {};
    for (const [event, url] of Object.entries(urls) as [SnomActionEvent, string | undefined][]) {
      const name = actionUrlSettings[event];
      if (name === undefined) throw this.invalid(phone, `not a SNOM action URL event: ${JSON.stringify(event)}`);
      if (url === undefined) continue;
      if (/[\r\n\0]/.test(url)) throw this.invalid(phone, `the ${event} action URL holds a line break`);
      settings[name] = url;
    }
    if (!Object.keys(settings).length) return;
    await this.saveSettings(phone, settings);
  }

  /**
   * A GET of `target` (path and query, e.g. `/command.htm?key=ENTER`) with the phone's
   * authentication; resolves for a 2xx answer. For requests the methods above do not cover.
   */
  request(phone: SnomPhoneRef, target: string): Promise<SnomResponse> {
    const p = this.resolve(phone);
    if (!target.startsWith("/") || /[\s\0]/.test(target)) {
      return Promise.reject(this.invalid(phone, `not a request target: ${JSON.stringify(target)}`));
    }
    // One request at a time per phone: chain after whatever that phone is doing.
    const before = this.queues.get(p.key) ?? Promise.resolve();
    const run = before.catch(() => {}).then(() => this.exchange(p, target));
    const tail = run.catch(() => {});
    this.queues.set(p.key, tail);
    tail.then(() => {
      if (this.queues.get(p.key) === tail) this.queues.delete(p.key);
    });
    return run;
  }

  /** Forgets what each phone asked for (after credentials changed). */
  reset(): void {
    this.auth.clear();
  }

  private async exchange(p: Resolved, target: string): Promise<SnomResponse> {
    const state = this.auth.get(p.key) ?? { scheme: "none" };
    let headers = this.preemptive(p, state, target);
    let answeredBasic = state.scheme === "basic";
    this.log("out", p, target);
    // At most: the plain request, a first answer, a stale-nonce answer.
    for (let round = 0; round < 4; round++) {
      const res = await this.send(p, target, headers);
      this.log("in", p, target, res.status);
      if (res.status !== 401) return this.accept(p, target, res);
      if (p.username === null) {
        throw new SnomError(
          "auth",
          p.label,
          `phone ${p.label} asks for a user and password (HTTP 401); set username and password on the link`,
          { retryable: false, status: 401 },
        );
      }
      const challenges = res.headers.get("www-authenticate") ?? [];
      if (challenges.some((c) => /^\s*digest\b/i.test(c))) {
        if (state.scheme !== "digest" || !state.digest) {
          state.scheme = "digest";
          state.digest = new DigestSession({ username: p.username, password: p.password ?? "" });
          this.auth.set(p.key, state);
        }
        const outcome = state.digest.onChallenge(401, challenges, { method: "GET", uri: target });
        if (outcome.action === "fail") {
          this.auth.delete(p.key);
          const wrong = outcome.code === "rejected";
          throw new SnomError(
            "auth",
            p.label,
            wrong
              ? `phone ${p.label} refused the user and password (HTTP 401 to our Digest answer); check the link's username and password`
              : `phone ${p.label} asks for Digest we cannot answer: ${outcome.reason}`,
            { retryable: false, status: 401 },
          );
        }
        headers = { Authorization: outcome.header.value };
        continue;
      }
      if (challenges.some((c) => /^\s*basic\b/i.test(c)) || challenges.length === 0) {
        if (answeredBasic) {
          this.auth.delete(p.key);
          throw new SnomError(
            "auth",
            p.label,
            `phone ${p.label} refused the user and password (HTTP 401 to Basic); check the link's username and password`,
            { retryable: false, status: 401 },
          );
        }
        state.scheme = "basic";
        state.digest = undefined;
        this.auth.set(p.key, state);
        headers = { Authorization: basic(p) };
        answeredBasic = true;
        continue;
      }
      const scheme = challenges[0]?.trim().split(/\s+/)[0] ?? "";
      throw new SnomError(
        "auth",
        p.label,
        `phone ${p.label} asks for ${JSON.stringify(scheme)} authentication, which is not supported`,
        {
          retryable: false,
          status: 401,
        },
      );
    }
    throw new SnomError("auth", p.label, `phone ${p.label} kept answering 401`, { retryable: false, status: 401 });
  }

  /** Credentials sent before any challenge: what this phone asked for last time. */
  private preemptive(p: Resolved, state: PhoneAuth, target: string): Record<string, string> {
    if (state.scheme === "basic" && p.username !== null) return { Authorization: basic(p) };
    if (state.scheme === "digest" && state.digest) {
      const [h] = state.digest.authorize("GET", target);
      if (h) return { Authorization: h.value };
    }
    return {};
  }

  private accept(p: Resolved, target: string, res: PhoneHttpResponse): SnomResponse {
    if (res.status >= 200 && res.status < 300) return { status: res.status, body: res.body };
    const what = target.split("?")[0];
    const hint = res.status === 404 ? ": this firmware does not have that page" : "";
    throw new SnomError("http", p.label, `phone ${p.label} answered HTTP ${res.status} to ${what}${hint}`, {
      retryable: res.status >= 500 || res.status === 408 || res.status === 429,
      status: res.status,
    });
  }

  private async send(p: Resolved, target: string, headers: Record<string, string>): Promise<PhoneHttpResponse> {
    const ca = p.scheme === "https" ? await this.caText() : undefined;
    try {
      return await phoneGet({
        scheme: p.scheme,
        host: p.ip,
        port: p.port,
        target,
        headers,
        timeoutMs: this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        ca,
      });
    } catch (err) {
      if (err instanceof TransportFailure) {
        throw new SnomError(err.kind, p.label, `phone ${p.label} ${err.message}`, { retryable: err.kind !== "tls" });
      }
      throw new SnomError("unreachable", p.label, `phone ${p.label}: ${errorMessage(err)}`, { retryable: true });
    }
  }

  private caText(): Promise<string | undefined> {
    const file = this.opts.caFile;
    if (!file) return Promise.resolve(undefined);
    this.ca ??= readFile(file, "utf8").catch((err) => {
      this.ca = undefined;
      throw new SnomError("tls", "-", `cannot read caFile ${file}: ${errorMessage(err)}`, { retryable: false });
    });
    return this.ca;
  }

  private resolve(phone: SnomPhoneRef): Resolved {
    const o = this.opts;
    const given = typeof phone === "string" ? { ip: phone } : phone;
    const host = splitHost(given.ip);
    const ip = host.ip;
    const scheme = given.scheme ?? o.scheme ?? "http";
    const port = given.port ?? host.port ?? o.port ?? (scheme === "https" ? 443 : 80);
    const username = given.username !== undefined ? given.username : (o.username ?? null);
    const password = given.password !== undefined ? given.password : (o.password ?? null);
    const label = `${ip.includes(":") ? `[${ip}]` : ip}:${port}`;
    return { ip, port, scheme, username, password, label, key: `${scheme}://${label}#${username ?? ""}` };
  }

  private invalid(phone: SnomPhoneRef, message: string): SnomError {
    const label = this.resolve(phone).label;
    return new SnomError("invalid", label, `phone ${label}: ${message}`, { retryable: false });
  }

  private log(dir: "out" | "in", p: Resolved, target: string, status?: number): void {
    if (!this.opts.debug?.() || !this.opts.logger) return;
    this.opts.logger.info("snom packet", {
      dir,
      phone: p.label,
      ...(dir === "out" ? { request: `GET ${maskTarget(target)}` } : { status }),
    });
  }
}

/** `10.0.0.5`, `10.0.0.5:8080`, `[fd00::5]:8080`, `fd00::5` → IP and port (if given). */
export function splitHost(text: string): { ip: string; port?: number } {
  const t = text.trim();
  const v6 = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(t);
  if (v6) return { ip: v6[1], ...(v6[2] ? { port: Number(v6[2]) } : {}) };
  const v4 = /^([^:]+):(\d{1,5})$/.exec(t);
  if (v4) return { ip: v4[1], port: Number(v4[2]) };
  return { ip: t };
}

function basic(p: Resolved): string {
  return `Basic ${Buffer.from(`${p.username ?? ""}:${p.password ?? ""}`, "utf8").toString("base64")}`;
}

/** The request target with the values of parameters whose names hold "pass" masked, for the packet log. */
export function maskTarget(target: string): string {
  const q = target.indexOf("?");
  if (q < 0) return target;
  const masked = target
    .slice(q + 1)
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      if (eq < 0) return pair;
      let name = pair.slice(0, eq);
      try {
        name = decodeURIComponent(name);
      } catch {}
      return /pass|secret|token/i.test(name) ? `${pair.slice(0, eq)}=***` : pair;
    })
    .join("&");
  return `${target.slice(0, q)}?${masked}`;
}
