/**
 * @module pbx/snom/transport
 * One HTTP/1.1 GET to a phone on a fresh connection, answering status, headers and (a bounded part
 * of) the body. pbx/http.ts answers no headers, and a phone's 401 must be read for its
 * `WWW-Authenticate` (Basic or Digest), so the phones get this small client; like pbx/http.ts it
 * runs on node:net / node:tls (Bun and Deno alike) and never on fetch.
 *
 * TLS: the phone is addressed by IP and its certificate names a MAC or a model, so the host name is
 * never checked. With a CA (`ca`), the chain must verify against it; without one the certificate is
 * taken as it is (pbx/snom/config.ts says why).
 *
 * Errors are `SnomError`s (pbx/snom/client.ts) built by the caller from `TransportFailure`.
 */
import { Buffer } from "node:buffer";
import { connect as netConnect, type Socket } from "node:net";

export interface PhoneHttpRequest {
  scheme: "http" | "https";
  host: string;
  port: number;
  /** Path and query, as sent on the request line. */
  target: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** PEM CA for https; undefined = the certificate is not verified. */
  ca?: string;
}

export interface PhoneHttpResponse {
  status: number;
  /** Lower-case header names; a header sent several times has several values. */
  headers: Map<string, string[]>;
  /** At most MAX_BODY bytes of it, as UTF-8. */
  body: string;
}

export type TransportFailureKind = "timeout" | "unreachable" | "tls" | "protocol";

export class TransportFailure extends Error {
  constructor(
    readonly kind: TransportFailureKind,
    message: string,
  ) {
    super(message);
    this.name = "TransportFailure";
  }
}

/** Bodies are HTML pages nobody reads; more than this is dropped (the status decides). */
export const MAX_BODY = 256 * 1024;
const MAX_HEAD = 32 * 1024;

export function phoneGet(req: PhoneHttpRequest): Promise<PhoneHttpResponse> {
  return new Promise((resolve, reject) => {
    let done = false;
    let socket: Socket | undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (err: Error | null, res?: PhoneHttpResponse) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket?.destroy();
      if (err) reject(err);
      else resolve(res as PhoneHttpResponse);
    };
    const timer = setTimeout(
      () => finish(new TransportFailure("timeout", `did not answer within ${req.timeoutMs} ms`)),
      req.timeoutMs,
    );
    const send = () => {
      let head = `GET ${req.target} HTTP/1.1\r\nHost: ${hostHeader(req.host, req.port, req.scheme)}\r\n`;
      for (const [k, val] of Object.entries(req.headers)) head += `${k}: ${val}\r\n`;
      head += "Connection: close\r\n\r\n";
      socket?.write(Buffer.from(head, "latin1"));
    };
    const tryParse = (atEnd: boolean) => {
      const res = parseHttpResponse(Buffer.concat(chunks), atEnd);
      if (res instanceof Error) finish(res);
      else if (res) finish(null, res);
      else if (atEnd) finish(new TransportFailure("protocol", "closed the connection before a complete answer"));
    };
    try {
      if (req.scheme === "https") {
        // node:tls loaded here, not imported: the compiled binary loads every imported built-in at its start.
        const tls = process.getBuiltinModule("node:tls").connect({
          host: req.host,
          port: req.port,
          ...(req.ca ? { ca: req.ca, rejectUnauthorized: true } : { rejectUnauthorized: false }),
          // By IP: the certificate names a MAC or a model, never the address (see the header).
          checkServerIdentity: () => undefined,
        });
        socket = tls;
        tls.once("secureConnect", send);
      } else {
        socket = netConnect({ host: req.host, port: req.port }, send);
      }
    } catch (err) {
      finish(new TransportFailure("unreachable", (err as Error).message));
      return;
    }
    socket.on("data", (b: Buffer) => {
      chunks.push(b);
      size += b.length;
      if (size > MAX_BODY + MAX_HEAD) tryParse(true);
      else tryParse(false);
    });
    socket.once("end", () => tryParse(true));
    socket.once("close", () => tryParse(true));
    socket.once("error", (err: Error & { code?: string }) => {
      const tlsProblem = req.scheme === "https" && /CERT|SELF_SIGNED|UNABLE_TO|SSL|TLS/i.test(err.code ?? "");
      if (tlsProblem) finish(new TransportFailure("tls", `certificate not accepted: ${err.message}`));
      else if (size > 0) tryParse(true);
      else finish(new TransportFailure("unreachable", `${err.code ?? ""} ${err.message}`.trim()));
    });
  });
}

function hostHeader(host: string, port: number, scheme: "http" | "https"): string {
  const h = host.includes(":") ? `[${host}]` : host;
  return port === (scheme === "https" ? 443 : 80) ? h : `${h}:${port}`;
}

/**
 * A complete response, null when more bytes are needed, or a TransportFailure for a malformed one.
 * `atEnd`: nothing more will come (the body then runs to here, cut at MAX_BODY).
 */
export function parseHttpResponse(buf: Buffer, atEnd: boolean): PhoneHttpResponse | null | TransportFailure {
  const headEnd = buf.indexOf("\r\n\r\n");
  if (headEnd < 0) {
    if (atEnd || buf.length > MAX_HEAD) return new TransportFailure("protocol", "sent a malformed HTTP answer");
    return null;
  }
  const lines = buf.subarray(0, headEnd).toString("latin1").split("\r\n");
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "");
  if (!m) {
    return new TransportFailure("protocol", `sent a malformed status line: ${JSON.stringify(lines[0]?.slice(0, 80))}`);
  }
  const headers = new Map<string, string[]>();
  for (const line of lines.slice(1)) {
    const c = line.indexOf(":");
    if (c <= 0) continue;
    const name = line.slice(0, c).trim().toLowerCase();
    const list = headers.get(name);
    const value = line.slice(c + 1).trim();
    if (list) list.push(value);
    else headers.set(name, [value]);
  }
  const status = Number(m[1]);
  const rest = buf.subarray(headEnd + 4);
  const out = (body: Buffer): PhoneHttpResponse => ({
    status,
    headers,
    body: body.subarray(0, MAX_BODY).toString("utf8"),
  });
  if (/chunked/i.test(headers.get("transfer-encoding")?.join(",") ?? "")) {
    const parts: Buffer[] = [];
    let at = 0;
    for (;;) {
      const eol = rest.indexOf("\r\n", at);
      if (eol < 0) return atEnd ? out(Buffer.concat(parts)) : null;
      const len = Number.parseInt(rest.subarray(at, eol).toString("latin1"), 16);
      if (!Number.isFinite(len)) return new TransportFailure("protocol", "sent a malformed chunk");
      if (len === 0) return out(Buffer.concat(parts));
      if (rest.length < eol + 2 + len + 2) return atEnd ? out(Buffer.concat([...parts, rest.subarray(eol + 2)])) : null;
      parts.push(rest.subarray(eol + 2, eol + 2 + len));
      at = eol + 2 + len + 2;
    }
  }
  const cl = headers.get("content-length")?.[0];
  if (cl !== undefined) {
    const n = Number(cl);
    if (Number.isFinite(n) && rest.length >= n) return out(rest.subarray(0, n));
    return atEnd ? out(rest) : null;
  }
  // No length: a HEAD-less 1xx/204/304 has no body; otherwise it runs to the close.
  if (status === 204 || status === 304) return out(Buffer.alloc(0));
  return atEnd ? out(rest) : null;
}
