/**
 * @module sip/auth/credentials
 * Formats the value of an `Authorization` or `Proxy-Authorization` header (RFC 3261 §22.4,
 * RFC 7616 §3.4), and masks such values for debug logs.
 *
 * Quoted: username, realm, nonce, uri, response, cnonce, opaque. Unquoted: algorithm, qop, nc
 * (RFC 7616 §3.4: "qop" and "nc" MUST NOT be quoted; algorithm is a token).
 */

import { maskSdpKeys } from "../sdp/crypto.ts";
import { scanAuthHeader } from "./challenge.ts";
import { type DigestAlgorithm, DigestAuthError, type DigestQop, formatNonceCount } from "./digest.ts";

export interface AuthorizationFields {
  username: string;
  realm: string;
  nonce: string;
  /** The digest-uri (the Request-URI). */
  uri: string;
  /** The computed hash, hex. */
  response: string;
  algorithm?: DigestAlgorithm;
  cnonce?: string;
  opaque?: string;
  qop?: DigestQop;
  /** The nonce count; written as 8 hex digits. Required with qop. */
  nc?: number;
}

/** A quoted-string (RFC 7230 §3.2.6): `"` and `\` escaped; CR, LF and NUL refused (header injection). */
export function quoteString(value: string, field = "value"): string {
  if (/[\r\n\0]/.test(value)) throw new DigestAuthError(`${field} must not contain CR, LF or NUL`);
  return `"${value.replace(/["\\]/g, "\\$&")}"`;
}

/** `Digest username="…", realm="…", nonce="…", uri="…", response="…", algorithm=…, cnonce="…", opaque="…", qop=auth, nc=00000001`. */
export function formatAuthorization(f: AuthorizationFields): string {
  const parts = [
    `username=${quoteString(f.username, "username")}`,
    `realm=${quoteString(f.realm, "realm")}`,
    `nonce=${quoteString(f.nonce, "nonce")}`,
    `uri=${quoteString(f.uri, "uri")}`,
    `response=${quoteString(f.response, "response")}`,
  ];
  if (f.algorithm !== undefined) parts.push(`algorithm=${f.algorithm}`);
  if (f.cnonce !== undefined) parts.push(`cnonce=${quoteString(f.cnonce, "cnonce")}`);
  if (f.opaque !== undefined) parts.push(`opaque=${quoteString(f.opaque, "opaque")}`);
  if (f.qop !== undefined) {
    if (f.nc === undefined || f.cnonce === undefined) throw new DigestAuthError(`qop=${f.qop} needs nc and cnonce`);
    parts.push(`qop=${f.qop}`, `nc=${formatNonceCount(f.nc)}`);
  }
  return `Digest ${parts.join(", ")}`;
}

const MASKED_PARAMS = new Set(["response", "cnonce", "nonce"]);
const MASK = "***";

/**
 * The header value with the `response`, `cnonce` and `nonce` values replaced by `***` (quotes kept),
 * for debug packet logs. Anything that is not a well-formed Digest value (Basic, Bearer, junk) is
 * masked entirely after its scheme, so a secret cannot slip through a malformed value.
 */
export function maskAuthorization(value: string): string {
  const items = scanAuthHeader(value);
  const first = items[0];
  const leading = value.length - value.trimStart().length;
  if (!first || first.start !== leading || first.scheme.toLowerCase() !== "digest") {
    if (value.trim() === "") return value;
    const scheme = first && first.start === leading ? first.scheme : "";
    return `${value.slice(0, leading)}${scheme}${scheme ? " " : ""}${MASK}`;
  }
  let out = "";
  let at = 0;
  for (const item of items) {
    if (item.scheme.toLowerCase() !== "digest") {
      // Something that is no Digest parameter: hide it and everything after it.
      return `${out}${value.slice(at, item.start)}${MASK}`;
    }
    for (const p of item.params) {
      if (!MASKED_PARAMS.has(p.name)) continue;
      out += value.slice(at, p.valueStart) + (p.quoted ? `"${MASK}"` : MASK);
      at = p.valueEnd;
    }
  }
  return out + value.slice(at);
}

const MASKED_HEADER = /^(authorization|proxy-authorization)([ \t]*:[ \t]*)([\s\S]*)$/i;

/**
 * A whole SIP message text (or several) with every `Authorization` and `Proxy-Authorization` value
 * masked by maskAuthorization. A folded header (continuation lines starting with SP/HTAB) is unfolded
 * onto one line first; all other lines are kept byte for byte, but for SDES keys (`a=crypto …
 * inline:<key>`) in an SDP body, masked by maskSdpKeys: this is what the debug packet log prints.
 */
export function maskSipHeaders(text: string): string {
  const lines: { content: string; eol: string }[] = [];
  let at = 0;
  while (at < text.length) {
    const nl = text.indexOf("\n", at);
    if (nl < 0) {
      lines.push({ content: text.slice(at), eol: "" });
      break;
    }
    const cr = nl > at && text[nl - 1] === "\r";
    lines.push({ content: text.slice(at, cr ? nl - 1 : nl), eol: cr ? "\r\n" : "\n" });
    at = nl + 1;
  }
  let out = "";
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const m = MASKED_HEADER.exec(line.content);
    if (!m) {
      out += line.content + line.eol;
      continue;
    }
    let value = m[3];
    let eol = line.eol;
    while (i + 1 < lines.length && /^[ \t]/.test(lines[i + 1].content)) {
      i++;
      value += lines[i].content;
      eol = lines[i].eol;
    }
    out += `${m[1]}${m[2]}${maskAuthorization(value)}${eol}`;
  }
  return maskSdpKeys(out);
}
