/**
 * Shared by the SNOM simulator tests: a phone (or a simulator) on loopback, an HTTP client with Basic
 * or Digest written here independently of the simulator, a local listener for action URLs and for
 * minibrowser documents, and waiting helpers.
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer, get as httpGet, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after } from "node:test";
import type { SnomPhoneOptions } from "../../../src/sim/snom/model.ts";
import { SnomPhone } from "../../../src/sim/snom/phone.ts";
import { type SnomSimOptions, SnomSimulator } from "../../../src/sim/snom/simulator.ts";

const closers: (() => Promise<void>)[] = [];
after(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

export interface Reply {
  status: number;
  type: string;
  text: string;
  wwwAuthenticate: string | null;
}

export interface Auth {
  user: string;
  password: string;
  scheme: "basic" | "digest";
}

const md5 = (s: string) => createHash("md5").update(s).digest("hex");

function params(header: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of header.matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]+))/g)) out[m[1].toLowerCase()] = m[2] ?? m[3];
  return out;
}

/** An Authorization header answering a Digest challenge (RFC 7616, MD5, qop=auth). */
export function digestHeader(
  challenge: string,
  auth: { user: string; password: string },
  method: string,
  uri: string,
  nc = "00000001",
): string {
  const p = params(challenge);
  const cnonce = randomBytes(8).toString("hex");
  const ha1 = md5(`${auth.user}:${p.realm}:${auth.password}`);
  const ha2 = md5(`${method}:${uri}`);
  const response = md5(`${ha1}:${p.nonce}:${nc}:${cnonce}:auth:${ha2}`);
  return `Digest username="${auth.user}", realm="${p.realm}", nonce="${p.nonce}", uri="${uri}", algorithm=MD5, qop=auth, nc=${nc}, cnonce="${cnonce}", response="${response}"`;
}

async function reply(res: Response): Promise<Reply> {
  return {
    status: res.status,
    type: res.headers.get("content-type") ?? "",
    text: await res.text(),
    wwwAuthenticate: res.headers.get("www-authenticate"),
  };
}

/** GET base+path; Basic credentials up front, Digest after the 401 challenge (as clients do). */
export async function get(base: string, path: string, auth?: Auth): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (auth?.scheme === "basic") {
    headers.Authorization = `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString("base64")}`;
  }
  const first = await reply(await fetch(`${base}${path}`, { headers }));
  if (auth?.scheme !== "digest" || first.status !== 401 || !first.wwwAuthenticate?.startsWith("Digest")) return first;
  headers.Authorization = digestHeader(first.wwwAuthenticate, auth, "GET", path);
  return reply(await fetch(`${base}${path}`, { headers }));
}

export async function startPhone(opts: SnomPhoneOptions = {}, host = "127.0.0.1") {
  const phone = new SnomPhone({ actionTimeoutMs: 1000, fetchTimeoutMs: 1000, rebootMs: 50, ...opts });
  closers.push(() => phone.close());
  const port = await phone.listen(0, host);
  const base = `http://${host}:${port}`;
  return { phone, port, base, get: (path: string, auth?: Auth) => get(base, path, auth) };
}

export async function startSim(opts: SnomSimOptions = {}, port = 0, host = "127.0.0.2") {
  const sim = new SnomSimulator({ actionTimeoutMs: 1000, fetchTimeoutMs: 1000, rebootMs: 50, ...opts });
  closers.push(() => sim.close());
  const addresses = await sim.listen(port, host);
  return { sim, addresses };
}

export interface Received {
  path: string;
  query: URLSearchParams;
  url: string;
  authorization: string | undefined;
  /** The client's address (the phone's own, for action URLs and fetches). */
  remote: string | undefined;
}

/** A local HTTP server recording each request; answers `status` (changeable) with `body(r)`. */
export async function listener(
  opts: { status?: number; body?: string | ((r: Received) => string); type?: string } = {},
) {
  const got: Received[] = [];
  const state = { status: opts.status ?? 200 };
  const server: Server = createServer((req: IncomingMessage, res) => {
    const u = new URL(req.url ?? "/", "http://x");
    const r = {
      path: u.pathname,
      query: u.searchParams,
      url: req.url ?? "/",
      authorization: req.headers.authorization,
      remote: req.socket.remoteAddress,
    };
    got.push(r);
    const body = typeof opts.body === "function" ? opts.body(r) : (opts.body ?? "ok");
    res.writeHead(state.status, { "Content-Type": opts.type ?? "text/plain" }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { got, url, state };
}

export async function waitFor<T>(read: () => T | undefined | null | false, what = "condition", ms = 3000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = read();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * A GET on a connection of its own, with a time-out: Bun's fetch retries a GET whose reused
 * keep-alive connection is dropped, which would hide a "drop" fault.
 */
export function freshGet(url: string, timeoutMs = 2000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

/** The action-URL events a listener received, by their `ev` query parameter. */
export const evs = (got: Received[]) => got.map((r) => r.query.get("ev"));
