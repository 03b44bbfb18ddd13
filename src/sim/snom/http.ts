/**
 * @module sim/snom/http
 * One request to a phone, in this order: `/sim/…` control (no authentication, never faulted), then
 * an injected fault (hang: never answered; drop: the connection closed; 500; 401 with a challenge even
 * for the right credentials; slow: answered after the delay), then authentication, then the page.
 * Parameters are read from the query string only, whatever the method (SNOM control is GET). Every
 * request is logged once, when answered (or when left hanging or dropped).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { errorMessage } from "../../lib/errors.ts";
import type { AuthResult } from "./auth.ts";
import type { Faults } from "./faults.ts";
import type { SnomRequest } from "./model.ts";
import { type PagePhone, servePage } from "./pages.ts";

/** What the HTTP side needs of the phone. */
export interface HttpPhone extends PagePhone {
  readonly index: number;
  readonly ip: string;
  readonly faults: Faults;
  clock(): number;
  nextSeq(): number;
  authenticate(method: string, target: string, header: string | undefined): AuthResult;
  challenge(): string;
  /** null when the control is off. */
  control(path: string, query: URLSearchParams): Promise<{ status: number; body: unknown }> | null;
  record(rec: SnomRequest): void;
}

const SLOW_DEFAULT_MS = 2000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const page = (text: string) => `<html><body>${text}</body></html>\n`;

export function handleRequest(phone: HttpPhone, req: IncomingMessage, res: ServerResponse): void {
  serve(phone, req, res).catch((err) => {
    if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain" });
    res.end(`simulator error: ${errorMessage(err)}`);
  });
}

async function serve(phone: HttpPhone, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const target = req.url ?? "/";
  const url = new URL(target, "http://phone");
  const rec: SnomRequest = {
    seq: phone.nextSeq(),
    at: phone.clock(),
    phone: phone.index,
    ip: phone.ip,
    method: req.method ?? "GET",
    path: url.pathname,
    query: url.search.slice(1),
    params: Object.fromEntries(url.searchParams),
    auth: "none",
    status: 0,
    effects: [],
    unknownKeys: [],
  };
  const send = (status: number, body: string, headers: Record<string, string> = {}) => {
    rec.status = status;
    res.writeHead(status, { "Content-Type": "text/html", ...headers }).end(body);
    phone.record(rec);
  };
  const control = url.pathname.startsWith("/sim/") ? phone.control(url.pathname, url.searchParams) : null;
  if (control) {
    const r = await control;
    return send(r.status, `${JSON.stringify(r.body)}\n`, { "Content-Type": "application/json" });
  }
  const fault = phone.faults.take(url.pathname);
  if (fault) {
    rec.fault = fault.kind;
    switch (fault.kind) {
      case "hang":
      case "drop":
        if (fault.kind === "drop") req.socket.destroy();
        rec.effects.push(fault.kind === "hang" ? "no answer (hang)" : "connection dropped");
        return phone.record(rec);
      case "500":
        return send(500, page("Internal Server Error"));
      case "401":
        rec.auth = "wrong";
        return send(401, page("Unauthorized"), { "WWW-Authenticate": phone.challenge() });
      case "slow":
        await sleep(fault.ms ?? SLOW_DEFAULT_MS);
        rec.effects.push(`slow: ${fault.ms ?? SLOW_DEFAULT_MS} ms`);
    }
  }
  const auth = phone.authenticate(rec.method, target, req.headers.authorization);
  rec.auth = auth.outcome;
  if (!auth.ok) {
    rec.effects.push(`authentication ${auth.outcome}`);
    return send(401, page("Unauthorized"), { "WWW-Authenticate": auth.challenge });
  }
  const result = servePage(phone, url.pathname, url.searchParams, rec);
  send(result.status, result.body);
  if (result.after) res.once("finish", result.after);
}
