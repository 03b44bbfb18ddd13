/**
 * @module sip/auth/digest
 * The digest computation of RFC 2617 §3.2.2 / RFC 7616 §3.4.1, as SIP uses it (RFC 3261 §22.4,
 * RFC 8760 for SHA-256):
 *
 *   HA1 = H(username:realm:password)            (-sess: H(H(username:realm:password):nonce:cnonce))
 *   HA2 = H(method:digest-uri)                  (auth-int: H(method:digest-uri:H(body)))
 *   response = H(HA1:nonce:nc:cnonce:qop:HA2)   with qop, else H(HA1:nonce:HA2) (RFC 2069)
 *
 * H is MD5 or SHA-256, lowercase hex, over UTF-8. Errors never carry the password.
 */

import { createHash } from "node:crypto";

export type DigestAlgorithm = "MD5" | "MD5-sess" | "SHA-256" | "SHA-256-sess";
export type DigestQop = "auth" | "auth-int";

export const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = ["MD5", "MD5-sess", "SHA-256", "SHA-256-sess"];

/** A digest input that cannot produce a response (missing cnonce, bad nonce count, …). */
export class DigestAuthError extends Error {
  override name = "DigestAuthError";
}

export function isSessionAlgorithm(algorithm: DigestAlgorithm): boolean {
  return algorithm.endsWith("-sess");
}

/** H(data) as lowercase hex: MD5 for MD5/MD5-sess, SHA-256 for SHA-256/SHA-256-sess. */
export function digestHash(algorithm: DigestAlgorithm, data: string | Uint8Array): string {
  const hash = algorithm.startsWith("SHA-256") ? "sha256" : "md5";
  return createHash(hash).update(data).digest("hex");
}

/** The nonce count as the 8 lowercase hex digits of the `nc` parameter (1 → "00000001"). */
export function formatNonceCount(nc: number): string {
  if (!Number.isInteger(nc) || nc < 1 || nc > 0xffffffff) {
    throw new DigestAuthError(`nonce count ${nc} is outside 1..ffffffff`);
  }
  return nc.toString(16).padStart(8, "0");
}

export interface DigestInput {
  algorithm: DigestAlgorithm;
  username: string;
  realm: string;
  password: string;
  nonce: string;
  /** Request method, e.g. "REGISTER". */
  method: string;
  /** The digest-uri: the Request-URI of the request, exactly as sent. */
  uri: string;
  /** Absent: the RFC 2069 form (the challenge offered no qop). */
  qop?: DigestQop;
  /** Nonce count, required with qop. */
  nc?: number;
  /** Client nonce, required with qop and with the -sess algorithms. */
  cnonce?: string;
  /** Message body, for qop=auth-int (empty when absent). */
  body?: string | Uint8Array;
}

/** HA1, including the -sess step (which needs nonce and cnonce). */
export function computeHa1(
  input: Pick<DigestInput, "algorithm" | "username" | "realm" | "password" | "nonce" | "cnonce">,
): string {
  const base = digestHash(input.algorithm, `${input.username}:${input.realm}:${input.password}`);
  if (!isSessionAlgorithm(input.algorithm)) return base;
  if (!input.cnonce) throw new DigestAuthError(`algorithm ${input.algorithm} needs a cnonce`);
  return digestHash(input.algorithm, `${base}:${input.nonce}:${input.cnonce}`);
}

/** HA2 = H(method:uri), or H(method:uri:H(body)) for auth-int. */
export function computeHa2(input: Pick<DigestInput, "algorithm" | "method" | "uri" | "qop" | "body">): string {
  if (input.qop === "auth-int") {
    const bodyHash = digestHash(input.algorithm, input.body ?? "");
    return digestHash(input.algorithm, `${input.method}:${input.uri}:${bodyHash}`);
  }
  return digestHash(input.algorithm, `${input.method}:${input.uri}`);
}

/** The `response` parameter value (lowercase hex). */
export function computeDigestResponse(input: DigestInput): string {
  const ha1 = computeHa1(input);
  const ha2 = computeHa2(input);
  if (input.qop === undefined) return digestHash(input.algorithm, `${ha1}:${input.nonce}:${ha2}`);
  if (input.nc === undefined) throw new DigestAuthError(`qop=${input.qop} needs a nonce count`);
  if (!input.cnonce) throw new DigestAuthError(`qop=${input.qop} needs a cnonce`);
  const nc = formatNonceCount(input.nc);
  return digestHash(input.algorithm, `${ha1}:${input.nonce}:${nc}:${input.cnonce}:${input.qop}:${ha2}`);
}
