/** @module sip/ua/mwi-subscribe-request: reading a SUBSCRIBE for message-summary. */
import { canonicalIp, phoneAddressIp } from "../../domain/phone.ts";
import type { SipRequest, Uri } from "../message/index.ts";
import type { Target } from "../transaction/types.ts";
import { MWI_CONTENT_TYPE } from "./mwi-body.ts";

/** `message-summary;id=7` → type and id; undefined without an Event header. */
export function parseEvent(value: string | undefined): { type: string; id: string | undefined } | undefined {
  if (value === undefined) return undefined;
  const [type, ...params] = value.split(";");
  let id: string | undefined;
  for (const p of params) {
    const eq = p.indexOf("=");
    if (eq > 0 && p.slice(0, eq).trim().toLowerCase() === "id") id = p.slice(eq + 1).trim();
  }
  return { type: type.trim().toLowerCase(), id };
}

/** No Accept, or one that allows application/simple-message-summary (RFC 6665 §4.2.1.1: else 406). */
export function acceptsSummary(req: SipRequest): boolean {
  const values = req.headers.values("Accept");
  if (values.length === 0) return true;
  for (const v of values) {
    const range = (v.split(";")[0] ?? "").trim().toLowerCase();
    if (range === MWI_CONTENT_TYPE || range === "application/*" || range === "*/*") return true;
  }
  return false;
}

/** The mailbox a SUBSCRIBE is for: the Request-URI's user (a tel: URI's number). */
export function requestUser(uri: Uri): string | undefined {
  if (uri.kind === "sip") return uri.user || undefined;
  if (uri.kind === "tel") return uri.number;
  return undefined;
}

export function safeCallId(req: SipRequest): string | undefined {
  try {
    return req.callId;
  } catch {
    return undefined;
  }
}

/**
 * Who may watch a mailbox: the phone its room knows (the source IP is the IP of the room's learned
 * phone address) or the PBX / outbound proxy (subscribing for the phones behind it). Anyone else on
 * the phone network would learn the guest's message count, so gets a refusal: the reason phrase of
 * the 403, or undefined when the subscriber is allowed.
 */
export function watcherRefusal(
  sourceIp: string,
  roomPhoneIp: string | undefined,
  trusted: ReadonlySet<string>,
): string | undefined {
  if (trusted.has(sourceIp)) return undefined;
  if (roomPhoneIp !== undefined && roomPhoneIp === sourceIp) return undefined;
  return roomPhoneIp === undefined ? "No Phone Known For This Mailbox" : "Not The Phone Of This Mailbox";
}

/**
 * The `authorize` of MwiSubscriptions: `trusted` are the PBX and proxy addresses, `phoneOf` gives the
 * address (`IP:port`) of the phone that the room with this extension knows.
 */
export function mailboxWatchers(
  trusted: Iterable<string>,
  phoneOf: ((user: string) => Promise<string | null | undefined>) | undefined,
): (user: string, source: Target) => Promise<string | undefined> {
  const ips = new Set([...trusted].map((a) => canonicalIp(a) ?? a));
  return async (user, source) => {
    const ip = canonicalIp(source.address) ?? source.address;
    if (ips.has(ip)) return undefined;
    const phone = await phoneOf?.(user);
    return watcherRefusal(ip, phone ? phoneAddressIp(phone) : undefined, ips);
  };
}
