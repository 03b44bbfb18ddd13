/**
 * @module pbx/zoom/client
 * HTTP to Zoom: the S2S OAuth token (renewed a minute before expiry, and once more after a 401 code
 * 124), pacing of every API call by one token bucket at `ratePerSecond` (the medium-category limit:
 * light calls held to it too never draw a 429), the mapping of answers onto PbxError, and the debug
 * packet log with secrets masked.
 */
import type { Clock } from "../../lib/clock.ts";
import { errorMessage } from "../../lib/errors.ts";
import { type Logger, maskSecrets } from "../../lib/logger.ts";
import { TokenBucket } from "../../lib/token-bucket.ts";
import { PbxError } from "../driver.ts";
import {
  apiBase,
  basicAuth,
  isNotFound,
  parseErrorBody,
  parseTokenResponse,
  retryAfterMs,
  type TokenResponse,
  tokenErrorText,
  tokenForm,
  tokenUrl,
  type WireRequest,
  ZOOM_INVALID_TOKEN,
  type ZoomErrorBody,
} from "./wire.ts";

export type FetchFn = (url: string, init: RequestInit) => Promise<Response>;

/** Renew the token this long before Zoom says it expires. */
export const TOKEN_MARGIN_MS = 60_000;

export interface ZoomClientOptions {
  url: string;
  accountId: string;
  clientId: string;
  clientSecret: string;
  ratePerSecond: number;
  clock: Clock;
  fetch: FetchFn;
  logger: Logger;
  debug: () => boolean;
}

/** The object is missing at Zoom (404, or 400 with a not-found code): the driver refreshes its cache. */
export class ZoomNotFoundError extends PbxError {
  constructor(message: string) {
    super(message, { retryable: false });
    this.name = "ZoomNotFoundError";
  }
}

/** Any other 4xx (non-retryable), with Zoom's status and error body for callers that look closer. */
export class ZoomApiError extends PbxError {
  constructor(
    message: string,
    readonly status: number,
    readonly body: ZoomErrorBody,
  ) {
    super(message, { retryable: false });
    this.name = "ZoomApiError";
  }
}

interface Token extends TokenResponse {
  expiresAt: number;
}

export class ZoomClient {
  private token: Token | undefined;
  private pending: Promise<Token> | undefined;
  private readonly bucket: TokenBucket;

  constructor(private readonly o: ZoomClientOptions) {
    this.bucket = new TokenBucket(o.clock, o.ratePerSecond);
  }

  /** Current token (fetching one if needed): its scopes decide the available features. */
  async currentToken(): Promise<TokenResponse> {
    return this.getToken();
  }

  invalidateToken(): void {
    this.token = undefined;
  }

  /** One API call; resolves with the parsed JSON (undefined for 204). */
  async call(req: WireRequest): Promise<unknown> {
    await this.bucket.take();
    let res = await this.send(req, await this.getToken());
    if (res.status === 401 && parseErrorBody(res.json).code === ZOOM_INVALID_TOKEN) {
      // Expired or revoked before we thought: one fresh token, one more try.
      this.invalidateToken();
      res = await this.send(req, await this.getToken());
    }
    return this.check(req, res);
  }

  private check(req: WireRequest, res: Answer): unknown {
    const what = `${req.method} ${req.path.split("?")[0]}`;
    if (res.status >= 200 && res.status < 300) return res.json;
    const body = parseErrorBody(res.json);
    const detail = `Zoom ${res.status}${body.code !== undefined ? ` code ${body.code}` : ""}: ${body.message ?? "no message"}`;
    if (res.status === 429) {
      const daily = res.headers.get("x-ratelimit-type")?.toLowerCase() === "daily-limit";
      throw new PbxError(`${what}: ${daily ? "daily rate limit" : "rate limited"} (${detail})`, {
        retryAfterMs: retryAfterMs(res.headers, this.o.clock.now()),
        countsAsAttempt: false,
      });
    }
    if (isNotFound(res.status, body)) throw new ZoomNotFoundError(`${what}: not found (${detail})`);
    if (res.status >= 500) throw new PbxError(`${what}: ${detail}`);
    throw new ZoomApiError(`${what}: ${detail}`, res.status, body);
  }

  private async getToken(): Promise<Token> {
    const t = this.token;
    if (t && this.o.clock.now() < t.expiresAt - TOKEN_MARGIN_MS) return t;
    this.pending ??= this.fetchToken().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async fetchToken(): Promise<Token> {
    const url = tokenUrl(this.o.url);
    const form = tokenForm(this.o.accountId);
    const started = this.o.clock.now();
    let res: Response;
    try {
      res = await this.o.fetch(url, {
        method: "POST",
        headers: {
          Authorization: basicAuth(this.o.clientId, this.o.clientSecret),
          "Content-Type": "application/x-www-form-urlencoded",
          Accept: "application/json",
        },
        body: form.toString(),
      });
    } catch (err) {
      this.log("POST", url, 0, Object.fromEntries(form), errorMessage(err));
      throw new PbxError(`Zoom token request failed: ${errorMessage(err)}`);
    }
    const json = await readJson(res);
    this.log("POST", url, res.status, Object.fromEntries(form), json, { authorization: "Basic" });
    if (res.status === 429) {
      throw new PbxError("Zoom token request rate limited", {
        retryAfterMs: retryAfterMs(res.headers, this.o.clock.now()),
        countsAsAttempt: false,
      });
    }
    if (res.status >= 500) throw new PbxError(`Zoom token request: HTTP ${res.status}`);
    if (res.status !== 200) {
      throw new PbxError(`Zoom token request refused (HTTP ${res.status}): ${tokenErrorText(json)}`, {
        retryable: false,
      });
    }
    const parsed = parseTokenResponse(json);
    this.token = { ...parsed, expiresAt: started + parsed.expiresInSeconds * 1000 };
    return this.token;
  }

  private async send(req: WireRequest, token: Token): Promise<Answer> {
    const url = `${apiBase(token.apiUrl)}${req.path}`;
    const headers: Record<string, string> = {
      Authorization: `Bearer ${token.accessToken}`,
      Accept: "application/json",
    };
    if (req.body !== undefined) headers["Content-Type"] = "application/json";
    let res: Response;
    try {
      res = await this.o.fetch(url, {
        method: req.method,
        headers,
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
      });
    } catch (err) {
      this.log(req.method, url, 0, req.body, errorMessage(err));
      throw new PbxError(`${req.method} ${req.path.split("?")[0]}: ${errorMessage(err)}`);
    }
    const json = await readJson(res);
    this.log(req.method, url, res.status, req.body, json, { authorization: "Bearer" });
    return { status: res.status, headers: res.headers, json };
  }

  /** Debug packet log: checked on every request so it can be switched at run time. */
  private log(
    method: string,
    url: string,
    status: number,
    request: unknown,
    response: unknown,
    headers?: Record<string, string>,
  ): void {
    if (!this.o.debug()) return;
    this.o.logger.debug("zoom http", {
      method,
      url,
      status,
      headers: headers ? { authorization: `${headers.authorization} ***` } : undefined,
      request: maskSecrets(request),
      response: typeof response === "string" ? response : maskSecrets(response),
    });
  }
}

interface Answer {
  status: number;
  headers: Headers;
  json: unknown;
}

async function readJson(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text.slice(0, 500);
  }
}
