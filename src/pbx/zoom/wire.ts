/**
 * @module pbx/zoom/wire
 * Every Zoom URL, request body and response shape the driver uses, in one place, following
 * the Zoom Phone API reference as the product research read it. When the real API disagrees,
 * correct it here.
 */

/** Rate-limit label of a call (Zoom's table): our token bucket paces "medium" calls. */
export type RateCategory = "light" | "medium" | "heavy";

export interface WireRequest {
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  /** Path below `{api_url}/v2`, with the query string. */
  path: string;
  body?: unknown;
  category: RateCategory;
}

// ---- token (§1.1) ----------------------------------------------------------------------------------

export function tokenUrl(base: string): string {
  return `${base.replace(/\/+$/, "")}/oauth/token`;
}

/** Form body of the token request (sent in the body: the query-string variant is reported to fail). */
export function tokenForm(accountId: string): URLSearchParams {
  return new URLSearchParams({ grant_type: "account_credentials", account_id: accountId });
}

export function basicAuth(clientId: string, clientSecret: string): string {
  return `Basic ${btoa(`${clientId}:${clientSecret}`)}`;
}

export interface TokenResponse {
  accessToken: string;
  expiresInSeconds: number;
  scopes: string[];
  /** Regional API host, without /v2. */
  apiUrl: string;
}

export function parseTokenResponse(json: unknown): TokenResponse {
  const o = asObject(json);
  const accessToken = o.access_token;
  if (typeof accessToken !== "string" || !accessToken) throw new Error("token response without access_token");
  const expires = typeof o.expires_in === "number" ? o.expires_in : 3599;
  const scope = typeof o.scope === "string" ? o.scope : "";
  const apiUrl = typeof o.api_url === "string" && o.api_url ? o.api_url : "https://api.zoom.us";
  return {
    accessToken,
    expiresInSeconds: expires,
    scopes: scope.split(/\s+/).filter(Boolean),
    apiUrl: apiUrl.replace(/\/+$/, ""),
  };
}

/** Token error body: `{"reason":"Invalid client_id or client_secret","error":"invalid_client"}`. */
export function tokenErrorText(json: unknown): string {
  const o = asObject(json);
  const parts = [o.error, o.reason].filter((x) => typeof x === "string");
  return parts.length ? parts.join(": ") : "token request refused";
}

export function apiBase(apiUrl: string): string {
  return `${apiUrl}/v2`;
}

// ---- errors (§1.2) ---------------------------------------------------------------------------------

export interface ZoomErrorBody {
  code?: number;
  message?: string;
}

export function parseErrorBody(json: unknown): ZoomErrorBody {
  const o = asObject(json);
  return {
    code: typeof o.code === "number" ? o.code : undefined,
    message: typeof o.message === "string" ? o.message : undefined,
  };
}

/** Zoom code 124: invalid or expired access token. */
export const ZOOM_INVALID_TOKEN = 124;

/**
 * "Not found": HTTP 404, or codes Zoom uses for a missing object (1001 user does not exist,
 * PATCH /phone/common_areas answers HTTP 400 with code 404).
 */
export function isNotFound(status: number, body: ZoomErrorBody): boolean {
  return status === 404 || (status === 400 && (body.code === 404 || body.code === 1001));
}

// ---- rate limits (§1.3) ----------------------------------------------------------------------------

/** Milliseconds to wait after a 429, from Retry-After (seconds or a date) and X-RateLimit-Type. */
export function retryAfterMs(headers: Headers, now: number): number {
  const type = headers.get("x-ratelimit-type");
  const ra = headers.get("retry-after");
  let ms: number | undefined;
  if (ra !== null && ra.trim() !== "") {
    const t = ra.trim();
    if (/^\d+(\.\d+)?$/.test(t)) ms = Number(t) * 1000;
    else {
      const at = Date.parse(t);
      if (!Number.isNaN(at)) ms = Math.max(0, at - now);
    }
  }
  if (type?.toLowerCase() === "daily-limit") {
    // Daily counters reset at 00:00 UTC; trust a later Retry-After, never an earlier one.
    const midnight = nextUtcMidnight(now) - now;
    return Math.max(ms ?? 0, midnight);
  }
  return ms ?? 1000;
}

export function nextUtcMidnight(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
}

// ---- scopes (seed: "Scopes") ----------------------------------------------------------------------

export const requiredScopes = [
  "user:read:user:admin",
  "user:read:list_users:admin",
  "user:update:user:admin",
  "phone:read:list_devices:admin",
  "phone:read:device:admin",
  "phone:read:list_users:admin",
] as const;

export const optionalScopes = {
  /** Caller id on devices: not used by the driver yet. */
  updateDevice: "phone:update:device:admin",
  presence: "user:update:presence_status:admin",
  listVoicemails: "phone:read:list_voicemails:admin",
  deleteVoicemail: "phone:delete:voicemail:admin",
  readCommonArea: "phone:read:common_area:admin",
  updateCommonArea: "phone:update:common_area:admin",
  /** Role assignment (class of service on users): either of the two will do. */
  assignRole: "role:write:admin",
  assignRoleMember: "role:write:member:admin",
} as const;

/** Scopes of which one lets the app assign roles (the macro and the granular name). */
export const roleScopes: readonly string[] = [optionalScopes.assignRole, optionalScopes.assignRoleMember];

// ---- users (§1.4) ----------------------------------------------------------------------------------

export const PAGE_SIZE_USERS = 300;
export const PAGE_SIZE_PHONE = 100;

function pageQuery(pageSize: number, token: string | undefined): string {
  const q = new URLSearchParams({ page_size: String(pageSize) });
  if (token) q.set("next_page_token", token);
  return q.toString();
}

export function listUsers(pageToken?: string): WireRequest {
  return { method: "GET", path: `/users?${pageQuery(PAGE_SIZE_USERS, pageToken)}`, category: "medium" };
}

/** Name split: first word → first_name, the rest → last_name (the extension ends up in last_name). */
export function splitName(name: string): { first_name: string; last_name: string; display_name: string } {
  const words = name.trim().split(/\s+/).filter(Boolean);
  return {
    first_name: words[0] ?? "",
    last_name: words.slice(1).join(" "),
    display_name: words.join(" "),
  };
}

/** PATCH /users/{id} → 204. `dept` only when the department option sets one. */
export function updateUser(id: string, fields: { name?: string; dept?: string }): WireRequest {
  const body: Record<string, string> = {};
  if (fields.name !== undefined) Object.assign(body, splitName(fields.name));
  if (fields.dept !== undefined) body.dept = fields.dept;
  return { method: "PATCH", path: `/users/${encodeURIComponent(id)}`, body, category: "light" };
}

/** DND on: the longest duration Zoom takes (minutes). */
export const DND_MAX_MINUTES = 1440;

/** PUT /users/{id}/presence_status → 204. */
export function updatePresence(id: string, dnd: boolean): WireRequest {
  return {
    method: "PUT",
    path: `/users/${encodeURIComponent(id)}/presence_status`,
    body: dnd ? { status: "Do_Not_Disturb", duration: DND_MAX_MINUTES } : { status: "Available" },
    category: "medium",
  };
}

// ---- roles (not in the spec: Zoom's "Assign a role" API) ------------------------------------------

/**
 * POST /roles/{roleId}/members → 201 `{"ids": "...", "add_at": "..."}`. Scopes `role:write:admin`
 * (granular `role:write:member:admin`). Rate label assumed light.
 */
export function assignRole(roleId: string, userId: string): WireRequest {
  return {
    method: "POST",
    path: `/roles/${encodeURIComponent(roleId)}/members`,
    body: { members: [{ id: userId }] },
    category: "light",
  };
}

/**
 * Zoom's answer when the user already has the role is not documented. We take HTTP 409 (any code),
 * or a 400 whose message says "already", as "already a member": the assignment is then done. The
 * simulator answers 409 code 409 "User is already a member of this role.".
 */
export function isAlreadyRoleMember(status: number, body: ZoomErrorBody): boolean {
  return status === 409 || (status === 400 && /already/i.test(body.message ?? ""));
}

// ---- phone (§1.5) ----------------------------------------------------------------------------------

export function listPhoneUsers(pageToken?: string): WireRequest {
  return { method: "GET", path: `/phone/users?${pageQuery(PAGE_SIZE_PHONE, pageToken)}`, category: "medium" };
}

export function listCommonAreas(pageToken?: string): WireRequest {
  return { method: "GET", path: `/phone/common_areas?${pageQuery(PAGE_SIZE_PHONE, pageToken)}`, category: "medium" };
}

/** PATCH /phone/common_areas/{id} → 204. */
export function updateCommonArea(
  id: string,
  fields: { name?: string; department?: string; internationalCalling?: boolean },
): WireRequest {
  const body: Record<string, unknown> = {};
  if (fields.name !== undefined) body.display_name = fields.name.trim().split(/\s+/).join(" ");
  if (fields.department !== undefined) body.department = fields.department;
  if (fields.internationalCalling !== undefined) {
    body.policy = { international_calling: { enable: fields.internationalCalling } };
  }
  return { method: "PATCH", path: `/phone/common_areas/${encodeURIComponent(id)}`, body, category: "light" };
}

export function listVoicemails(userId: string, pageToken?: string): WireRequest {
  return {
    method: "GET",
    path: `/phone/users/${encodeURIComponent(userId)}/voice_mails?${pageQuery(PAGE_SIZE_USERS, pageToken)}`,
    category: "medium",
  };
}

export function deleteVoicemail(id: string): WireRequest {
  return { method: "DELETE", path: `/phone/voice_mails/${encodeURIComponent(id)}`, category: "light" };
}

export interface Page<T> {
  items: T[];
  /** Empty string or absent = last page. */
  next: string;
}

export interface PhoneUserRow {
  id: string;
  extension: string;
  name: string;
  /** The Zoom site the extension belongs to (`site.name`), "" when the list does not say. */
  site: string;
}
export interface CommonAreaRow {
  id: string;
  extension: string;
  name: string;
  site: string;
}

function siteName(o: Record<string, unknown>): string {
  const site = o.site;
  return site && typeof site === "object" && typeof (site as { name?: unknown }).name === "string"
    ? (site as { name: string }).name
    : "";
}
export interface VoicemailRow {
  id: string;
}

function page<T>(json: unknown, key: string, map: (o: Record<string, unknown>) => T | undefined): Page<T> {
  const o = asObject(json);
  const list = Array.isArray(o[key]) ? (o[key] as unknown[]) : [];
  const items: T[] = [];
  for (const x of list) {
    const row = map(asObject(x));
    if (row !== undefined) items.push(row);
  }
  return { items, next: typeof o.next_page_token === "string" ? o.next_page_token : "" };
}

/** `extension_number` is an integer on the wire; we key by its decimal string. */
function ext(v: unknown): string | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  if (typeof v === "string" && v) return v;
  return undefined;
}

export function parsePhoneUsers(json: unknown): Page<PhoneUserRow> {
  return page(json, "users", (u) => {
    const e = ext(u.extension_number);
    if (typeof u.id !== "string" || e === undefined) return undefined;
    return { id: u.id, extension: e, name: typeof u.name === "string" ? u.name : "", site: siteName(u) };
  });
}

export function parseCommonAreas(json: unknown): Page<CommonAreaRow> {
  return page(json, "common_areas", (c) => {
    const e = ext(c.extension_number);
    if (typeof c.id !== "string" || e === undefined) return undefined;
    return {
      id: c.id,
      extension: e,
      name: typeof c.display_name === "string" ? c.display_name : "",
      site: siteName(c),
    };
  });
}

export function parseVoicemails(json: unknown): Page<VoicemailRow> {
  return page(json, "voice_mails", (m) => (typeof m.id === "string" ? { id: m.id } : undefined));
}

function asObject(x: unknown): Record<string, unknown> {
  return x !== null && typeof x === "object" && !Array.isArray(x) ? (x as Record<string, unknown>) : {};
}
