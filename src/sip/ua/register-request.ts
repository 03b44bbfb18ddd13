/** @module sip/ua/register-request: the REGISTER a port sends (RFC 3261 §10.2; over TLS with RFC 5626). */
import { randomBytes } from "node:crypto";
import { formatNameAddr, formatUri, newTag, type SipRequest, sipUri } from "../message/index.ts";
import type { TransportKind } from "../transport/types.ts";
import { portContactUri } from "./invite-request.ts";
import { instanceId, OUTBOUND_SUPPORTED, REG_ID, usesFlows } from "./outbound.ts";
import { startRequest } from "./request.ts";

export interface RegisterParams {
  user: string;
  displayName: string | null;
  /** Host of the Request-URI and of the AoR (PBX address or SIP domain). */
  domain: string;
  /** Our address and port, as put in Via and Contact. */
  local: { address: string; port: number; transport: TransportKind };
  callId: string;
  fromTag: string;
  cseq: number;
  expires: number;
  /** Outbound proxy to route through (loose routing). */
  proxy?: { address: string; port: number };
  userAgent: string;
  auth: { name: string; value: string }[];
}

export function newCallId(host: string): string {
  return `${randomBytes(12).toString("hex")}@${host.includes(":") ? `[${host}]` : host}`;
}

export { newTag };

export function buildRegister(p: RegisterParams): SipRequest {
  const aor = sipUri(p.domain, { user: p.user });
  const contact = portContactUri(p.user, p.local);
  const req = startRequest({
    method: "REGISTER",
    uri: sipUri(p.domain),
    from: { uri: aor, displayName: p.displayName, tag: p.fromTag },
    to: { uri: aor, displayName: p.displayName },
    callId: p.callId,
    cseq: p.cseq,
    local: p.local,
    proxy: p.proxy,
  });
  const h = req.headers;
  // RFC 5626 §4.2: this registration is a flow of this instance; the registrar sends requests for it there.
  const outbound = usesFlows(p.local.transport)
    ? `;+sip.instance="<${instanceId(formatUri(aor))}>";reg-id=${REG_ID}`
    : "";
  h.append("Contact", `${formatNameAddr({ uri: contact })}${outbound};expires=${p.expires}`);
  h.append("Expires", String(p.expires));
  if (outbound) h.append("Supported", OUTBOUND_SUPPORTED);
  for (const a of p.auth) h.append(a.name, a.value);
  h.append("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, NOTIFY, SUBSCRIBE");
  h.append("User-Agent", p.userAgent);
  h.append("Content-Length", "0");
  return req;
}
