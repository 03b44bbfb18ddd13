/**
 * @module sim/snom/outbound
 * The phone's own HTTP GETs (action URLs, minibrowser fetches), sent from the phone's address: a
 * phone simulated on 127.0.0.3 connects from 127.0.0.3, as a real phone connects from its own IP.
 * Whoever it calls can therefore tell the phones apart by the request's source address (the
 * appliance accepts a phone's events only from that phone). A phone listening on a wildcard address
 * sends from wherever the routing table says; so does a phone calling a host name, or a loopback
 * phone calling a non-loopback address (a loopback source cannot reach it). node:http, not fetch: fetch cannot choose the local address.
 * One connection per request (no keep-alive, as a phone's small HTTP client does).
 */
import { Buffer } from "node:buffer";
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";

export interface OutboundReply {
  status: number;
  body: string;
}

const MAX_BODY_BYTES = 1024 * 1024;

function isLoopback(ip: string): boolean {
  return ip.startsWith("127.") || ip === "::1";
}

/**
 * The local address to send from toward `targetHost`, or undefined to let the system choose: the
 * phone's listening address when the target is an IP literal of the same family and both are
 * loopback or both are not (a host name may resolve to either family).
 */
export function sourceAddress(listenHost: string | undefined, targetHost: string): string | undefined {
  if (!listenHost || listenHost === "0.0.0.0" || listenHost === "::") return undefined;
  const family = isIP(listenHost);
  const target = targetHost.replace(/^\[|\]$/g, "");
  if (family === 0 || isIP(target) !== family) return undefined;
  return isLoopback(listenHost) === isLoopback(target) ? listenHost : undefined;
}

/**
 * GETs `url` with `headers`, from `listenHost` when it makes sense (sourceAddress); rejects on a
 * network error or after `timeoutMs`. Any HTTP status resolves.
 */
export function phoneGet(
  url: string,
  opts: { headers?: Record<string, string>; timeoutMs: number; listenHost?: string },
): Promise<OutboundReply> {
  const u = new URL(url);
  // Loaded here, not imported: the compiled binary loads every imported built-in at its start.
  const send =
    u.protocol === "https:"
      ? process.getBuiltinModule("node:https").request
      : u.protocol === "http:"
        ? process.getBuiltinModule("node:http").request
        : undefined;
  if (!send) return Promise.reject(new Error(`not an http URL: ${url}`));
  const localAddress = sourceAddress(opts.listenHost, u.hostname);
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (err: Error | null, reply?: OutboundReply) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(reply as OutboundReply);
    };
    const req = send(
      {
        protocol: u.protocol,
        hostname: u.hostname.replace(/^\[|\]$/g, ""),
        port: u.port || undefined,
        path: `${u.pathname}${u.search}`,
        method: "GET",
        headers: { Connection: "close", ...opts.headers },
        agent: false,
        ...(localAddress ? { localAddress } : {}),
      },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size <= MAX_BODY_BYTES) chunks.push(c);
        });
        res.on("end", () =>
          finish(null, { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", (err) => finish(err));
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      finish(new Error(`timed out after ${opts.timeoutMs} ms`));
    }, opts.timeoutMs);
    req.on("error", (err) => finish(err));
    req.end();
  });
}
