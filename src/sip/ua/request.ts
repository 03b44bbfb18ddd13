/** @module sip/ua/request: the common start of every request we send outside a dialog. */
import { formatNameAddr, formatUri, formatVia, Headers, SipRequest, type SipUri, sipUri } from "../message/index.ts";
import { newBranch } from "../transaction/key.ts";
import type { TransportKind } from "../transport/types.ts";
import { usesFlows } from "./outbound.ts";

export interface RequestBase {
  method: string;
  uri: SipUri;
  from: { uri: SipUri; displayName?: string | null; tag: string };
  to: { uri: SipUri; displayName?: string | null };
  callId: string;
  cseq: number;
  /** Our address and port, as put in Via. */
  local: { address: string; port: number; transport: TransportKind };
  /** Outbound proxy to route through (loose routing). */
  proxy?: { address: string; port: number };
}

/** Via (with branch and rport), Route, Max-Forwards, From, To, Call-ID, CSeq; callers append the rest. */
export function startRequest(b: RequestBase): SipRequest {
  const h = new Headers();
  h.append(
    "Via",
    formatVia({
      transport: b.local.transport.toUpperCase(),
      host: b.local.address,
      port: b.local.port,
      params: [
        { name: "branch", value: newBranch() },
        { name: "rport", value: null },
      ],
    }),
  );
  if (b.proxy) {
    // Over TLS the port lives on its flow to the proxy (RFC 5626): `ob` says so to an outbound proxy.
    const params = [{ name: "lr", value: null }];
    if (usesFlows(b.local.transport)) params.push({ name: "ob", value: null });
    const route = sipUri(b.proxy.address, { port: b.proxy.port, params });
    h.append("Route", `<${formatUri(route)}>`);
  }
  h.append("Max-Forwards", "70");
  h.append("From", formatNameAddr({ displayName: b.from.displayName ?? undefined, uri: b.from.uri, tag: b.from.tag }));
  h.append("To", formatNameAddr({ displayName: b.to.displayName ?? undefined, uri: b.to.uri }));
  h.append("Call-ID", b.callId);
  h.append("CSeq", `${b.cseq} ${b.method}`);
  return new SipRequest(b.method, b.uri, h);
}
