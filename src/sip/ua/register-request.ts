/** @module sip/ua/register-request: the REGISTER a port sends (RFC 3261 §10.2). */
import { randomBytes } from "node:crypto";
import { formatNameAddr, newTag, type SipRequest, sipUri } from "../message/index.ts";
import type { TransportKind } from "../transport/types.ts";
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
  const transportParam = p.local.transport === "udp" ? [] : [{ name: "transport", value: p.local.transport }];
  const contact = sipUri(p.local.address, { user: p.user, port: p.local.port, params: transportParam });
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
  h.append("Contact", `${formatNameAddr({ uri: contact })};expires=${p.expires}`);
  h.append("Expires", String(p.expires));
  for (const a of p.auth) h.append(a.name, a.value);
  h.append("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, NOTIFY, SUBSCRIBE");
  h.append("User-Agent", p.userAgent);
  h.append("Content-Length", "0");
  return req;
}
