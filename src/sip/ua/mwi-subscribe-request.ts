/** @module sip/ua/mwi-subscribe-request: reading a SUBSCRIBE for message-summary. */
import type { SipRequest, Uri } from "../message/index.ts";
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
