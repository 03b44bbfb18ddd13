/**
 * @module sip/auth/challenge
 * Parses the value of a `WWW-Authenticate` or `Proxy-Authenticate` header (RFC 3261 §22, RFC 7235
 * §4.1, RFC 7616 §3.3, RFC 8760) into Digest challenges.
 *
 * The scanner is tolerant: any whitespace (also CR/LF of a folded line) around `=` and `,`, quoted
 * strings with backslash escapes and commas inside, unquoted tokens, case-insensitive parameter and
 * scheme names, empty list elements, several challenges in one value. A token that is not followed
 * by `=` starts a new challenge (`Digest realm="a", nonce="1", Digest realm="b", …`).
 */

import type { DigestAlgorithm } from "./digest.ts";

/** One `name=value` parameter as written; positions index the scanned text. */
export interface AuthParam {
  /** Lowercased. */
  name: string;
  /** Unquoted and unescaped. */
  value: string;
  quoted: boolean;
  /** Where the name starts. */
  start: number;
  /** The raw value, quotes included, is text.slice(valueStart, valueEnd). */
  valueStart: number;
  valueEnd: number;
}

/** One challenge (or credentials) item: a scheme and its parameters. */
export interface AuthItem {
  /** As written ("" when parameters came before any scheme). */
  scheme: string;
  /** Where the scheme (or, without one, the first parameter) starts. */
  start: number;
  params: AuthParam[];
}

export interface DigestChallenge {
  scheme: "Digest";
  realm: string;
  nonce: string;
  opaque?: string;
  /** MD5 when the challenge names none. */
  algorithm: DigestAlgorithm;
  /** The qop options offered, lowercased in the server's order (e.g. ["auth", "auth-int"]); [] when absent. */
  qop: string[];
  /** `stale=true`: the nonce expired, the credentials were fine. */
  stale: boolean;
  /** The protection space URIs, when given. */
  domain?: string[];
}

export type ParsedChallenge =
  | { ok: true; challenge: DigestChallenge }
  | { ok: false; scheme: string; realm?: string; problem: "unsupported" | "malformed"; reason: string };

export class ChallengeError extends Error {
  override name = "ChallengeError";
}

const isSpace = (c: string | undefined) => c === " " || c === "\t" || c === "\r" || c === "\n";
const endsToken = (c: string) => isSpace(c) || c === "," || c === "=" || c === '"';

/** Reads a quoted-string starting at the `"` at `at`; an unterminated one runs to the end. */
function readQuoted(text: string, at: number): { value: string; end: number } {
  let value = "";
  let i = at + 1;
  while (i < text.length) {
    const c = text[i];
    if (c === "\\" && i + 1 < text.length) {
      value += text[i + 1];
      i += 2;
    } else if (c === '"') {
      return { value, end: i + 1 };
    } else {
      value += c;
      i++;
    }
  }
  return { value, end: text.length };
}

/**
 * Splits an auth header value (challenges or credentials) into schemes with parameters. Never
 * throws; stray quoted strings or `=` outside a parameter are skipped.
 */
export function scanAuthHeader(text: string): AuthItem[] {
  const items: AuthItem[] = [];
  let current: AuthItem | undefined;
  const n = text.length;
  const skipSpace = (from: number) => {
    let j = from;
    while (j < n && isSpace(text[j])) j++;
    return j;
  };
  let i = 0;
  while (i < n) {
    const c = text[i];
    if (isSpace(c) || c === "," || c === "=") {
      i++;
      continue;
    }
    if (c === '"') {
      i = readQuoted(text, i).end;
      continue;
    }
    const start = i;
    while (i < n && !endsToken(text[i])) i++;
    const token = text.slice(start, i);
    const eq = skipSpace(i);
    if (text[eq] !== "=") {
      current = { scheme: token, start, params: [] };
      items.push(current);
      continue;
    }
    const valueStart = skipSpace(eq + 1);
    let value: string;
    let quoted = false;
    if (text[valueStart] === '"') {
      const q = readQuoted(text, valueStart);
      value = q.value;
      quoted = true;
      i = q.end;
    } else {
      i = valueStart;
      while (i < n && !isSpace(text[i]) && text[i] !== ",") i++;
      value = text.slice(valueStart, i);
    }
    if (!current) {
      current = { scheme: "", start, params: [] };
      items.push(current);
    }
    current.params.push({ name: token.toLowerCase(), value, quoted, start, valueStart, valueEnd: i });
  }
  return items;
}

const ALGORITHMS: Record<string, DigestAlgorithm> = {
  md5: "MD5",
  "md5-sess": "MD5-sess",
  "sha-256": "SHA-256",
  "sha-256-sess": "SHA-256-sess",
};

/** The canonical algorithm name for a token in any case, or undefined when not supported. */
export function parseAlgorithm(token: string): DigestAlgorithm | undefined {
  return ALGORITHMS[token.trim().toLowerCase()];
}

function toChallenge(item: AuthItem): ParsedChallenge {
  if (item.scheme.toLowerCase() !== "digest") {
    if (!item.scheme)
      return { ok: false, scheme: "", problem: "malformed", reason: "parameters without an auth scheme" };
    return {
      ok: false,
      scheme: item.scheme,
      problem: "unsupported",
      reason: `auth scheme ${item.scheme} is not supported`,
    };
  }
  const params = new Map<string, string>();
  for (const p of item.params) if (!params.has(p.name)) params.set(p.name, p.value); // the first one wins
  const realm = params.get("realm");
  if (realm === undefined)
    return { ok: false, scheme: "Digest", problem: "malformed", reason: "Digest challenge without a realm" };
  const nonce = params.get("nonce");
  if (!nonce) {
    const reason = `Digest challenge for realm ${JSON.stringify(realm)} without a nonce`;
    return { ok: false, scheme: "Digest", realm, problem: "malformed", reason };
  }
  const algorithmText = params.get("algorithm");
  const algorithm = algorithmText === undefined ? "MD5" : parseAlgorithm(algorithmText);
  if (!algorithm) {
    return {
      ok: false,
      scheme: "Digest",
      realm,
      problem: "unsupported",
      reason: `unsupported algorithm ${JSON.stringify(algorithmText)} for realm ${JSON.stringify(realm)}`,
    };
  }
  const qop = (params.get("qop") ?? "")
    .split(",")
    .map((q) => q.trim().toLowerCase())
    .filter((q) => q !== "");
  const challenge: DigestChallenge = {
    scheme: "Digest",
    realm,
    nonce,
    algorithm,
    qop,
    stale: params.get("stale")?.trim().toLowerCase() === "true",
  };
  const opaque = params.get("opaque");
  if (opaque !== undefined) challenge.opaque = opaque;
  const domain = params.get("domain");
  if (domain !== undefined) challenge.domain = domain.split(/\s+/).filter((d) => d !== "");
  return { ok: true, challenge };
}

/** Every challenge in one header value, in order; the unusable ones say why. */
export function parseChallenges(value: string): ParsedChallenge[] {
  return scanAuthHeader(value).map(toChallenge);
}

/** The first usable Digest challenge in a header value; throws ChallengeError saying why there is none. */
export function parseChallenge(value: string): DigestChallenge {
  const parsed = parseChallenges(value);
  for (const p of parsed) if (p.ok) return p.challenge;
  const reasons = parsed.map((p) => (p.ok ? "" : p.reason));
  throw new ChallengeError(reasons.length ? reasons.join("; ") : "empty challenge");
}
