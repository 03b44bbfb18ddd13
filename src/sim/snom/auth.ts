/**
 * @module sim/snom/auth
 * The phone's HTTP authentication (§2.8): none when no HTTP user is set (SNOM's default), Basic, or
 * Digest when "Authentication Scheme" (setting http_scheme) is on. A phone in Digest mode refuses Basic
 * credentials, as SNOM says credentials in the URL "will not work" then.
 * Digest (ours where SNOM is silent): RFC 7616 with MD5 and qop=auth, also the RFC 2069 form without
 * qop; nonces are ours (random, remembered), an unknown nonce is a wrong answer, one older than
 * `nonceSeconds` is answered `stale=true`, and an nc already seen for a nonce is a replay (wrong).
 * The digest's uri must be the request's path and query.
 */
import { Buffer } from "node:buffer";
import { createHash, randomBytes } from "node:crypto";
import type { AuthOutcome, AuthScheme } from "./model.ts";

export interface Credentials {
  user: string;
  password: string;
  scheme: AuthScheme;
}

export type AuthResult = { ok: true; outcome: AuthOutcome } | { ok: false; outcome: AuthOutcome; challenge: string };

const md5 = (s: string) => createHash("md5").update(s).digest("hex");

/** `Digest a=1, b="x, y"` → { a: "1", b: "x, y" } (keys lower-cased). */
export function parseAuthParams(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    while (i < text.length && (text[i] === " " || text[i] === ",")) i++;
    const eq = text.indexOf("=", i);
    if (eq < 0) break;
    const key = text.slice(i, eq).trim().toLowerCase();
    i = eq + 1;
    let value = "";
    if (text[i] === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === "\\" && i + 1 < text.length) i++;
        value += text[i++];
      }
      i++;
    } else {
      const end = text.indexOf(",", i);
      value = text.slice(i, end < 0 ? text.length : end).trim();
      i = end < 0 ? text.length : end;
    }
    out[key] = value;
  }
  return out;
}

export class AuthGate {
  private readonly nonces = new Map<string, { issued: number; seenNc: Set<string> }>();

  constructor(
    readonly realm: string,
    private readonly nonceMs: number,
    private readonly now: () => number,
  ) {}

  /** `uri` is the request target as sent (path and query). */
  check(creds: Credentials | null, method: string, uri: string, header: string | undefined): AuthResult {
    if (!creds) return { ok: true, outcome: "none" };
    const space = (header ?? "").indexOf(" ");
    const scheme = space > 0 ? (header ?? "").slice(0, space).toLowerCase() : "";
    const rest = space > 0 ? (header ?? "").slice(space + 1) : "";
    if (!header) return this.refuse(creds, "missing");
    if (creds.scheme === "basic") {
      if (scheme !== "basic") return this.refuse(creds, "scheme");
      const decoded = Buffer.from(rest.trim(), "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      const ok = colon >= 0 && decoded.slice(0, colon) === creds.user && decoded.slice(colon + 1) === creds.password;
      return ok ? { ok: true, outcome: "ok" } : this.refuse(creds, "wrong");
    }
    if (scheme !== "digest") return this.refuse(creds, "scheme");
    return this.digest(creds, method, uri, parseAuthParams(rest));
  }

  private digest(creds: Credentials, method: string, uri: string, p: Record<string, string>): AuthResult {
    const nonce = this.nonces.get(p.nonce ?? "");
    if (p.username !== creds.user || p.realm !== this.realm || !nonce || p.uri !== uri) {
      return this.refuse(creds, "wrong");
    }
    if ((p.algorithm ?? "MD5").toUpperCase() !== "MD5") return this.refuse(creds, "wrong");
    const ha1 = md5(`${creds.user}:${this.realm}:${creds.password}`);
    const ha2 = md5(`${method}:${p.uri}`);
    let expected: string;
    if (p.qop === undefined) expected = md5(`${ha1}:${p.nonce}:${ha2}`);
    else if (p.qop === "auth" && p.nc && p.cnonce) {
      if (nonce.seenNc.has(p.nc)) return this.refuse(creds, "wrong");
      expected = md5(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:auth:${ha2}`);
    } else return this.refuse(creds, "wrong");
    if (p.response?.toLowerCase() !== expected) return this.refuse(creds, "wrong");
    // Right password, old nonce: the client should retry at once with the fresh one.
    if (this.now() - nonce.issued > this.nonceMs) return this.refuse(creds, "stale");
    if (p.nc) nonce.seenNc.add(p.nc);
    return { ok: true, outcome: "ok" };
  }

  private refuse(creds: Credentials, outcome: AuthOutcome): AuthResult {
    return { ok: false, outcome, challenge: this.challenge(creds.scheme, outcome === "stale") };
  }

  /** A WWW-Authenticate value; a Digest one carries a fresh nonce. */
  challenge(scheme: AuthScheme, stale = false): string {
    if (scheme === "basic") return `Basic realm="${this.realm}"`;
    const nonce = randomBytes(16).toString("hex");
    this.nonces.set(nonce, { issued: this.now(), seenNc: new Set() });
    if (this.nonces.size > 1000) this.nonces.delete(this.nonces.keys().next().value as string);
    return `Digest realm="${this.realm}", nonce="${nonce}", qop="auth", algorithm=MD5${stale ? ", stale=true" : ""}`;
  }
}
