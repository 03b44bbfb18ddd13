/** @module sim/zoom/http: small helpers of the Zoom simulator's request handling. */
import { Buffer } from "node:buffer";
import type { IncomingMessage } from "node:http";
import { type Category, type SimUser, zerr } from "./model.ts";

export function cap(c: Category): string {
  return c[0].toUpperCase() + c.slice(1);
}

export function userOut(u: SimUser) {
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

export function objectBody(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw zerr(400, 300, "Request Body should be a valid JSON object.");
  }
  return body as Record<string, unknown>;
}

/** Opaque page tokens: base64 of the offset; "" on the last page (as Zoom). */
export function paginate<T>(items: T[], q: URLSearchParams, def: number, max: number) {
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

export function safeAtob(s: string): string {
  try {
    return atob(s);
  } catch {
    return "";
  }
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
