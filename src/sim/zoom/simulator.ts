import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { cap, readBody } from "./http.ts";
import {
  type Category,
  DEFAULT_CLIENT,
  DEFAULT_RATE,
  HttpError,
  type SimClient,
  type SimCommonArea,
  type SimRequest,
  type SimUser,
  type SimVoicemail,
  type ZoomSimOptions,
  type ZoomSimState,
  zerr,
} from "./model.ts";
import { type SimContext, zoomApi } from "./routes.ts";

export * from "./model.ts";

export class ZoomSimulator {
  readonly requests: SimRequest[] = [];
  readonly state: ZoomSimState;
  private readonly server: Server;
  private readonly clients: SimClient[];
  private readonly rate: Record<Category, number>;
  private readonly windows = new Map<Category, { second: number; count: number }>();
  private readonly now: () => number;
  private seq = 0;
  tokenTtlSeconds: number;
  dailyLimit: number | undefined;

  constructor(private readonly opts: ZoomSimOptions = {}) {
    this.now = opts.now ?? (() => Date.now());
    this.clients = opts.clients ?? [DEFAULT_CLIENT];
    this.rate = { ...DEFAULT_RATE, ...opts.rate };
    this.tokenTtlSeconds = opts.tokenTtlSeconds ?? 3599;
    this.dailyLimit = opts.dailyLimit;
    this.state = {
      users: new Map(),
      commonAreas: new Map(),
      roles: new Set(["0", ...(opts.roles ?? ["1", "2"])]),
      voicemails: new Map(),
      tokens: new Map(),
      daily: { day: "", count: 0 },
    };
    this.seed();
    // Loaded here, not imported: the compiled binary loads every imported built-in at its start.
    this.server = process.getBuiltinModule("node:http").createServer((req, res) => {
      this.handle(req, res).catch((err) => {
        res.statusCode = 500;
        res.end(JSON.stringify({ code: 500, message: String(err) }));
      });
    });
  }

  private id(prefix: string): string {
    this.seq++;
    return `${prefix}${this.seq.toString(36).padStart(6, "0")}Sim`;
  }

  private seed(): void {
    const n = this.opts.users ?? 10;
    const first = this.opts.firstExtension ?? 101;
    for (let i = 0; i < n; i++) {
      const ext = first + i;
      const u: SimUser = {
        id: this.id("u"),
        email: `room${ext}@hotel.example`,
        first_name: "Room",
        last_name: String(ext),
        display_name: `Room ${ext}`,
        dept: "",
        type: 1,
        status: "active",
        role_id: "2",
        extension_id: this.id("e"),
        extension_number: ext,
        presence: { status: "Available" },
      };
      this.state.users.set(u.id, u);
      for (let k = 0; k < (this.opts.voicemailsPerUser ?? 0); k++) this.addVoicemail(u.id);
    }
    const ca = this.opts.commonAreas ?? 0;
    const firstCa = this.opts.firstCommonAreaExtension ?? 201;
    for (let i = 0; i < ca; i++) {
      const c: SimCommonArea = {
        id: this.id("c"),
        display_name: `Room ${firstCa + i}`,
        extension_number: firstCa + i,
        department: "",
        policy: { international_calling: { enable: true } },
      };
      this.state.commonAreas.set(c.id, c);
    }
  }

  addVoicemail(userId: string): SimVoicemail {
    const m: SimVoicemail = {
      id: this.id("vm"),
      userId,
      caller_number: "12345678",
      date_time: new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, "Z"),
      status: "unread",
    };
    this.state.voicemails.set(m.id, m);
    return m;
  }

  userByExtension(ext: number): SimUser | undefined {
    for (const u of this.state.users.values()) if (u.extension_number === ext) return u;
    return undefined;
  }

  commonAreaByExtension(ext: number): SimCommonArea | undefined {
    for (const c of this.state.commonAreas.values()) if (c.extension_number === ext) return c;
    return undefined;
  }

  /** Invalidates every issued token (the next API call gets 401 code 124). */
  expireTokens(): void {
    this.state.tokens.clear();
  }

  listen(port = 0, host = "127.0.0.1"): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => {
        this.server.off("error", reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections?.();
    });
  }

  // ---- HTTP ----------------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? "/", "http://sim");
    const method = req.method ?? "GET";
    let body: unknown = raw;
    let status = 500;
    let out: unknown;
    let headers: Record<string, string> = {};
    try {
      if (url.pathname === "/oauth/token" && method === "POST") {
        body = Object.fromEntries(new URLSearchParams(raw));
        out = this.token(req, url, body as Record<string, string>);
        status = 200;
      } else if (url.pathname.startsWith("/v2/")) {
        if (raw) {
          try {
            body = JSON.parse(raw);
          } catch {
            throw zerr(400, 300, "Request Body should be a valid JSON object.");
          }
        } else body = undefined;
        const r = this.api(req, method, url, body);
        status = r.status;
        out = r.body;
      } else {
        throw zerr(404, 404, "Not found.");
      }
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      status = err.status;
      out = err.body;
      headers = err.headers;
    }
    this.requests.push({ method, path: url.pathname + url.search, body, status, at: this.now() });
    res.statusCode = status;
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    if (out === undefined) {
      res.end();
    } else {
      res.setHeader("Content-Type", "application/json;charset=UTF-8");
      res.end(JSON.stringify(out));
    }
  }

  private token(req: IncomingMessage, url: URL, form: Record<string, string>): unknown {
    const params = { ...Object.fromEntries(url.searchParams), ...form };
    const auth = req.headers.authorization ?? "";
    const m = /^Basic\s+(.+)$/i.exec(auth);
    const [id, secret] = m ? atob(m[1]).split(/:(.*)/s) : ["", ""];
    const client = this.clients.find((c) => c.clientId === id && c.clientSecret === secret);
    if (!client) throw new HttpError(400, { reason: "Invalid client_id or client_secret", error: "invalid_client" });
    if (params.grant_type !== "account_credentials") {
      throw new HttpError(400, { reason: "Unsupported grant type", error: "unsupported_grant_type" });
    }
    if (params.account_id !== client.accountId) {
      throw new HttpError(400, { reason: "Account does not exist", error: "invalid_request" });
    }
    const access = `simtok.${this.id("t")}.${Math.random().toString(36).slice(2)}`;
    this.state.tokens.set(access, {
      expiresAt: this.now() + this.tokenTtlSeconds * 1000,
      scopes: new Set(client.scopes),
    });
    return {
      access_token: access,
      token_type: "bearer",
      expires_in: this.tokenTtlSeconds,
      scope: client.scopes.join(" "),
      api_url: `http://${req.headers.host}`,
    };
  }

  private limit(category: Category): void {
    const now = this.now();
    if (this.dailyLimit !== undefined) {
      const day = new Date(now).toISOString().slice(0, 10);
      if (this.state.daily.day !== day) this.state.daily = { day, count: 0 };
      if (this.state.daily.count >= this.dailyLimit) {
        const d = new Date(now);
        const midnight = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1));
        throw new HttpError(
          429,
          {
            code: 429,
            message: `You have exceeded the daily rate limit (${this.dailyLimit}) of this API. You may resume these requests at GMT 00:00:00.`,
          },
          {
            "X-RateLimit-Category": cap(category),
            "X-RateLimit-Type": "Daily-limit",
            "X-RateLimit-Limit": String(this.dailyLimit),
            "X-RateLimit-Remaining": "0",
            "Retry-After": midnight.toISOString().replace(/\.\d{3}Z$/, "Z"),
          },
        );
      }
      this.state.daily.count++;
    }
    const second = Math.floor(now / 1000);
    const w = this.windows.get(category);
    const win = w && w.second === second ? w : { second, count: 0 };
    this.windows.set(category, win);
    if (win.count >= this.rate[category]) {
      throw new HttpError(
        429,
        { code: 429, message: "You have reached the maximum per-second rate limit for this API. Try again later." },
        {
          "X-RateLimit-Category": cap(category),
          "X-RateLimit-Type": "QPS",
          "X-RateLimit-Limit": String(this.rate[category]),
          "X-RateLimit-Remaining": "0",
          "Retry-After": "1",
        },
      );
    }
    win.count++;
  }

  /** `scope`: the one needed, or a list of which any one will do. */
  private auth(req: IncomingMessage, scope: string | readonly string[]): void {
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "");
    const t = m ? this.state.tokens.get(m[1]) : undefined;
    if (!t || t.expiresAt <= this.now()) throw zerr(401, 124, "Invalid access token.");
    const any = typeof scope === "string" ? [scope] : scope;
    // Not in the spec's sources: Zoom's observed answer for a token without the scope.
    if (!any.some((s) => t.scopes.has(s))) {
      throw zerr(401, 4711, `Invalid access token, does not contain scopes:[${any.join(", ")}].`);
    }
  }

  private api(req: IncomingMessage, method: string, url: URL, body: unknown): { status: number; body?: unknown } {
    return zoomApi(this.routes, req, method, url, body);
  }

  /** What the routes may use of the simulator. */
  private readonly routes: SimContext = {
    state: () => this.state,
    now: () => this.now(),
    auth: (req, scope) => this.auth(req, scope),
    limit: (category) => this.limit(category),
    user: (id) => this.user(id),
  };
  private user(id: string): SimUser {
    const u = this.state.users.get(id);
    if (!u) throw zerr(404, 1001, "User does not exist.");
    return u;
  }
}
