/**
 * @module pbx/ucm/transport
 * One JSON POST over HTTP/1.1 on a fresh connection, with the UCM's certificate checked BEFORE any
 * byte of the request is written: either pinned by the SHA-256 of its DER encoding (the usual case,
 * a self-signed UCM) or verified against a CA file (chain and host name). There is no "accept any
 * certificate" mode. Plain HTTP exists only for a loopback simulator (see config.ts).
 *
 * A small HTTP client of our own rather than node:https: a pin can only be checked after the TLS
 * handshake and before the request goes out, which node:https offers no portable hook for.
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { isIP, connect as netConnect, type Socket } from "node:net";
import { type TLSSocket, connect as tlsConnect } from "node:tls";
import { PbxError } from "../driver.ts";

export type TlsTrust =
  | { kind: "pin"; sha256: string }
  | { kind: "ca"; ca: string }
  /** Plain HTTP (loopback simulator only). */
  | { kind: "none" };

export interface HttpResult {
  status: number;
  body: string;
}

/** "AB:cd:…" or "abcd…" → 64 lowercase hex, or null if it is not a SHA-256. */
export function normalizeFingerprint(text: string): string | null {
  const hex = text.replaceAll(":", "").replaceAll(" ", "").toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex : null;
}

export function certificateSha256(der: Uint8Array): string {
  return createHash("sha256").update(der).digest("hex");
}

const MAX_RESPONSE = 4 * 1024 * 1024;

export async function postJson(url: URL, body: string, trust: TlsTrust, timeoutMs: number): Promise<HttpResult> {
  const https = url.protocol === "https:";
  const port = Number(url.port || (https ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const socket = await open(host, port, https, trust, timeoutMs);
  try {
    return await exchange(socket, url, body, timeoutMs);
  } finally {
    socket.destroy();
  }
}

function open(host: string, port: number, https: boolean, trust: TlsTrust, timeoutMs: number): Promise<Socket> {
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
      () => fail(new PbxError(`UCM ${host}:${port}: connect timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    let socket: Socket;
    if (!https) {
      socket = netConnect({ host, port }, () => {
        settled = true;
        clearTimeout(timer);
        resolve(socket);
      });
    } else if (trust.kind === "ca") {
      const tls = tlsConnect({
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
      const tls: TLSSocket = tlsConnect({
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
              `UCM certificate refused: its SHA-256 fingerprint is ${got || "(none)"}, the pinned one (certificateSha256) is ${trust.sha256}`,
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
      reject(new PbxError("https URL without certificateSha256 or caFile", { retryable: false }));
      return;
    }
    socket.once("error", (err: Error & { code?: string }) => {
      const tlsProblem = https && trust.kind === "ca" && /CERT|SELF_SIGNED|ALTNAME|UNABLE_TO/i.test(err.code ?? "");
      fail(
        new PbxError(
          tlsProblem
            ? `UCM certificate not trusted by caFile: ${err.message}`
            : `UCM ${host}:${port}: ${err.code ?? ""} ${err.message}`.replace("  ", " "),
          { retryable: !tlsProblem },
        ),
      );
    });
  });
}

function exchange(socket: Socket, url: URL, body: string, timeoutMs: number): Promise<HttpResult> {
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
    const timer = setTimeout(() => finish(new PbxError(`UCM did not answer within ${timeoutMs} ms`)), timeoutMs);
    const tryParse = (atEnd: boolean) => {
      const res = parseResponse(Buffer.concat(chunks), atEnd);
      if (res instanceof Error) finish(res);
      else if (res) finish(null, res);
      else if (atEnd) finish(new PbxError("UCM closed the connection before a complete answer"));
    };
    socket.on("data", (b: Buffer) => {
      chunks.push(b);
      size += b.length;
      if (size > MAX_RESPONSE) finish(new PbxError("UCM answer too large"));
      else tryParse(false);
    });
    socket.once("end", () => tryParse(true));
    socket.once("close", () => tryParse(true));
    socket.once("error", (err) => finish(new PbxError(`UCM connection failed: ${err.message}`)));
    const payload = Buffer.from(body, "utf8");
    const head =
      `POST ${url.pathname}${url.search} HTTP/1.1\r\n` +
      `Host: ${url.host}\r\n` +
      "Content-Type: application/json;charset=UTF-8\r\n" +
      "Accept: application/json\r\n" +
      `Content-Length: ${payload.length}\r\n` +
      "Connection: close\r\n\r\n";
    socket.write(Buffer.concat([Buffer.from(head, "latin1"), payload]));
  });
}

/** A complete response, null if more bytes are needed, or an Error for a malformed one. */
export function parseResponse(buf: Buffer, atEnd: boolean): HttpResult | null | Error {
  const headEnd = buf.indexOf("\r\n\r\n");
  if (headEnd < 0) return atEnd ? new PbxError("UCM sent a malformed HTTP answer") : null;
  const lines = buf.subarray(0, headEnd).toString("latin1").split("\r\n");
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "");
  if (!m) return new PbxError(`UCM sent a malformed HTTP status line: ${JSON.stringify(lines[0]?.slice(0, 80))}`);
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
      if (eol < 0) return atEnd ? new PbxError("UCM answer cut off (chunked)") : null;
      const len = Number.parseInt(rest.subarray(at, eol).toString("latin1"), 16);
      if (!Number.isFinite(len)) return new PbxError("UCM sent a malformed chunk");
      if (len === 0) return { status, body: Buffer.concat(out).toString("utf8") };
      if (rest.length < eol + 2 + len + 2) return atEnd ? new PbxError("UCM answer cut off (chunked)") : null;
      out.push(rest.subarray(eol + 2, eol + 2 + len));
      at = eol + 2 + len + 2;
    }
  }
  const cl = headers.get("content-length");
  if (cl !== undefined) {
    const n = Number(cl);
    if (rest.length >= n) return { status, body: rest.subarray(0, n).toString("utf8") };
    return atEnd ? new PbxError("UCM answer cut off") : null;
  }
  return atEnd ? { status, body: rest.toString("utf8") } : null;
}
