/**
 * @module sip/ua/inbound-info
 * Who is calling a port and what they dialled: the Request-URI (with its RFC 4458 `target` and
 * `cause`), To, Diversion (RFC 5806) and History-Info (RFC 7044) entries, From and
 * P-Asserted-Identity (RFC 3325). User parts are as the URI parser decoded them (escapes resolved,
 * user parameters kept); the voicemail layer normalizes them. Each list element is parsed on its
 * own, so one odd Diversion drops that entry only and never costs the guest the call.
 */
import {
  getParam,
  type NameAddr,
  type Param,
  parseNameAddr,
  parseUri,
  type SipRequest,
  splitList,
  type Uri,
} from "../message/index.ts";

/** One Diversion entry (RFC 5806). */
export interface DiversionEntry {
  user?: string;
  display?: string;
  /** `reason` as written, quotes removed ("no-answer", "user-busy", …). */
  reason?: string;
  /** `counter`: how many diversions this entry stands for. */
  counter?: number;
}

/** One History-Info entry (RFC 7044). */
export interface HistoryInfoEntry {
  user?: string;
  display?: string;
  /** `index` ("1", "1.1", "1.1.1"). */
  index?: string;
  /** The `cause` URI parameter of the hi-targeted-to-uri (RFC 4458 / RFC 8119): this entry is a forward's target. */
  cause?: string;
  /** The index named by the `mp`, `rc` or `np` tag: the entry this one was retargeted from. */
  parentIndex?: string;
}

export interface InboundParties {
  requestUser?: string;
  /** User part of the URI in the Request-URI's `target` parameter (RFC 4458): the forwarding party. */
  requestTarget?: string;
  /** The Request-URI's `cause` parameter (RFC 4458: 486 busy, 408 no answer, 302 unconditional, …). */
  requestCause?: string;
  toUser?: string;
  toDisplay?: string;
  /** Diversion users, topmost (most recent) first. */
  diversionUsers: string[];
  /** History-Info users in header order. */
  historyInfoUsers: string[];
  fromUser?: string;
  /** P-Asserted-Identity users, in header order. */
  assertedUsers: string[];
  /** Diversion entries in header order: the newest first, the original called party last. */
  diversions?: DiversionEntry[];
  /** History-Info entries in header order. */
  historyInfo?: HistoryInfoEntry[];
}

function userOf(uri: Uri): string | undefined {
  if (uri.kind === "sip") return uri.user || undefined;
  if (uri.kind === "tel") return uri.number;
  return undefined;
}

function uriParams(uri: Uri): readonly Param[] {
  return uri.kind === "absolute" ? [] : uri.params;
}

/** Every parsable name-addr of a list header, in order; an element that does not parse is skipped. */
function entries(req: SipRequest, header: string): NameAddr[] {
  const out: NameAddr[] = [];
  for (const line of req.headers.getAll(header)) {
    for (const item of splitList(line)) {
      if (item.length === 0) continue;
      try {
        out.push(parseNameAddr(item, header));
      } catch {
        // skipped: the other entries still count
      }
    }
  }
  return out;
}

function one<T>(get: () => T): T | undefined {
  try {
    return get();
  } catch {
    return undefined;
  }
}

/** A header parameter's value without the quotes of a quoted-string (quoted-pairs resolved). */
function paramText(params: readonly Param[], name: string): string | undefined {
  const v = getParam(params, name);
  if (v === null || v === undefined) return undefined;
  if (v.length < 2 || v.charCodeAt(0) !== 34 || v.charCodeAt(v.length - 1) !== 34) return v || undefined;
  let out = "";
  for (let i = 1; i < v.length - 1; i++) {
    if (v.charCodeAt(i) === 92 && i + 1 < v.length - 1) i++;
    out += v[i];
  }
  return out || undefined;
}

/** `1`, `1.1`, `1.2.10`: digits separated by single dots. */
function isIndex(s: string): boolean {
  if (s.length === 0) return false;
  let digit = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) digit = true;
    else if (c === 46 && digit) digit = false;
    else return false;
  }
  return digit;
}

function counterOf(params: readonly Param[]): number | undefined {
  const v = paramText(params, "counter");
  if (v === undefined || v.length > 3) return undefined;
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
    n = n * 10 + (c - 48);
  }
  return n;
}

function diversionOf(na: NameAddr): DiversionEntry {
  const e: DiversionEntry = {};
  const user = userOf(na.uri);
  if (user) e.user = user;
  if (na.displayName) e.display = na.displayName;
  const reason = paramText(na.params, "reason");
  if (reason) e.reason = reason;
  const counter = counterOf(na.params);
  if (counter !== undefined) e.counter = counter;
  return e;
}

function historyInfoOf(na: NameAddr): HistoryInfoEntry {
  const e: HistoryInfoEntry = {};
  const user = userOf(na.uri);
  if (user) e.user = user;
  if (na.displayName) e.display = na.displayName;
  const index = paramText(na.params, "index");
  if (index && isIndex(index)) e.index = index;
  const cause = getParam(uriParams(na.uri), "cause");
  if (cause) e.cause = cause;
  // RFC 7044 §4.2: at most one of mp (mapped), rc (retargeted to a contact), np (no change).
  for (const tag of ["mp", "rc", "np"]) {
    const parent = paramText(na.params, tag);
    if (parent && isIndex(parent)) {
      e.parentIndex = parent;
      break;
    }
  }
  return e;
}

/**
 * The user named by an RFC 4458 `target` value (the URI parser already resolved its escapes, so
 * `sip:+15555551002%40example.com` arrives as `sip:+15555551002@example.com`). PBXs that write a
 * bare `101` or `101@host` are read too: the part before `@`, without a `sip:`/`sips:`/`tel:` scheme.
 */
export function targetUser(value: string): string | undefined {
  const uri = one(() => parseUri(value));
  if (uri) return userOf(uri);
  let start = 0;
  const colon = value.indexOf(":");
  if (colon >= 0) {
    const scheme = value.slice(0, colon).toLowerCase();
    if (scheme === "sip" || scheme === "sips" || scheme === "tel") start = colon + 1;
  }
  let end = value.indexOf("@", start);
  if (end < 0) end = value.length;
  const user = value.slice(start, end).trim();
  return user || undefined;
}

export function inboundParties(req: SipRequest): InboundParties {
  const diversions = entries(req, "Diversion").map(diversionOf);
  const historyInfo = entries(req, "History-Info").map(historyInfoOf);
  const assertedUsers: string[] = [];
  for (const na of entries(req, "P-Asserted-Identity")) {
    const u = userOf(na.uri);
    if (u) assertedUsers.push(u);
  }
  const p: InboundParties = {
    diversionUsers: diversions.flatMap((d) => (d.user ? [d.user] : [])),
    historyInfoUsers: historyInfo.flatMap((h) => (h.user ? [h.user] : [])),
    assertedUsers,
    diversions,
    historyInfo,
  };
  const ruri = one(() => req.uri);
  if (ruri) {
    const requestUser = userOf(ruri);
    if (requestUser) p.requestUser = requestUser;
    const target = getParam(uriParams(ruri), "target");
    const targetName = target ? targetUser(target) : undefined;
    if (targetName) p.requestTarget = targetName;
    const cause = getParam(uriParams(ruri), "cause");
    if (cause) p.requestCause = cause;
  }
  const to = one(() => req.to);
  if (to) {
    const toUser = userOf(to.uri);
    if (toUser) p.toUser = toUser;
    if (to.displayName) p.toDisplay = to.displayName;
  }
  const from = one(() => req.from);
  const fromUser = from ? userOf(from.uri) : undefined;
  if (fromUser) p.fromUser = fromUser;
  return p;
}
