/**
 * @module sip/ua/refer
 * The messages of a blind transfer (RFC 3515): our REFER inside a call's dialog, and what the
 * NOTIFYs of the implicit `refer` subscription tell us (RFC 6665 for the subscription, RFC 3420 for
 * the `message/sipfrag` body).
 *
 * - The REFER is a target refresh request: it carries our Contact. `Refer-To` names the target on
 *   the host the ports register with; `Referred-By` (RFC 3892) names the port. No `Refer-Sub`
 *   (RFC 4488): we want the NOTIFYs, they tell us when our leg may go.
 * - NOTIFYs are read liberally: `Event: refer` with or without `;id=` (we have at most one REFER
 *   subscription in a dialog), a sipfrag body whatever its Content-Type says, `Subscription-State`
 *   in any case; a NOTIFY without a readable status line still counts as a sign of life.
 */
import type { AuthHeader } from "../auth/session.ts";
import type { Dialog, InDialogRequestOptions } from "../dialog/dialog.ts";
import type { SipRequest, SipResponse } from "../message/index.ts";
import { parseEvent } from "./mwi-subscribe-request.ts";
import { parseSipfragStatus, type SipfragStatus } from "./sipfrag.ts";

export const REFER_EVENT = "refer";

export interface ReferRequestOptions {
  /** Our sent-by and the transport (the Via). */
  via: InDialogRequestOptions["via"];
  /** Our Contact header value. */
  contact: string;
  /** The Refer-To value, e.g. `<sip:100@pbx.example>` (refer-target.ts). */
  referTo: string;
  /** The Referred-By value: the port, e.g. `<sip:2001@pbx.example>`. */
  referredBy: string;
  userAgent: string;
  /** Credentials, when the REFER answers a challenge (or reuses a nonce). */
  auth?: readonly AuthHeader[];
}

/** A REFER in `dialog` (takes the dialog's next CSeq). */
export function buildRefer(dialog: Dialog, o: ReferRequestOptions): SipRequest {
  const headers: [string, string][] = [
    ["Refer-To", o.referTo],
    ["Referred-By", o.referredBy],
  ];
  for (const a of o.auth ?? []) headers.push([a.name, a.value]);
  headers.push(["User-Agent", o.userAgent]);
  return dialog.createRequest("REFER", { via: o.via, contact: o.contact, headers });
}

/** Whether a NOTIFY belongs to a REFER subscription (`Event: refer`, any `id`). */
export function isReferNotify(req: SipRequest): boolean {
  return parseEvent(req.headers.get("Event"))?.type === REFER_EVENT;
}

export interface ReferNotify {
  /** The `id` of the Event header: the CSeq of the REFER it reports on, when given. */
  id: string | undefined;
  /** The referred call's status line, when the body holds one. */
  status: SipfragStatus | undefined;
  /** `Subscription-State: terminated`: no NOTIFY follows. */
  terminated: boolean;
}

/** What a NOTIFY of a REFER subscription reports. */
export function readReferNotify(req: SipRequest): ReferNotify {
  return {
    id: parseEvent(req.headers.get("Event"))?.id,
    status: parseSipfragStatus(req.body),
    terminated: subscriptionState(req.headers.get("Subscription-State")) === "terminated",
  };
}

/** The substate of a Subscription-State value (`active`, `pending`, `terminated`…), lower case. */
export function subscriptionState(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const semi = value.indexOf(";");
  const state = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
  return state || undefined;
}

/** RFC 4488: a 2xx to our REFER with `Refer-Sub: false` says no NOTIFY will come. */
export function refusesSubscription(resp: SipResponse): boolean {
  return resp.headers.get("Refer-Sub")?.trim().toLowerCase() === "false";
}
