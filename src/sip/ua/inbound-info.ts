/**
 * @module sip/ua/inbound-info
 * Who is calling a port and what they dialled, as plain user parts: the Request-URI, To,
 * Diversion (RFC 5806) and History-Info (RFC 7044) entries, From and P-Asserted-Identity (RFC 3325).
 * A header that does not parse is left out: an odd Diversion must not cost the guest the call.
 */
import { parseNameAddrList, type SipRequest, type Uri } from "../message/index.ts";

export interface InboundParties {
  requestUser?: string;
  toUser?: string;
  /** Diversion headers, topmost (most recent) first. */
  diversionUsers: string[];
  /** History-Info entries in header order. */
  historyInfoUsers: string[];
  fromUser?: string;
  /** P-Asserted-Identity users, in header order. */
  assertedUsers: string[];
}

function userOf(uri: Uri): string | undefined {
  if (uri.kind === "sip") return uri.user || undefined;
  if (uri.kind === "tel") return uri.number;
  return undefined;
}

function users(req: SipRequest, header: string): string[] {
  try {
    const out: string[] = [];
    for (const na of parseNameAddrList(req.headers.getAll(header), header)) {
      const u = userOf(na.uri);
      if (u) out.push(u);
    }
    return out;
  } catch {
    return [];
  }
}

function one(get: () => Uri): string | undefined {
  try {
    return userOf(get());
  } catch {
    return undefined;
  }
}

export function inboundParties(req: SipRequest): InboundParties {
  const p: InboundParties = {
    diversionUsers: users(req, "Diversion"),
    historyInfoUsers: users(req, "History-Info"),
    assertedUsers: users(req, "P-Asserted-Identity"),
  };
  const requestUser = one(() => req.uri);
  const toUser = one(() => req.to.uri);
  const fromUser = one(() => req.from.uri);
  if (requestUser) p.requestUser = requestUser;
  if (toUser) p.toUser = toUser;
  if (fromUser) p.fromUser = fromUser;
  return p;
}
