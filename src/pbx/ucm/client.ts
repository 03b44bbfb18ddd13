/**
 * @module pbx/ucm/client
 * A session with the UCM's new HTTPS API: challenge → login with md5(challenge + password) → a cookie
 * carried in every later JSON body. A call answered "need authentication" (-5) or "cookie error" (-6)
 * logs in again once and repeats; other statuses become PbxErrors with a clear message and the right
 * retry behaviour. With debug on (checked per request) every exchange is logged, secrets masked.
 */
import { readFile } from "node:fs/promises";
import { errorMessage } from "../../lib/errors.ts";
import { type Logger, maskSecrets } from "../../lib/logger.ts";
import { PbxError } from "../driver.ts";
import { postJson, type TlsTrust } from "./transport.ts";
import {
  challengeRequest,
  describeStatus,
  type Envelope,
  loginRequest,
  loginToken,
  status as S,
  type UcmResponse,
} from "./wire.ts";

export interface UcmClientOptions {
  url: string;
  apiUser: string;
  apiPassword: string;
  /** Normalized pin (64 lowercase hex) or null. */
  certificateSha256: string | null;
  caFile: string | null;
  timeoutMs: number;
  logger: Logger;
  debug: () => boolean;
}

/** A UCM status that is not success. */
export class UcmStatusError extends PbxError {
  constructor(
    readonly action: string,
    readonly status: number,
    message: string,
    opts: ConstructorParameters<typeof PbxError>[1],
  ) {
    super(message, opts);
    this.name = "UcmStatusError";
  }
}

/** Maps a status to an error; `what` names the step ("login", "pmsapi checkin …"). */
export function statusError(action: string, code: number, what: string, errorMsg?: string): UcmStatusError {
  const detail = `${describeStatus(code)}${errorMsg ? `: ${errorMsg}` : ""}`;
  const e = (message: string, opts: ConstructorParameters<typeof PbxError>[1] = {}) =>
    new UcmStatusError(action, code, message, opts);
  switch (code) {
    case S.wrongAccountOrPassword:
      return action === "login"
        ? e(`UCM login refused, ${detail}: check apiUser/apiPassword (HTTPS API Settings (New))`, {
            retryable: false,
          })
        : e(`UCM ${what} refused, ${detail}: check pmsUser/pmsPassword (Integrations → PMS)`, { retryable: false });
    case S.noSuchUser:
      return e(`UCM ${what} refused, ${detail}: apiUser is not an API user on the UCM`, { retryable: false });
    case S.noPermission:
      return e(`UCM ${what} refused, ${detail}: add this appliance's address to the API's permitted IPs`, {
        retryable: false,
      });
    case S.loginForbidden:
      return e(`UCM ${what} refused, ${detail}: the API user may not log in`, { retryable: false });
    case S.loginRestriction:
      return e(`UCM ${what} refused, ${detail} (locked out after failed logins? retrying later)`);
    case S.tooFrequent45:
    case S.tooFrequent46:
      return e(`UCM ${what}: ${detail}`, { retryAfterMs: 15_000, countsAsAttempt: false });
    case S.tooFrequent57:
      return e(`UCM ${what}: ${detail}`, { retryAfterMs: 60_000, countsAsAttempt: false });
    case S.invalidParameters:
    case S.invalidValue:
    case S.noSuchItem:
    case S.unsupported:
    case S.sensitiveCharacters:
      return e(`UCM ${what} rejected, ${detail}`, { retryable: false });
    default:
      return e(`UCM ${what} failed, ${detail}`);
  }
}

export class UcmClient {
  private cookie: string | null = null;
  private readonly url: URL;
  private trust: TlsTrust | undefined;
  private loggingIn: Promise<string> | undefined;

  constructor(private readonly opts: UcmClientOptions) {
    this.url = new URL(opts.url);
  }

  get loggedIn(): boolean {
    return this.cookie !== null;
  }

  /** Forgets the session cookie (the next call logs in again). */
  reset(): void {
    this.cookie = null;
  }

  /** Challenge and login; resolves with the new cookie. Concurrent callers share one login. */
  login(): Promise<string> {
    this.loggingIn ??= this.doLogin().finally(() => {
      this.loggingIn = undefined;
    });
    return this.loggingIn;
  }

  private async doLogin(): Promise<string> {
    this.cookie = null;
    const { apiUser, apiPassword } = this.opts;
    const ch = await this.post(challengeRequest(apiUser));
    if (ch.status !== S.ok) throw statusError("challenge", ch.status, "challenge", errorMsgOf(ch));
    const challenge = ch.response?.challenge;
    if (typeof challenge !== "string" || !challenge) {
      throw new PbxError("UCM challenge answer carries no challenge");
    }
    const lg = await this.post(loginRequest(apiUser, loginToken(challenge, apiPassword)));
    if (lg.status !== S.ok) throw statusError("login", lg.status, "login", errorMsgOf(lg));
    const cookie = lg.response?.cookie;
    if (typeof cookie !== "string" || !cookie) throw new PbxError("UCM login answer carries no cookie");
    this.cookie = cookie;
    return cookie;
  }

  /**
   * One action with the session cookie in its body. `build` gets the cookie, so a re-login can
   * rebuild the request. Resolves with the successful response; throws on any other status.
   */
  async call(action: string, what: string, build: (cookie: string) => Envelope): Promise<UcmResponse> {
    let cookie = this.cookie ?? (await this.login());
    let res = await this.post(build(cookie));
    if (res.status === S.cookieError || res.status === S.needAuthentication) {
      this.opts.logger.debug("UCM session expired, logging in again", { status: res.status });
      this.cookie = null;
      cookie = await this.login();
      res = await this.post(build(cookie));
      if (res.status === S.cookieError || res.status === S.needAuthentication) {
        this.cookie = null;
        throw statusError(action, res.status, `${what} (still after a fresh login)`, errorMsgOf(res));
      }
    }
    if (res.status !== S.ok) throw statusError(action, res.status, what, errorMsgOf(res));
    return res;
  }

  /** The raw exchange: any status is returned; transport and HTTP failures throw. */
  async post(envelope: Envelope): Promise<UcmResponse> {
    const action = String((envelope.request as { action?: unknown }).action ?? "?");
    const body = JSON.stringify(envelope);
    const debug = this.opts.debug();
    if (debug) this.opts.logger.info("ucm packet", { dir: "out", action, body: maskSecrets(envelope) });
    const trust = await this.trustSettings();
    const http = await postJson(this.url, body, trust, this.opts.timeoutMs);
    let parsed: UcmResponse | undefined;
    try {
      const j = JSON.parse(http.body) as unknown;
      if (j && typeof j === "object" && typeof (j as UcmResponse).status === "number") parsed = j as UcmResponse;
    } catch {
      // handled below
    }
    if (debug) {
      this.opts.logger.info("ucm packet", {
        dir: "in",
        action,
        http: http.status,
        status: parsed?.status,
        body: parsed ? maskSecrets(parsed) : http.body.slice(0, 500),
      });
    }
    if (http.status !== 200) {
      throw new PbxError(`UCM answered HTTP ${http.status} to ${action}${http.status === 404 ? ": check url" : ""}`, {
        retryable: http.status !== 404,
      });
    }
    if (!parsed) throw new PbxError(`UCM answered ${action} with something that is not the API's JSON`);
    return parsed;
  }

  private async trustSettings(): Promise<TlsTrust> {
    if (this.trust) return this.trust;
    if (this.url.protocol === "http:") this.trust = { kind: "none" };
    else if (this.opts.certificateSha256) this.trust = { kind: "pin", sha256: this.opts.certificateSha256 };
    else if (this.opts.caFile) {
      try {
        this.trust = { kind: "ca", ca: await readFile(this.opts.caFile, "utf8") };
      } catch (err) {
        throw new PbxError(`cannot read caFile ${this.opts.caFile}: ${errorMessage(err)}`, { retryable: false });
      }
    } else throw new PbxError("https URL without certificateSha256 or caFile", { retryable: false });
    return this.trust;
  }
}

function errorMsgOf(r: UcmResponse): string | undefined {
  const m = r.response?.error_msg;
  return typeof m === "string" ? m : undefined;
}
