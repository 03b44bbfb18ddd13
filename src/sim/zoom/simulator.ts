/**
 * @module sim/zoom/simulator
 * A Zoom mock (shared/specs/pbx-apis.md §1) over node:http: S2S OAuth token, Users API, the Phone
 * API parts the driver uses, role assignment (POST /roles/{roleId}/members), per-category rate
 * limits and an optional daily limit with Zoom's 429 headers, token expiry, scopes per client,
 * seeded users, common areas and roles, and a request log.
 * Runs under Bun, Node and Deno (no Bun.* APIs).
 */
import { Buffer } from "node:buffer";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export const ALL_SCOPES = [
  "user:read:user:admin",
  "user:read:list_users:admin",
  "user:update:user:admin",
  "phone:read:list_devices:admin",
  "phone:read:device:admin",
  "phone:read:list_users:admin",
  "phone:update:device:admin",
  "user:update:presence_status:admin",
  "phone:read:list_voicemails:admin",
  "phone:delete:voicemail:admin",
  "phone:read:common_area:admin",
  "phone:update:common_area:admin",
  "role:write:admin",
] as const;

/** Either scope lets a token assign roles (macro and granular name). */
export const ROLE_WRITE_SCOPES = ["role:write:admin", "role:write:member:admin"] as const;

export type Category = "light" | "medium" | "heavy";

export interface SimClient {
  clientId: string;
  clientSecret: string;
  accountId: string;
  scopes: readonly string[];
}

export interface ZoomSimOptions {
  /** Users with phone extensions `firstExtension`, +1, … (default 10 from 101). */
  users?: number;
  firstExtension?: number;
  /** Common areas with extensions `firstCommonAreaExtension`, +1, … (default 0 from 201). */
  commonAreas?: number;
  firstCommonAreaExtension?: number;
  /** Voicemails seeded per user (default 0). */
  voicemailsPerUser?: number;
  clients?: SimClient[];
  /** Requests a second per category (Zoom Phone Pro: light 20, medium 10, heavy 5). */
  rate?: Partial<Record<Category, number>>;
  /** Requests a UTC day for the whole account (default: none). */
  dailyLimit?: number;
  /** Token lifetime (default 3599 s, as Zoom). */
  tokenTtlSeconds?: number;
  /**
   * Role ids that exist besides the Owner role "0" (default ["1", "2"]: Admin, Member). Custom role
   * ids for class of service go here.
   */
  roles?: string[];
  /** Time source (tests pass their fake clock). */
  now?: () => number;
}

export interface SimUser {
  id: string;
  email: string;
  first_name: string;
  last_name: string;
  display_name: string;
  dept: string;
  type: number;
  status: string;
  role_id: string;
  extension_id: string;
  extension_number: number;
  presence: { status: string; duration?: number; at?: number };
}

export interface SimCommonArea {
  id: string;
  display_name: string;
  extension_number: number;
  department: string;
  policy: { international_calling: { enable: boolean } };
}

export interface SimVoicemail {
  id: string;
  userId: string;
  caller_number: string;
  date_time: string;
  status: string;
}

export interface SimRequest {
  method: string;
  path: string;
  body: unknown;
  status: number;
  at: number;
}

export interface ZoomSimState {
  users: Map<string, SimUser>;
  commonAreas: Map<string, SimCommonArea>;
  /** Role ids of the account ("0" Owner always). */
  roles: Set<string>;
  voicemails: Map<string, SimVoicemail>;
  tokens: Map<string, { expiresAt: number; scopes: Set<string> }>;
  /** Requests counted against the daily limit today. */
  daily: { day: string; count: number };
}

export const DEFAULT_CLIENT: SimClient = {
  clientId: "sim-client",
  clientSecret: "sim-secret",
  accountId: "sim-account",
  scopes: ALL_SCOPES,
};

const DEFAULT_RATE: Record<Category, number> = { light: 20, medium: 10, heavy: 5 };

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`);
  }
}

function zerr(status: number, code: number, message: string): HttpError {
  return new HttpError(status, { code, message });
}

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
    this.server = createServer((req, res) => {
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
    const p = url.pathname.slice(3).split("/").filter(Boolean).map(decodeURIComponent);
    const q = url.searchParams;
    const guard = (scope: string | readonly string[], category: Category) => {
      this.auth(req, scope);
      this.limit(category);
    };
    // Ids sit at odd positions (/users/{id}/…) or, below /phone, at even ones (/phone/users/{id}/…).
    const isId = (i: number) => (p[0] === "phone" ? i >= 2 && i % 2 === 0 : i % 2 === 1);
    const route = `${method} /${p.map((seg, i) => (isId(i) ? "{id}" : seg)).join("/")}`;
    switch (route) {
      case "GET /users": {
        guard("user:read:list_users:admin", "medium");
        const status = q.get("status") ?? "active";
        const users = [...this.state.users.values()].filter((u) => u.status === status);
        const pg = paginate(users, q, 30, 300);
        return {
          status: 200,
          body: {
            next_page_token: pg.next,
            page_count: Math.max(1, Math.ceil(users.length / pg.size)),
            page_number: 1,
            page_size: pg.size,
            total_records: users.length,
            users: pg.items.map(userOut),
          },
        };
      }
      case "GET /users/{id}": {
        guard("user:read:user:admin", "light");
        const u = this.user(p[1]);
        return { status: 200, body: { ...userOut(u), account_id: "sim-account", phone_numbers: [] } };
      }
      case "PATCH /users/{id}": {
        guard("user:update:user:admin", "light");
        const u = this.user(p[1]);
        const b = objectBody(body);
        for (const k of ["first_name", "last_name", "display_name", "dept"] as const) {
          if (k in b) {
            if (typeof b[k] !== "string") {
              throw new HttpError(400, {
                code: 300,
                message: "Validation Failed.",
                errors: [{ field: k, message: "Invalid field." }],
              });
            }
            u[k] = b[k] as string;
          }
        }
        return { status: 204 };
      }
      case "GET /users/{id}/presence_status": {
        guard("user:read:user:admin", "light");
        const u = this.user(p[1]);
        return { status: 200, body: { status: u.presence.status } };
      }
      case "PUT /users/{id}/presence_status": {
        guard("user:update:presence_status:admin", "medium");
        const u = this.user(p[1]);
        const b = objectBody(body);
        const valid = [
          "Away",
          "Do_Not_Disturb",
          "Do_No_Disturb",
          "Available",
          "In_Calendar_Event",
          "Presenting",
          "In_A_Zoom_Meeting",
          "On_A_Call",
        ];
        if (typeof b.status !== "string" || !valid.includes(b.status)) {
          throw new HttpError(400, {
            code: 300,
            message: "Validation Failed.",
            errors: [{ field: "status", message: "Invalid field." }],
          });
        }
        const dnd = b.status === "Do_Not_Disturb" || b.status === "Do_No_Disturb";
        if (
          dnd &&
          b.duration !== undefined &&
          (typeof b.duration !== "number" || b.duration < 20 || b.duration > 1440)
        ) {
          throw new HttpError(400, {
            code: 300,
            message: "Validation Failed.",
            errors: [{ field: "duration", message: "Invalid field." }],
          });
        }
        const now = this.now();
        if (u.presence.at !== undefined && now - u.presence.at < 60_000) {
          // The spec states the rule (1 update a minute per user), not Zoom's exact answer.
          throw new HttpError(
            429,
            { code: 429, message: "You can only update the presence status once per minute for the same user." },
            { "Retry-After": String(Math.ceil((60_000 - (now - u.presence.at)) / 1000)) },
          );
        }
        u.presence = {
          status: dnd ? "Do_Not_Disturb" : b.status,
          duration: dnd ? ((b.duration as number | undefined) ?? 20) : undefined,
          at: now,
        };
        return { status: 204 };
      }
      case "POST /roles/{id}/members": {
        // Zoom's "Assign a role" (not in the spec): 201 {ids, add_at}. A user already in the role
        // gets 409 code 409 (our choice; Zoom's answer is undocumented), any other user moves.
        guard(ROLE_WRITE_SCOPES, "light");
        const roleId = p[1];
        if (!this.state.roles.has(roleId)) throw zerr(404, 404, "Role does not exist.");
        const b = objectBody(body);
        const members = Array.isArray(b.members) ? (b.members as unknown[]) : [];
        if (!members.length || members.length > 30) {
          throw new HttpError(400, {
            code: 300,
            message: "Validation Failed.",
            errors: [{ field: "members", message: "Invalid field." }],
          });
        }
        const users = members.map((m) => {
          const id = (m as { id?: unknown } | null)?.id;
          return this.user(typeof id === "string" ? id : "");
        });
        if (users.every((u) => u.role_id === roleId)) {
          throw zerr(409, 409, "User is already a member of this role.");
        }
        for (const u of users) u.role_id = roleId;
        return {
          status: 201,
          body: {
            ids: users.map((u) => u.id).join(","),
            add_at: new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, "Z"),
          },
        };
      }
      case "GET /phone/users": {
        guard("phone:read:list_users:admin", "medium");
        const users = [...this.state.users.values()];
        const pg = paginate(users, q, 30, 100);
        return {
          status: 200,
          body: {
            next_page_token: pg.next,
            page_size: pg.size,
            total_records: users.length,
            users: pg.items.map((u) => ({
              id: u.id,
              phone_user_id: `p${u.id}`,
              name: u.display_name,
              email: u.email,
              extension_id: u.extension_id,
              extension_number: u.extension_number,
              status: "activate",
              activation_status: "activated",
              site: { id: "site1", name: "Main" },
              phone_numbers: [],
              calling_plans: [{ name: "US/CA Metered Calling Plan", type: 100 }],
              department: u.dept,
              cost_center: "",
            })),
          },
        };
      }
      case "GET /phone/common_areas": {
        guard("phone:read:common_area:admin", "medium");
        const cas = [...this.state.commonAreas.values()];
        const pg = paginate(cas, q, 30, 100);
        return {
          status: 200,
          body: {
            common_areas: pg.items.map((c) => ({
              id: c.id,
              display_name: c.display_name,
              extension_number: c.extension_number,
              status: "online",
              site: { id: "site1", name: "Main" },
              phone_numbers: [],
              calling_plans: [],
              desk_phones: [],
            })),
            next_page_token: pg.next,
            page_size: pg.size,
          },
        };
      }
      case "GET /phone/common_areas/{id}": {
        guard("phone:read:common_area:admin", "light");
        const c = this.state.commonAreas.get(p[2]);
        if (!c) throw zerr(400, 404, "Common area does not exist.");
        return { status: 200, body: { ...c, status: "online" } };
      }
      case "PATCH /phone/common_areas/{id}": {
        guard("phone:update:common_area:admin", "light");
        const c = this.state.commonAreas.get(p[2]);
        // Spec §1.5: PATCH answers 400 with code 404 for a missing common area.
        if (!c) throw zerr(400, 404, "Common area does not exist.");
        const b = objectBody(body);
        if (typeof b.display_name === "string") c.display_name = b.display_name;
        if (typeof b.department === "string") c.department = b.department;
        const ic = (b.policy as { international_calling?: { enable?: unknown } } | undefined)?.international_calling;
        if (typeof ic?.enable === "boolean") c.policy.international_calling.enable = ic.enable;
        return { status: 204 };
      }
      case "GET /phone/users/{id}/voice_mails": {
        guard("phone:read:list_voicemails:admin", "medium");
        const u = this.state.users.get(p[2]);
        if (!u) throw zerr(404, 1001, "User does not exist.");
        const status = q.get("status") ?? "all";
        const all = [...this.state.voicemails.values()].filter(
          (m) => m.userId === u.id && (status === "all" || m.status === status),
        );
        const pg = paginate(all, q, 30, 300);
        return {
          status: 200,
          body: {
            next_page_token: pg.next,
            page_count: Math.max(1, Math.ceil(all.length / pg.size)),
            page_size: pg.size,
            total_records: all.length,
            voice_mails: pg.items.map((m) => ({
              id: m.id,
              call_id: `call-${m.id}`,
              caller_name: "Caller",
              caller_number: m.caller_number,
              caller_number_type: 2,
              callee_name: u.display_name,
              callee_number: String(u.extension_number),
              callee_number_type: 1,
              date_time: m.date_time,
              duration: 18,
              status: m.status,
              download_url: `http://sim/voicemail/${m.id}`,
            })),
          },
        };
      }
      case "DELETE /phone/voice_mails/{id}": {
        guard("phone:delete:voicemail:admin", "light");
        if (!this.state.voicemails.delete(p[2])) throw zerr(404, 404, "Voicemail does not exist.");
        return { status: 204 };
      }
      case "GET /phone/devices": {
        guard("phone:read:list_devices:admin", "medium");
        if (q.get("type") !== "assigned" && q.get("type") !== "unassigned") {
          throw new HttpError(400, {
            code: 300,
            message: "Validation Failed.",
            errors: [{ field: "type", message: "Invalid field." }],
          });
        }
        return { status: 200, body: { devices: [], next_page_token: "", page_size: 30, total_records: 0 } };
      }
      default:
        throw zerr(404, 404, `No route for ${method} ${url.pathname}.`);
    }
  }

  private user(id: string): SimUser {
    const u = this.state.users.get(id);
    if (!u) throw zerr(404, 1001, "User does not exist.");
    return u;
  }
}

function cap(c: Category): string {
  return c[0].toUpperCase() + c.slice(1);
}

function userOut(u: SimUser) {
  return {
    id: u.id,
    email: u.email,
    first_name: u.first_name,
    last_name: u.last_name,
    display_name: u.display_name,
    type: u.type,
    status: u.status,
    dept: u.dept,
    timezone: "Europe/Rome",
    pmi: 0,
    role_id: u.role_id,
    verified: 1,
    created_at: "2026-01-01T00:00:00Z",
    last_login_time: "2026-01-01T00:00:00Z",
    group_ids: [],
    employee_unique_id: "",
  };
}

function objectBody(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw zerr(400, 300, "Request Body should be a valid JSON object.");
  }
  return body as Record<string, unknown>;
}

/** Opaque page tokens: base64 of the offset; "" on the last page (as Zoom). */
function paginate<T>(items: T[], q: URLSearchParams, def: number, max: number) {
  const asked = Number(q.get("page_size") ?? def);
  const size = Number.isInteger(asked) && asked > 0 ? Math.min(asked, max) : def;
  const tok = q.get("next_page_token");
  let offset = 0;
  if (tok) {
    const m = /^off:(\d+)$/.exec(safeAtob(tok));
    if (!m) throw zerr(400, 400, "Invalid next_page_token.");
    offset = Number(m[1]);
  }
  const slice = items.slice(offset, offset + size);
  const next = offset + size < items.length ? btoa(`off:${offset + size}`) : "";
  return { items: slice, next, size };
}

function safeAtob(s: string): string {
  try {
    return atob(s);
  } catch {
    return "";
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
