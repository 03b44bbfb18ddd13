/**
 * @module sip/ua/invite-request
 * The requests of a call we place: the initial INVITE (RFC 3261 §13.2.1) with our SDP offer, and
 * the CANCEL of it (§9.1): same Request-URI, Call-ID, From, To, CSeq number and Route headers, and
 * the INVITE's top Via alone (same branch), so every hop matches it to the INVITE.
 */
import { formatNameAddr, Headers, type Param, SipRequest, type SipUri, sipUri } from "../message/index.ts";
import type { TransportKind } from "../transport/types.ts";
import { usesFlows } from "./outbound.ts";
import type { RegisterParams } from "./register-request.ts";
import { startRequest } from "./request.ts";

export const CALL_ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, NOTIFY";

/** What a REGISTER and an INVITE of a port have in common (From = the port, via the PBX or proxy). */
export type InviteParams = Omit<RegisterParams, "expires"> & {
  /** Who is called: user part of the Request-URI and To. */
  callee: string;
  sdp: Uint8Array;
};

type Local = { address: string; port: number; transport: TransportKind };

/**
 * A port's Contact URI. Over TLS it names no listener: `;ob` asks the PBX to keep the dialog on the
 * flow the port registered on (RFC 5626 §4.3), which is how in-dialog requests reach us.
 */
export function portContactUri(user: string, local: Local): SipUri {
  const params: Param[] = local.transport === "udp" ? [] : [{ name: "transport", value: local.transport }];
  if (usesFlows(local.transport)) params.push({ name: "ob", value: null });
  return sipUri(local.address, { user, port: local.port, params });
}

/** Our Contact for a port: where in-dialog requests reach us. */
export function portContact(user: string, local: Local): string {
  return formatNameAddr({ uri: portContactUri(user, local) });
}

export function buildInvite(p: InviteParams): SipRequest {
  const req = startRequest({
    method: "INVITE",
    uri: sipUri(p.domain, { user: p.callee }),
    from: { uri: sipUri(p.domain, { user: p.user }), displayName: p.displayName, tag: p.fromTag },
    to: { uri: sipUri(p.domain, { user: p.callee }) },
    callId: p.callId,
    cseq: p.cseq,
    local: p.local,
    proxy: p.proxy,
  });
  const h = req.headers;
  h.append("Contact", portContact(p.user, p.local));
  for (const a of p.auth) h.append(a.name, a.value);
  h.append("Allow", CALL_ALLOW);
  h.append("User-Agent", p.userAgent);
  h.append("Content-Type", "application/sdp");
  req.body = p.sdp;
  return req;
}

/** The CANCEL of `invite` (§9.1). Credentials are not repeated: a CANCEL cannot be challenged. */
export function buildCancel(invite: SipRequest): SipRequest {
  const src = invite.headers;
  const h = new Headers();
  const topVia = src.getAll("Via")[0];
  if (topVia === undefined) throw new TypeError("buildCancel: the INVITE has no Via");
  h.append("Via", topVia);
  for (const route of src.getAll("Route")) h.append("Route", route);
  h.append("Max-Forwards", src.get("Max-Forwards") ?? "70");
  for (const name of ["From", "To", "Call-ID"]) {
    const v = src.get(name);
    if (v === undefined) throw new TypeError(`buildCancel: the INVITE has no ${name}`);
    h.append(name, v);
  }
  h.append("CSeq", `${invite.cseq.seq} CANCEL`);
  h.append("Content-Length", "0");
  return new SipRequest("CANCEL", invite.uri, h);
}
