/** @module domain/phone: how a guest phone is addressed (MAC, SIP address), and when it may claim a room. */

/**
 * A MAC address in the one stored form, `aa:bb:cc:dd:ee:ff`, from 12 hex digits with `:`/`-`
 * between pairs, `.` between groups of four, or no separators (Polycom sends `0004f214b8e7`).
 */
export function normalizeMac(text: string): string | undefined {
  let hex = "";
  for (const ch of text.trim()) {
    if (ch === ":" || ch === "-" || ch === ".") continue;
    const c = ch.toLowerCase();
    if (!((c >= "0" && c <= "9") || (c >= "a" && c <= "f"))) return undefined;
    hex += c;
  }
  if (hex.length !== 12) return undefined;
  let out = hex.slice(0, 2);
  for (let i = 2; i < 12; i += 2) out += `:${hex.slice(i, i + 2)}`;
  return out;
}

/** `IP:port`, with IPv6 in brackets, as stored for a room's phone. */
export function formatPhoneAddress(ip: string, port: number): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * One spelling per IP address, so that the IP a phone reports and the address its request came
 * from compare equal however either is written: IPv6 compressed in lower case, an IPv4-mapped IPv6
 * address (a dual-stack socket's peer) as plain IPv4. Undefined for text that is no IP address.
 */
export function canonicalIp(text: string): string | undefined {
  let a = text.trim();
  if (a.startsWith("[") && a.endsWith("]")) a = a.slice(1, -1);
  if (IPV4.test(a)) return a;
  if (!a.includes(":")) return undefined;
  let host: string;
  try {
    host = new URL(`http://[${a}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (!mapped) return host;
  const hi = Number.parseInt(mapped[1], 16);
  const lo = Number.parseInt(mapped[2], 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** Whether two texts are the same IP address (two that are no address: the same text). */
export function sameIp(a: string, b: string): boolean {
  const x = canonicalIp(a);
  const y = canonicalIp(b);
  return x !== undefined || y !== undefined ? x === y : a.trim().toLowerCase() === b.trim().toLowerCase();
}

/** The IP of a stored phone address (`IP:port`, `[IPv6]:port`), as `canonicalIp` spells it. */
export function phoneAddressIp(address: string): string | undefined {
  const i = address.lastIndexOf(":");
  return i < 0 ? undefined : canonicalIp(address.slice(0, i));
}

// ---------------------------------------------------------------- who may set a room's phone

/** A phone event, as it arrived. */
export interface PhoneClaim {
  /** Where the request really came from (the HTTP client's address, not a header). */
  source: string;
  /** The IP the phone reports for itself (the source when it reports none). */
  ip: string;
  /** The phone's MAC, normalised; undefined when the event carries none. */
  mac: string | undefined;
  /** The SIP user (extension) the phone registered with, if it says. */
  user: string | undefined;
}

/** What the store knows about the rooms a claim names. */
export interface ClaimRooms {
  /** Rooms that learned this MAC (more than one only in a store from before this rule). */
  byMac: readonly string[];
  /** The one room whose extension is the claim's user, with the MAC it learned (null: none yet). */
  byExtension: { room: string; mac: string | null } | undefined;
}

export type ClaimDecision =
  | { allowed: true; room: string; rule: "learned-mac" | "first-phone-of-extension" }
  | {
      allowed: false;
      /** The room the claim was for, where the refusal is shown; undefined when no room knows the phone. */
      room: string | undefined;
      /** `unknown`: no room knows this phone (404); `conflict`: the evidence does not hold (409). */
      kind: "unknown" | "conflict";
      reason: string;
    };

/**
 * The one rule for phone events. A phone is trusted by what it cannot fake from elsewhere on the
 * phone network: it reports its own address (the request's source IS the reported IP, so nobody
 * can point a room's lamp and wake-up calls at another host), and it either (a) has the MAC that
 * room already learned (the same phone after a DHCP change keeps working) or (b) is the first phone
 * to register with the extension of a room that has learned no MAC yet. Anything else needs staff
 * (PUT /api/v1/rooms/{room} with phone.mac): a second phone for a room, a phone moved to another
 * room, a MAC learned by several rooms. A MAC is no secret, so this only protects as far as the
 * phone network is the phones' own: keep `phones.networks` to the phone VLAN.
 */
export function decidePhoneClaim(c: PhoneClaim, rooms: ClaimRooms): ClaimDecision {
  const ext = rooms.byExtension;
  const target = ext?.room ?? (rooms.byMac.length === 1 ? rooms.byMac[0] : undefined);
  const refuse = (reason: string, room = target, kind: "unknown" | "conflict" = "conflict"): ClaimDecision => ({
    allowed: false,
    room,
    kind,
    reason,
  });
  if (!sameIp(c.ip, c.source)) {
    return refuse(`the event reports ip ${c.ip} but came from ${c.source}; a phone may report only its own address`);
  }
  const confirm = (room: string) => `staff confirm a phone with PUT /api/v1/rooms/${room} and phone.mac`;
  if (c.mac === undefined) {
    if (!target) return refuse(unknownPhone(c), undefined, "unknown");
    return refuse(`the event carries no MAC, and a room's phone is known by its MAC; ${confirm(target)}`);
  }
  if (rooms.byMac.length > 1) {
    return refuse(`mac ${c.mac} is learned by rooms ${rooms.byMac.join(", ")}; ${confirm(target ?? "{room}")}`);
  }
  const learnedBy = rooms.byMac[0];
  if (learnedBy !== undefined) {
    if (ext && ext.room !== learnedBy) {
      return refuse(
        `mac ${c.mac} is the phone of room ${learnedBy}, but it registered with extension ${c.user} of room ${ext.room}; to move it, ${confirm(ext.room)}`,
      );
    }
    return { allowed: true, room: learnedBy, rule: "learned-mac" };
  }
  if (!ext) return refuse(unknownPhone(c), undefined, "unknown");
  if (ext.mac !== null) {
    return refuse(
      `room ${ext.room} already has the phone with mac ${ext.mac}; a different phone (mac ${c.mac}) replaces it only when ${confirm(ext.room)}`,
    );
  }
  return { allowed: true, room: ext.room, rule: "first-phone-of-extension" };
}

function unknownPhone(c: PhoneClaim): string {
  return `no room knows this phone (mac ${c.mac ?? "none"}, user ${c.user ?? "none"}); define it with PUT /api/v1/rooms/{room}`;
}
