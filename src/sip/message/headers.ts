/**
 * @module sip/message/headers
 * The header container: header fields in arrival order with their raw (unfolded, trimmed) values,
 * looked up case-insensitively by long or compact name, plus a cache for the typed views the
 * message classes parse on demand. Names of known headers are canonical (`v` and `VIA` → `Via`);
 * unknown names are kept as received.
 */
import { splitList } from "./chars.ts";

/** Compact forms (RFC 3261 §7.3.3 and the extensions that register one). */
export const COMPACT_FORMS: Readonly<Record<string, string>> = {
  a: "Accept-Contact",
  b: "Referred-By",
  c: "Content-Type",
  d: "Request-Disposition",
  e: "Content-Encoding",
  f: "From",
  i: "Call-ID",
  j: "Reject-Contact",
  k: "Supported",
  l: "Content-Length",
  m: "Contact",
  n: "Identity-Info",
  o: "Event",
  r: "Refer-To",
  s: "Subject",
  t: "To",
  u: "Allow-Events",
  v: "Via",
  x: "Session-Expires",
  y: "Identity",
};

const KNOWN = [
  "Accept",
  "Accept-Contact",
  "Accept-Encoding",
  "Accept-Language",
  "Alert-Info",
  "Allow",
  "Allow-Events",
  "Authentication-Info",
  "Authorization",
  "Call-ID",
  "Call-Info",
  "Contact",
  "Content-Disposition",
  "Content-Encoding",
  "Content-Language",
  "Content-Length",
  "Content-Type",
  "CSeq",
  "Date",
  "Error-Info",
  "Event",
  "Expires",
  "From",
  "History-Info",
  "Identity",
  "Identity-Info",
  "In-Reply-To",
  "Max-Forwards",
  "MIME-Version",
  "Min-Expires",
  "Min-SE",
  "Organization",
  "P-Asserted-Identity",
  "P-Preferred-Identity",
  "Path",
  "Priority",
  "Privacy",
  "Proxy-Authenticate",
  "Proxy-Authorization",
  "Proxy-Require",
  "RAck",
  "Reason",
  "Record-Route",
  "Refer-To",
  "Referred-By",
  "Reject-Contact",
  "Replaces",
  "Reply-To",
  "Request-Disposition",
  "Require",
  "Retry-After",
  "Route",
  "RSeq",
  "Security-Client",
  "Security-Server",
  "Security-Verify",
  "Server",
  "Service-Route",
  "Session-Expires",
  "SIP-ETag",
  "SIP-If-Match",
  "Subject",
  "Subscription-State",
  "Supported",
  "Timestamp",
  "To",
  "Unsupported",
  "User-Agent",
  "Via",
  "Warning",
  "WWW-Authenticate",
];

/**
 * Headers whose values are comma-separated lists (RFC 3261 §7.3.1). Everything else, in particular
 * WWW-Authenticate, Authorization, Proxy-Authenticate, Proxy-Authorization, Authentication-Info and
 * Date (all of which contain commas) and every unknown header, is never split.
 */
const LIST_HEADERS = new Set([
  "accept",
  "accept-contact",
  "accept-encoding",
  "accept-language",
  "alert-info",
  "allow",
  "allow-events",
  "call-info",
  "contact",
  "content-encoding",
  "content-language",
  "error-info",
  "history-info",
  "in-reply-to",
  "p-asserted-identity",
  "p-preferred-identity",
  "path",
  "proxy-require",
  "reason",
  "record-route",
  "reject-contact",
  "request-disposition",
  "require",
  "route",
  "security-client",
  "security-server",
  "security-verify",
  "service-route",
  "supported",
  "unsupported",
  "via",
  "warning",
]);

/** Small ids for the headers the parser checks eagerly (0 for every other header). */
export const CORE = {
  via: 1,
  from: 2,
  to: 3,
  "call-id": 4,
  cseq: 5,
  "max-forwards": 6,
  "content-length": 7,
} as const;

interface NameInfo {
  name: string;
  key: string;
  /** CORE id, or 0. */
  core: number;
}

function info(name: string): NameInfo {
  const key = name.toLowerCase();
  return { name, key, core: CORE[key as keyof typeof CORE] ?? 0 };
}

const BY_LOWER = new Map<string, NameInfo>();
for (const name of KNOWN) BY_LOWER.set(name.toLowerCase(), info(name));
for (const [short, name] of Object.entries(COMPACT_FORMS)) BY_LOWER.set(short, info(name));

/**
 * Exact spellings seen so far (canonical, lower-case, upper-case and compact forms of the known
 * names up front; others as they arrive, up to a bound so a peer cannot grow it without limit).
 */
const BY_SPELLING = new Map<string, NameInfo>();
const MAX_SPELLINGS = 2048;
for (const [lower, known] of BY_LOWER) {
  BY_SPELLING.set(lower, known);
  BY_SPELLING.set(known.name, known);
  BY_SPELLING.set(lower.toUpperCase(), known);
}

/** Known spellings (lower case, long and compact) by length, then by first letter. */
const BUCKETS: Array<Array<Array<{ spelling: string; info: NameInfo }> | undefined> | undefined> = [];
for (const [spelling, known] of BY_LOWER) {
  BUCKETS[spelling.length] ??= [];
  const byLetter = BUCKETS[spelling.length] ?? [];
  byLetter[spelling.charCodeAt(0)] ??= [];
  byLetter[spelling.charCodeAt(0)]?.push({ spelling, info: known });
}

/**
 * The header name in s[start..end) (token characters only), resolved without slicing when it is a
 * known name in any letter case.
 */
export function headerNameAt(s: string, start: number, end: number): NameInfo {
  const candidates = BUCKETS[end - start]?.[s.charCodeAt(start) | 0x20];
  if (candidates !== undefined) {
    outer: for (const candidate of candidates) {
      const spelling = candidate.spelling;
      for (let i = 1; i < spelling.length; i++) {
        if ((s.charCodeAt(start + i) | 0x20) !== spelling.charCodeAt(i)) continue outer;
      }
      return candidate.info;
    }
  }
  return headerName(s.slice(start, end));
}

/** Canonical name and lookup key of a header name as received or asked for. */
export function headerName(name: string): NameInfo {
  const seen = BY_SPELLING.get(name);
  if (seen !== undefined) return seen;
  const lower = name.toLowerCase();
  const found = BY_LOWER.get(lower) ?? { name, key: lower, core: 0 };
  if (BY_SPELLING.size < MAX_SPELLINGS) BY_SPELLING.set(name, found);
  return found;
}

/** Whether the header's values are a comma-separated list that `values()` splits. */
export function isListHeader(name: string): boolean {
  return LIST_HEADERS.has(headerName(name).key);
}

export interface HeaderField {
  /** Canonical name (known headers) or the name as received. */
  readonly name: string;
  /** Lower-case long name: the lookup key. */
  readonly key: string;
  /** Raw value: folding replaced by one SP, leading and trailing whitespace removed. */
  readonly value: string;
}

function checkValue(value: string): void {
  if (value.indexOf("\r") >= 0 || value.indexOf("\n") >= 0) throw new TypeError("header value contains CR or LF");
}

export class Headers {
  private readonly list: HeaderField[] = [];
  private cache: Record<string, unknown> | undefined;

  constructor(init?: Iterable<readonly [string, string]>) {
    if (init) for (const [name, value] of init) this.append(name, value);
  }

  /** Number of header fields (lines). */
  get size(): number {
    return this.list.length;
  }

  [Symbol.iterator](): IterableIterator<HeaderField> {
    return this.list[Symbol.iterator]();
  }

  /** `[name, value]` pairs in order. */
  entries(): Array<[string, string]> {
    return this.list.map((h) => [h.name, h.value]);
  }

  has(name: string): boolean {
    const key = headerName(name).key;
    for (const h of this.list) if (h.key === key) return true;
    return false;
  }

  /** The first field's raw value. */
  get(name: string): string | undefined {
    const key = headerName(name).key;
    for (const h of this.list) if (h.key === key) return h.value;
    return undefined;
  }

  /** Every field's raw value (one per line, not split). */
  getAll(name: string): string[] {
    return this.getAllByKey(headerName(name).key);
  }

  /** @internal lookup by lower-case long name. */
  getAllByKey(key: string): string[] {
    const out: string[] = [];
    for (const h of this.list) if (h.key === key) out.push(h.value);
    return out;
  }

  /** Values: list headers split on top-level commas (quotes and <> respected), others as `getAll`. */
  values(name: string): string[] {
    const { key } = headerName(name);
    const lines = this.getAllByKey(key);
    if (!LIST_HEADERS.has(key)) return lines;
    const out: string[] = [];
    for (const line of lines) for (const v of splitList(line)) if (v.length > 0) out.push(v);
    return out;
  }

  count(name: string): number {
    const key = headerName(name).key;
    let n = 0;
    for (const h of this.list) if (h.key === key) n++;
    return n;
  }

  append(name: string, value: string): this {
    checkValue(value);
    const n = headerName(name);
    this.list.push({ name: n.name, key: n.key, value });
    this.cache = undefined;
    return this;
  }

  /** @internal the parser's append: name already resolved, value already clean. */
  appendRaw(name: string, key: string, value: string): void {
    this.list.push({ name, key, value });
  }

  /** Replaces every field of that name by one (at the first one's place, else at the end). */
  set(name: string, value: string): this {
    checkValue(value);
    const n = headerName(name);
    const at = this.list.findIndex((h) => h.key === n.key);
    if (at < 0) return this.append(name, value);
    this.list[at] = { name: n.name, key: n.key, value };
    for (let i = this.list.length - 1; i > at; i--) if (this.list[i].key === n.key) this.list.splice(i, 1);
    this.cache = undefined;
    return this;
  }

  /** Puts a field first (e.g. a new top Via). */
  prepend(name: string, value: string): this {
    checkValue(value);
    const n = headerName(name);
    this.list.unshift({ name: n.name, key: n.key, value });
    this.cache = undefined;
    return this;
  }

  delete(name: string): this {
    const key = headerName(name).key;
    for (let i = this.list.length - 1; i >= 0; i--) if (this.list[i].key === key) this.list.splice(i, 1);
    this.cache = undefined;
    return this;
  }

  clone(): Headers {
    const copy = new Headers();
    for (const h of this.list) copy.list.push(h);
    return copy;
  }

  /** @internal a typed view, computed once per change of the headers. */
  cached<T>(slot: string, compute: () => T): T {
    if (this.cache === undefined) this.cache = {};
    else if (slot in this.cache) return this.cache[slot] as T;
    const value = compute();
    this.cache[slot] = value;
    return value;
  }

  /** @internal seeds the cache with the views the parser already computed (slot names as keys). */
  prime(views: Record<string, unknown>): void {
    this.cache = views;
  }
}
