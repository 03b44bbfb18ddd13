/**
 * @module pbx/http
 * One HTTP/1.1 request on a fresh connection, with the far end's certificate checked BEFORE any byte
 * of the request is written: either pinned by the SHA-256 of its DER encoding (the usual case, a
 * self-signed PBX) or verified against a CA file (chain and host name). There is no "accept any
 * certificate" mode. Plain HTTP is for a loopback simulator only (each link's config enforces it).
 *
 * A small HTTP client of our own rather than node:https or fetch: a pin can only be checked after the
 * TLS handshake and before the request goes out, which neither offers a portable hook for (and Bun's
 * `undici` stand-in has no dispatcher, README "Dependencies"). Shared by the PBX links that talk to
 * an on-premises box over HTTPS (Grandstream UCM, VOIspeed); `peer` names the far end in errors.
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { isIP, connect as netConnect, type Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { PbxError } from "./driver.ts";

export type TlsTrust =
  | { kind: "pin"; sha256: string }
  | { kind: "ca"; ca: string }
  /** Plain HTTP (loopback simulator only). */
  | { kind: "none" };

export interface HttpResult {
  status: number;
  body: string;
}

export interface HttpRequest {
  method: "GET" | "POST";
  url: URL;
  /** Extra request headers (Host, Content-Length and Connection are set here). */
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  trust: TlsTrust;
  timeoutMs: number;
  /** Names the far end in error messages: "UCM", "VOIspeed". */
  peer: string;
}

/** "AB:cd:…" or "abcd…" → 64 lowercase hex, or null if it is not a SHA-256. */
export function normalizeFingerprint(text: string): string | null {
  const hex = text.replaceAll(":", "").replaceAll(" ", "").toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex : null;
}

export function certificateSha256(der: Uint8Array): string {
  return createHash("sha256").update(der).digest("hex");
}

/** http:// is accepted only for these hosts (a simulator on the appliance itself). */
export const LOOPBACK_HOST = /^(127(\.\d{1,3}){3}|\[?::1\]?|localhost)$/i;

const MAX_RESPONSE = 4 * 1024 * 1024;

export async function httpRequest(req: HttpRequest): Promise<HttpResult> {
  const { url, trust, timeoutMs, peer } = req;
  const https = url.protocol === "https:";
  const port = Number(url.port || (https ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const socket = await open(peer, host, port, https, trust, timeoutMs);
  try {
    return await exchange(socket, req);
  } finally {
    socket.destroy();
  }
}

function open(
  peer: string,
  host: string,
  port: number,
  https: boolean,
  trust: TlsTrust,
  timeoutMs: number,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    const timer = setTimeout(
      () => fail(new PbxError(`${peer} ${host}:${port}: connect timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    let socket: Socket;
    // node:tls loaded when an https link connects, not imported: the compiled binary loads every
    // imported built-in at its start.
    const tlsConnect = () => process.getBuiltinModule("node:tls").connect;
    if (!https) {
      socket = netConnect({ host, port }, () => {
        settled = true;
        clearTimeout(timer);
        resolve(socket);
      });
    } else if (trust.kind === "ca") {
      const tls = tlsConnect()({
        host,
        port,
        ca: trust.ca,
        rejectUnauthorized: true,
        ...(isIP(host) ? {} : { servername: host }),
      });
      socket = tls;
      tls.once("secureConnect", () => {
        settled = true;
        clearTimeout(timer);
        resolve(tls);
      });
    } else if (trust.kind === "pin") {
      // Chain verification is replaced by the pin, which is checked before anything is written.
      const tls: TLSSocket = tlsConnect()({
        host,
        port,
        rejectUnauthorized: false,
        ...(isIP(host) ? {} : { servername: host }),
      });
      socket = tls;
      tls.once("secureConnect", () => {
        const cert = tls.getPeerCertificate();
        const got = cert?.raw ? certificateSha256(cert.raw) : "";
        if (got !== trust.sha256) {
          fail(
            new PbxError(
              `${peer} certificate refused: its SHA-256 fingerprint is ${got || "(none)"}, the pinned one (certificateSha256) is ${trust.sha256}`,
              { retryable: false },
            ),
          );
          return;
        }
        settled = true;
        clearTimeout(timer);
        resolve(tls);
      });
    } else {
      clearTimeout(timer);
      reject(new PbxError("https URL without certificateSha256 or caFile", { retryable: false }));
      return;
    }
    socket.once("error", (err: Error & { code?: string }) => {
      const tlsProblem = https && trust.kind === "ca" && /CERT|SELF_SIGNED|ALTNAME|UNABLE_TO/i.test(err.code ?? "");
      fail(
        new PbxError(
          tlsProblem
            ? `${peer} certificate not trusted by caFile: ${err.message}`
            : `${peer} ${host}:${port}: ${err.code ?? ""} ${err.message}`.replace("  ", " "),
          { retryable: !tlsProblem },
        ),
      );
    });
  });
}

function exchange(socket: Socket, req: HttpRequest): Promise<HttpResult> {
  const { url, peer, timeoutMs } = req;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err: Error | null, res?: HttpResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(res as HttpResult);
    };
    const timer = setTimeout(() => finish(new PbxError(`${peer} did not answer within ${timeoutMs} ms`)), timeoutMs);
    const tryParse = (atEnd: boolean) => {
      const res = parseResponse(Buffer.concat(chunks), atEnd, peer);
      if (res instanceof Error) finish(res);
      else if (res) finish(null, res);
      else if (atEnd) finish(new PbxError(`${peer} closed the connection before a complete answer`));
    };
    socket.on("data", (b: Buffer) => {
      chunks.push(b);
      size += b.length;
      if (size > MAX_RESPONSE) finish(new PbxError(`${peer} answer too large`));
      else tryParse(false);
    });
    socket.once("end", () => tryParse(true));
    socket.once("close", () => tryParse(true));
    socket.once("error", (err) => finish(new PbxError(`${peer} connection failed: ${err.message}`)));
    const payload =
      req.body === undefined ? undefined : typeof req.body === "string" ? Buffer.from(req.body, "utf8") : req.body;
    let head = `${req.method} ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n`;
    for (const [k, v] of Object.entries(req.headers ?? {})) head += `${k}: ${v}\r\n`;
    if (payload !== undefined) head += `Content-Length: ${payload.length}\r\n`;
    head += "Connection: close\r\n\r\n";
    const headBytes = Buffer.from(head, "latin1");
    socket.write(payload === undefined ? headBytes : Buffer.concat([headBytes, payload]));
  });
}

/** A complete response, null if more bytes are needed, or an Error for a malformed one. */
export function parseResponse(buf: Buffer, atEnd: boolean, peer = "peer"): HttpResult | null | Error {
  const headEnd = buf.indexOf("\r\n\r\n");
  if (headEnd < 0) return atEnd ? new PbxError(`${peer} sent a malformed HTTP answer`) : null;
  const lines = buf.subarray(0, headEnd).toString("latin1").split("\r\n");
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "");
  if (!m) return new PbxError(`${peer} sent a malformed HTTP status line: ${JSON.stringify(lines[0]?.slice(0, 80))}`);
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const c = line.indexOf(":");
    if (c > 0) headers.set(line.slice(0, c).trim().toLowerCase(), line.slice(c + 1).trim());
  }
  const rest = buf.subarray(headEnd + 4);
  const status = Number(m[1]);
  if (/chunked/i.test(headers.get("transfer-encoding") ?? "")) {
    const out: Buffer[] = [];
    let at = 0;
    for (;;) {
      const eol = rest.indexOf("\r\n", at);
      if (eol < 0) return atEnd ? new PbxError(`${peer} answer cut off (chunked)`) : null;
      const len = Number.parseInt(rest.subarray(at, eol).toString("latin1"), 16);
      if (!Number.isFinite(len)) return new PbxError(`${peer} sent a malformed chunk`);
      if (len === 0) return { status, body: Buffer.concat(out).toString("utf8") };
      if (rest.length < eol + 2 + len + 2) return atEnd ? new PbxError(`${peer} answer cut off (chunked)`) : null;
      out.push(rest.subarray(eol + 2, eol + 2 + len));
      at = eol + 2 + len + 2;
    }
  }
  const cl = headers.get("content-length");
  if (cl !== undefined) {
    const n = Number(cl);
    if (rest.length >= n) return { status, body: rest.subarray(0, n).toString("utf8") };
    return atEnd ? new PbxError(`${peer} answer cut off`) : null;
  }
  return atEnd ? { status, body: rest.toString("utf8") } : null;
}
