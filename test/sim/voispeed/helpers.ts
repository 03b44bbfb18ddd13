/** Shared by the VOIspeed simulator tests: a simulator on 127.0.0.1, a request helper, an event listener. */
import { createServer, get as httpGet, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after } from "node:test";
import { type VoispeedSimOptions, VoispeedSimulator } from "../../../src/sim/voispeed/simulator.ts";

const closers: (() => Promise<void>)[] = [];
after(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

export const TOKEN = "sim-token";

/** All trimmed values of `<tag>` in document order (the simulator pads them, clients must trim). */
export function values(xml: string, tag: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, "g"))].map((m) => m[1].trim());
}

export function value(xml: string, tag: string): string | undefined {
  return values(xml, tag)[0];
}

/** The `<outcome>` directly under `<result>` (the first one). */
export function outcome(xml: string): string | undefined {
  return value(xml, "outcome");
}

export async function startSim(opts: VoispeedSimOptions = {}) {
  const sim = new VoispeedSimulator({ asyncDelayMs: 5, ...opts });
  closers.push(() => sim.close());
  const port = await sim.listen(0, "127.0.0.1");
  const base = `http://127.0.0.1:${port}`;
  const url = (params: Record<string, string>) =>
    `${base}${sim.path}?${new URLSearchParams({ token: TOKEN, ...params })}`;
  const get = async (params: Record<string, string>) => {
    const res = await fetch(url(params));
    return { status: res.status, type: res.headers.get("content-type") ?? "", text: await res.text() };
  };
  const post = async (params: Record<string, string>, form: FormData) => {
    const res = await fetch(url(params), { method: "POST", body: form });
    return { status: res.status, text: await res.text() };
  };
  const control = async (path: string, params: Record<string, string> = {}) => {
    const res = await fetch(`${base}/sim/${path}?${new URLSearchParams({ token: TOKEN, ...params })}`);
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  return { sim, base, port, url, get, post, control };
}

export interface Received {
  path: string;
  query: URLSearchParams;
}

/** A local HTTP listener that records each GET and answers `status` (changeable) with `body`. */
export async function listener(opts: { status?: number; body?: string | ((r: Received) => string) } = {}) {
  const got: Received[] = [];
  const state = { status: opts.status ?? 200 };
  const server: Server = createServer((req: IncomingMessage, res) => {
    const u = new URL(req.url ?? "/", "http://x");
    const r = { path: u.pathname, query: u.searchParams };
    got.push(r);
    const body = typeof opts.body === "function" ? opts.body(r) : (opts.body ?? "ok");
    res.writeHead(state.status, { "Content-Type": "text/plain" }).end(body);
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

/** event_name of each received notification, with its family's event_type. */
export function names(got: Received[]): string[] {
  return got.map((r) => `${r.query.get("event_type")}:${r.query.get("event_name")}`);
}

/**
 * A GET on a connection of its own: Bun's fetch retries a GET whose reused keep-alive connection is
 * dropped, which would hide a "drop" fault.
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
