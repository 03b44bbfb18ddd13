/** @module sip/ua/register-request: the REGISTER a port sends (RFC 3261 §10.2). */
import { randomBytes } from "node:crypto";
import { formatNameAddr, formatUri, formatVia, Headers, newTag, SipRequest, sipUri } from "../message/index.ts";
import { newBranch } from "../transaction/key.ts";
import type { TransportKind } from "../transport/types.ts";

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
  const uri = sipUri(p.domain);
  const aor = sipUri(p.domain, { user: p.user });
  const transportParam = p.local.transport === "udp" ? [] : [{ name: "transport", value: p.local.transport }];
  const contact = sipUri(p.local.address, { user: p.user, port: p.local.port, params: transportParam });
  const h = new Headers();
  h.append(
    "Via",
    formatVia({
      transport: p.local.transport.toUpperCase(),
      host: p.local.address,
      port: p.local.port,
      params: [
        { name: "branch", value: newBranch() },
        { name: "rport", value: null },
      ],
    }),
  );
  if (p.proxy)
    h.append(
      "Route",
      `<${formatUri(sipUri(p.proxy.address, { port: p.proxy.port, params: [{ name: "lr", value: null }] }))}>`,
    );
  h.append("Max-Forwards", "70");
  h.append("From", formatNameAddr({ displayName: p.displayName ?? undefined, uri: aor, tag: p.fromTag }));
  h.append("To", formatNameAddr({ displayName: p.displayName ?? undefined, uri: aor }));
  h.append("Call-ID", p.callId);
  h.append("CSeq", `${p.cseq} REGISTER`);
  h.append("Contact", `${formatNameAddr({ uri: contact })};expires=${p.expires}`);
  h.append("Expires", String(p.expires));
  for (const a of p.auth) h.append(a.name, a.value);
  h.append("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, NOTIFY, SUBSCRIBE");
  h.append("User-Agent", p.userAgent);
  h.append("Content-Length", "0");
  return new SipRequest("REGISTER", uri, h);
}
