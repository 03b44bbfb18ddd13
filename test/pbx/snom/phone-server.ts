/**
 * A tiny scripted SNOM phone for the client and driver tests: an HTTP(S) server that records every
 * request, keeps the settings saved through dummy.htm / settings.htm, and asks for no credentials,
 * Basic or Digest (RFC 2617/7616 MD5, checked here with the digest formula, nonces it can expire so
 * the next use is answered `stale=true`). A test can replace any answer (a status, a hang). Not the
 * SNOM simulator (src/sim/snom): written from the spec, answer by answer.
 */
import { Buffer } from "node:buffer";
import { createHash, randomBytes } from "node:crypto";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";

export interface PhoneRequest {
  path: string;
  /** Decoded query parameters, in order (a bare name has value ""). */
  params: [string, string][];
  query: Record<string, string>;
  /** The request target exactly as sent. */
  target: string;
  authorization?: string;
  /** Whether the request was let through (authenticated, not overridden). */
  served: boolean;
}

export interface PhoneAnswer {
  status?: number;
  body?: string;
  headers?: Record<string, string>;
  /** Never answer (a hung phone). */
  hang?: boolean;
}

export type PhoneAuthMode = "none" | "basic" | "digest";

const md5 = (s: string) => createHash("md5").update(s).digest("hex");

export class ScriptedPhone {
  readonly requests: PhoneRequest[] = [];
  readonly settings = new Map<string, string>();
  /** Values saved with store_settings=save (what survives a reboot). */
  readonly stored = new Map<string, string>();
  readonly minibrowser: string[] = [];
  auth: PhoneAuthMode = "none";
  user = "admin";
  password = "s3cret-Phone-pw";
  realm = "snom";
  /** Digest with qop=auth (else the RFC 2069 form). */
  qop = true;
  /** Valid nonces → the highest nc seen. */
  private readonly nonces = new Map<string, number>();
  /** Nonces that are answered with stale=true. */
  private readonly stale = new Set<string>();
  /** Answers this request instead, when it returns something. */
  override: ((r: PhoneRequest) => PhoneAnswer | undefined) | undefined;
  readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(tls?: { cert: string; key: string }) {
    const handler = (req: IncomingMessage, res: ServerResponse) => this.handle(req, res);
    this.server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, handler) : createHttpServer(handler);
    this.server.on("connection", (s: Socket) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
  }

  listen(host = "127.0.0.1", port = 0): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => resolve((this.server.address() as AddressInfo).port));
    });
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Every nonce issued so far is answered `stale=true` from now on. */
  expireNonces(): void {
    for (const n of this.nonces.keys()) this.stale.add(n);
    this.nonces.clear();
  }

  of(path: string): PhoneRequest[] {
    return this.requests.filter((r) => r.path === path && r.served);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const target = req.url ?? "/";
    const q = target.indexOf("?");
    const path = q < 0 ? target : target.slice(0, q);
    const params: [string, string][] = [];
    if (q >= 0) {
      for (const part of target.slice(q + 1).split("&")) {
        if (!part) continue;
        const eq = part.indexOf("=");
        const dec = (s: string) => decodeURIComponent(s);
        params.push(eq < 0 ? [dec(part), ""] : [dec(part.slice(0, eq)), dec(part.slice(eq + 1))]);
      }
    }
    const r: PhoneRequest = {
      path,
      params,
      query: Object.fromEntries(params),
      target,
      authorization: req.headers.authorization,
      served: false,
    };
    this.requests.push(r);
    const answer = this.override?.(r);
    if (answer?.hang) return;
    if (answer) {
      res.writeHead(answer.status ?? 200, { "Content-Type": "text/html", ...answer.headers });
      res.end(answer.body ?? "");
      return;
    }
    const denied = this.checkAuth(r);
    if (denied) {
      res.writeHead(401, { "WWW-Authenticate": denied, "Content-Type": "text/html" });
      res.end("<html>401 Unauthorized</html>");
      return;
    }
    r.served = true;
    if ((path === "/dummy.htm" || path === "/settings.htm") && r.query.settings === "save") {
      const store = r.query.store_settings === "save";
      for (const [k, val] of params) {
        if (k === "settings" || k === "store_settings") continue;
        this.settings.set(k, val);
        if (store) this.stored.set(k, val);
      }
    }
    if (path === "/minibrowser.htm") this.minibrowser.push(r.query.url ?? "");
    res.writeHead(200, { "Content-Type": "text/html" });
    res.end(`<html><body>${"x".repeat(2000)}</body></html>`);
  }

  /** The WWW-Authenticate value to answer with, or undefined when the request may pass. */
  private checkAuth(r: PhoneRequest): string | undefined {
    if (this.auth === "none") return undefined;
    const h = r.authorization ?? "";
    if (this.auth === "basic") {
      const ok = h === `Basic ${Buffer.from(`${this.user}:${this.password}`).toString("base64")}`;
      return ok ? undefined : `Basic realm="${this.realm}"`;
    }
    const challenge = (stale: boolean) => {
      const nonce = randomBytes(12).toString("hex");
      this.nonces.set(nonce, 0);
      return `Digest realm="${this.realm}", nonce="${nonce}"${this.qop ? ', qop="auth"' : ""}, algorithm=MD5${stale ? ", stale=true" : ""}`;
    };
    if (!/^Digest /i.test(h)) return challenge(false);
    const p = new Map<string, string>();
    for (const m of h.slice(7).matchAll(/(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]+))/g))
      p.set(m[1].toLowerCase(), m[2] ?? m[3]);
    const nonce = p.get("nonce") ?? "";
    if (this.stale.has(nonce)) return challenge(true);
    if (!this.nonces.has(nonce) || p.get("uri") !== r.target || p.get("username") !== this.user)
      return challenge(false);
    const ha1 = md5(`${this.user}:${this.realm}:${this.password}`);
    const ha2 = md5(`GET:${r.target}`);
    let expected: string;
    if (this.qop) {
      const nc = Number.parseInt(p.get("nc") ?? "0", 16);
      if (p.get("qop") !== "auth" || !(nc > (this.nonces.get(nonce) ?? 0))) return challenge(false);
      this.nonces.set(nonce, nc);
      expected = md5(`${ha1}:${nonce}:${p.get("nc")}:${p.get("cnonce")}:auth:${ha2}`);
    } else {
      expected = md5(`${ha1}:${nonce}:${ha2}`);
    }
    return p.get("response") === expected ? undefined : challenge(false);
  }
}
