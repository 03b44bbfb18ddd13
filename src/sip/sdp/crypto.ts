/**
 * @module sip/sdp/crypto
 * SDES (RFC 4568): the `a=crypto` attribute that carries an SRTP master key in the SDP.
 *
 *   a=crypto:<tag> <suite> inline:<base64(key ‖ salt)>[|<lifetime>][|<mki>:<mki-length>][;inline:…] [<param> …]
 *
 * Parse and format the line; classify what we cannot key (unknown suite, MKI, KDR ≠ 0,
 * UNENCRYPTED_* / UNAUTHENTICATED_*, FEC_*, several keys) with a reason; build our offer (one line
 * per suite, strongest first, each with its own fresh key), pick the strongest usable line of an
 * offer and answer it (its tag and suite, our own key), and check the answer to our offer.
 *
 * Suite preference: the strongest suite both sides support — AEAD_AES_256_GCM, AES_256_CM_HMAC_SHA1_80,
 * AEAD_AES_128_GCM, AES_CM_128_HMAC_SHA1_80, then the 32-bit-tag suites (AES-256 first). Key length
 * first, then tag length; the 32-bit tags come last whatever the key, as forging one needs only 2^32
 * tries. This is the order Zoom's own SDP lists its lines in (AEAD_AES_256_GCM, AES_256_CM_HMAC_SHA1_80,
 * AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32), so against Zoom both sides agree; Zoom's default
 * device setting offers AES_CM_128_HMAC_SHA1_80 alone, which we then take.
 *
 * Keys never reach a log or an error: an `SdesKey` prints as `[key masked]` through JSON, inspect and
 * string conversion, parse failures never quote the line, and `maskSdpKeys` blanks every `inline:` key
 * in any SDP or SIP text (for the debug packet log).
 */

import { Buffer } from "node:buffer";
import { randomBytes, timingSafeEqual } from "node:crypto";
import { denoInspect, nodeInspect } from "../../lib/inspect.ts";
import type { Attribute, Media } from "./types.ts";

/** The suites we can key (the same names and lengths as sip/rtp/srtp/suites.ts). */
export type SdesSuite =
  | "AEAD_AES_256_GCM"
  | "AES_256_CM_HMAC_SHA1_80"
  | "AEAD_AES_128_GCM"
  | "AES_CM_128_HMAC_SHA1_80"
  | "AES_256_CM_HMAC_SHA1_32"
  | "AES_CM_128_HMAC_SHA1_32";

/** Master key and salt lengths in octets (RFC 4568 §6.2, RFC 6188 §7.1, RFC 7714 §12). */
export const SDES_SUITES: Readonly<Record<SdesSuite, { keyLength: number; saltLength: number }>> = {
  AEAD_AES_256_GCM: { keyLength: 32, saltLength: 12 },
  AES_256_CM_HMAC_SHA1_80: { keyLength: 32, saltLength: 14 },
  AEAD_AES_128_GCM: { keyLength: 16, saltLength: 12 },
  AES_CM_128_HMAC_SHA1_80: { keyLength: 16, saltLength: 14 },
  AES_256_CM_HMAC_SHA1_32: { keyLength: 32, saltLength: 14 },
  AES_CM_128_HMAC_SHA1_32: { keyLength: 16, saltLength: 14 },
};

/** Strongest first: the order of our offer's lines and of our pick among an offer's (see the module doc). */
export const SUITE_PREFERENCE: readonly SdesSuite[] = [
  "AEAD_AES_256_GCM",
  "AES_256_CM_HMAC_SHA1_80",
  "AEAD_AES_128_GCM",
  "AES_CM_128_HMAC_SHA1_80",
  "AES_256_CM_HMAC_SHA1_32",
  "AES_CM_128_HMAC_SHA1_32",
];

export function isSdesSuite(name: string): name is SdesSuite {
  return Object.hasOwn(SDES_SUITES, name);
}

const MASKED = "[key masked]";

/** An SRTP master key ‖ salt. Prints masked everywhere; `bytes` is for keying a context, `base64` for the SDP. */
export class SdesKey {
  readonly #bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.#bytes = Uint8Array.from(bytes);
  }

  /** A fresh random key ‖ salt for `suite`: one per call, media line and suite, never reused. */
  static random(suite: SdesSuite): SdesKey {
    const s = SDES_SUITES[suite];
    return new SdesKey(randomBytes(s.keyLength + s.saltLength));
  }

  get bytes(): Uint8Array {
    return this.#bytes;
  }

  get length(): number {
    return this.#bytes.length;
  }

  /** For `inline:` only: the one place the key is written out. */
  base64(): string {
    return Buffer.from(this.#bytes).toString("base64");
  }

  /** Constant-time: whether a re-offer kept the key (else the receive context starts over). */
  equals(other: SdesKey): boolean {
    return other.#bytes.length === this.#bytes.length && timingSafeEqual(other.#bytes, this.#bytes);
  }

  toJSON(): string {
    return MASKED;
  }

  toString(): string {
    return MASKED;
  }

  [nodeInspect](): string {
    return MASKED;
  }

  [denoInspect](): string {
    return MASKED;
  }
}

export interface KeyParam {
  /** The key method as written; only `inline` is defined (RFC 4568 §6.1). */
  method: string;
  /** Null when the method is not `inline` or its key is not base64. */
  key: SdesKey | null;
  /** `2^n` or a decimal count of packets, as written. */
  lifetime: string | null;
  mki: { value: string; length: number } | null;
}

/** One parsed `a=crypto` value. `suite` is as written: it may be one we do not know. */
export interface CryptoLine {
  tag: number;
  suite: string;
  keyParams: KeyParam[];
  sessionParams: string[];
}

export type ParseCryptoResult = { ok: true; line: CryptoLine } | { ok: false; reason: string };

/** Why a well-formed line cannot key our SRTP. */
export type CryptoUnusable =
  | "unknown-suite"
  | "multiple-keys"
  | "key-method"
  | "key-length"
  | "mki"
  | "kdr"
  | "unencrypted"
  | "unauthenticated"
  | "fec"
  | "session-param"
  | "duplicate-tag";

export type CryptoClass =
  | { usable: true; tag: number; suite: SdesSuite; key: SdesKey }
  | { usable: false; tag: number; suite: string; reason: CryptoUnusable };

/** Parses the value of an `a=crypto` attribute. Reasons never quote the line: it holds a key. */
export function parseCrypto(value: string): ParseCryptoResult {
  const fields = value.split(" ").filter((f) => f !== "");
  if (fields.length < 3) return { ok: false, reason: "a=crypto needs a tag, a suite and key parameters" };
  const [tagText, suite, keyText] = fields;
  if (tagText.length > 9 || !allOf(tagText, isDigit)) return { ok: false, reason: "a=crypto tag is not 1–9 digits" };
  if (suite.length > 64 || !allOf(suite, isSuiteChar)) return { ok: false, reason: "a=crypto suite is not a name" };
  const keyParams: KeyParam[] = [];
  for (const text of keyText.split(";")) {
    const param = parseKeyParam(text);
    if (typeof param === "string") return { ok: false, reason: `a=crypto:${tagText} ${suite}: ${param}` };
    keyParams.push(param);
  }
  return { ok: true, line: { tag: Number(tagText), suite, keyParams, sessionParams: fields.slice(3) } };
}

function parseKeyParam(text: string): KeyParam | string {
  const colon = text.indexOf(":");
  if (colon <= 0) return "key parameter without a method";
  const method = text.slice(0, colon);
  if (method.toLowerCase() !== "inline") return { method, key: null, lifetime: null, mki: null };
  const [keyText, ...rest] = text.slice(colon + 1).split("|");
  const key = decodeBase64(keyText);
  if (!key) return "inline key is not base64";
  let lifetime: string | null = null;
  let mki: KeyParam["mki"] = null;
  for (const part of rest) {
    const c = part.indexOf(":");
    if (c >= 0) {
      const value = part.slice(0, c);
      const length = Number(part.slice(c + 1));
      if (mki || !allOf(value, isDigit) || value.length === 0 || !(length >= 1 && length <= 128)) {
        return "bad MKI";
      }
      mki = { value, length };
    } else {
      const n = part.startsWith("2^") ? part.slice(2) : part;
      if (lifetime || mki || n.length === 0 || !allOf(n, isDigit)) return "bad lifetime";
      lifetime = part;
    }
  }
  return { method, key: new SdesKey(key), lifetime, mki };
}

/** Whether we can key SRTP from this line, and if not, why (in the order a peer would fix them). */
export function classifyCrypto(line: CryptoLine): CryptoClass {
  const no = (reason: CryptoUnusable): CryptoClass => ({ usable: false, tag: line.tag, suite: line.suite, reason });
  if (!isSdesSuite(line.suite)) return no("unknown-suite");
  if (line.keyParams.length !== 1) return no("multiple-keys");
  const [kp] = line.keyParams;
  if (kp.method.toLowerCase() !== "inline" || !kp.key) return no("key-method");
  // An MKI field would sit in every packet; we key one master key per line and send none.
  if (kp.mki) return no("mki");
  const s = SDES_SUITES[line.suite];
  if (kp.key.length !== s.keyLength + s.saltLength) return no("key-length");
  for (const p of line.sessionParams) {
    const reason = sessionParamProblem(p);
    if (reason) return no(reason);
  }
  // A lifetime (packets per master key) is accepted and not enforced: 2^20 is 5.8 hours at 50 pps.
  return { usable: true, tag: line.tag, suite: line.suite, key: kp.key };
}

function sessionParamProblem(p: string): CryptoUnusable | null {
  const eq = p.indexOf("=");
  const name = eq < 0 ? p : p.slice(0, eq);
  const value = eq < 0 ? "" : p.slice(eq + 1);
  switch (name) {
    case "KDR": // we derive once (key derivation rate 0); KDR=0 says the same
      return value === "0" ? null : "kdr";
    case "WSH": // window size hint: ours is 128, and RFC 4568 §6.3.7 lets a receiver ignore it
      return allOf(value, isDigit) && value !== "" ? null : "session-param";
    case "UNENCRYPTED_SRTP":
    case "UNENCRYPTED_SRTCP":
      return "unencrypted";
    case "UNAUTHENTICATED_SRTP":
      return "unauthenticated";
    case "FEC_ORDER":
    case "FEC_KEY":
      return "fec";
    default:
      // RFC 4568 §9.2: a leading "-" marks an extension the receiver may ignore; any other unknown
      // parameter makes the line unusable.
      return p.startsWith("-") ? null : "session-param";
  }
}

/** Our own line in an offer or answer. */
export interface LocalCrypto {
  tag: number;
  suite: SdesSuite;
  key: SdesKey;
}

/** The attribute value of one of our lines: `<tag> <suite> inline:<key>`. */
export function formatCrypto(line: LocalCrypto): string {
  return `${line.tag} ${line.suite} inline:${line.key.base64()}`;
}

/** As SDP attributes for a media line (`a=crypto:…`). */
export function cryptoAttributes(lines: readonly LocalCrypto[]): Attribute[] {
  return lines.map((l) => ({ name: "crypto", value: formatCrypto(l) }));
}

/** The `a=crypto` values of a media line, in order. */
export function cryptoValues(media: Pick<Media, "attributes">): string[] {
  const out: string[] = [];
  for (const a of media.attributes) if (a.name === "crypto" && a.value !== null) out.push(a.value);
  return out;
}

/** Our offer for one media line: tags 1… in `suites` order, a fresh key each. */
export function offerCrypto(suites: readonly SdesSuite[] = SUITE_PREFERENCE): LocalCrypto[] {
  return suites.map((suite, i) => ({ tag: i + 1, suite, key: SdesKey.random(suite) }));
}

export type AnswerCryptoResult =
  | { ok: true; suite: SdesSuite; remote: SdesKey; local: LocalCrypto }
  | { ok: false; reason: string; lines: Array<CryptoClass | { tag: null; reason: string }> };

/**
 * Answers an offer's `a=crypto` values: the line of the strongest suite in `preference` that we can
 * use, echoed with its tag and suite and our own fresh key. Otherwise every line's reason (for a 488
 * with Warning 305 and the log).
 */
export function answerCrypto(offered: readonly string[], preference = SUITE_PREFERENCE): AnswerCryptoResult {
  const lines: Array<CryptoClass | { tag: null; reason: string }> = [];
  const tags = new Set<number>();
  for (const value of offered) {
    const r = parseCrypto(value);
    if (!r.ok) {
      lines.push({ tag: null, reason: r.reason });
      continue;
    }
    const c = classifyCrypto(r.line);
    // The answer names its line by tag, so a tag offered twice could mean either: use only the first.
    lines.push(tags.has(c.tag) ? { usable: false, tag: c.tag, suite: c.suite, reason: "duplicate-tag" } : c);
    tags.add(c.tag);
  }
  let best: Extract<CryptoClass, { usable: true }> | null = null;
  for (const c of lines) {
    if (!("usable" in c) || !c.usable || !preference.includes(c.suite)) continue;
    if (!best || preference.indexOf(c.suite) < preference.indexOf(best.suite)) best = c;
  }
  if (best) {
    return {
      ok: true,
      suite: best.suite,
      remote: best.key,
      local: { tag: best.tag, suite: best.suite, key: SdesKey.random(best.suite) },
    };
  }
  const why = lines.map((c) =>
    "usable" in c ? `${c.tag} ${c.suite}: ${c.usable ? "not preferred" : c.reason}` : c.reason,
  );
  return { ok: false, reason: lines.length ? `no usable a=crypto (${why.join("; ")})` : "no a=crypto", lines };
}

export type AcceptCryptoResult =
  | { ok: true; suite: SdesSuite; remote: SdesKey; local: LocalCrypto }
  | { ok: false; reason: string };

/** Checks the answer to our offer: exactly one line, a tag we offered, with that tag's suite, usable. */
export function acceptCryptoAnswer(ours: readonly LocalCrypto[], answered: readonly string[]): AcceptCryptoResult {
  if (answered.length !== 1)
    return { ok: false, reason: `${answered.length} a=crypto lines in the answer, one expected` };
  const r = parseCrypto(answered[0]);
  if (!r.ok) return { ok: false, reason: r.reason };
  const local = ours.find((l) => l.tag === r.line.tag);
  if (!local) return { ok: false, reason: `answered tag ${r.line.tag} was not offered` };
  if (local.suite !== r.line.suite) {
    return { ok: false, reason: `answered tag ${local.tag} with ${r.line.suite}, offered ${local.suite}` };
  }
  const c = classifyCrypto(r.line);
  if (!c.usable) return { ok: false, reason: `answered ${c.tag} ${c.suite}: ${c.reason}` };
  return { ok: true, suite: c.suite, remote: c.key, local };
}

/**
 * `text` with every `inline:` key replaced by `[key masked]` (any case, up to `|`, `;`, blank or end
 * of line), lifetime and MKI left readable. For any text that may hold SDP: the debug packet log.
 */
export function maskSdpKeys(text: string): string {
  let out = "";
  let from = 0;
  for (let at = indexOfInline(text, 0); at >= 0; at = indexOfInline(text, from)) {
    let end = at + 7;
    while (end < text.length && !isKeyEnd(text.charCodeAt(end))) end++;
    out += `${text.slice(from, at + 7)}${MASKED}`;
    from = end;
  }
  return from === 0 ? text : out + text.slice(from);
}

/** Case-insensitive indexOf("inline:") without lower-casing the text (which may change its length). */
function indexOfInline(text: string, from: number): number {
  const word = "inline:";
  for (let i = text.indexOf(":", from + 6); i >= 0; i = text.indexOf(":", i + 1)) {
    if (i < 6) continue;
    let match = true;
    for (let k = 0; k < 6 && match; k++) match = (text.charCodeAt(i - 6 + k) | 0x20) === word.charCodeAt(k);
    if (match) return i - 6;
  }
  return -1;
}

function isKeyEnd(c: number): boolean {
  return c === 0x7c || c === 0x3b || c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a; // | ; SP HT CR LF
}

/** Strict base64 (padding optional, as some peers leave it off); null if anything else is in it. */
function decodeBase64(text: string): Uint8Array | null {
  let end = text.length;
  let pad = 0;
  while (end > 0 && pad < 2 && text.charCodeAt(end - 1) === 0x3d) {
    end--;
    pad++;
  }
  if (end === 0 || end % 4 === 1 || (pad > 0 && text.length % 4 !== 0)) return null;
  for (let i = 0; i < end; i++) if (!isBase64Char(text.charCodeAt(i))) return null;
  return Uint8Array.from(Buffer.from(text, "base64"));
}

function isBase64Char(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isSuiteChar(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
}

function allOf(s: string, ok: (c: number) => boolean): boolean {
  for (let i = 0; i < s.length; i++) if (!ok(s.charCodeAt(i))) return false;
  return true;
}
