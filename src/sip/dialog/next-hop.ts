/**
 * @module sip/dialog/next-hop
 * Where a request built from a URI goes (RFC 3261 §8.1.2, without RFC 3263 DNS): the URI's host and
 * port, the transport from its `transport` parameter (`sips:` means TLS), else the caller's default.
 * `maddr` is not honoured. The host may be a name; resolving it is the caller's business.
 */
import { getParam, type SipUri, type Uri } from "../message/index.ts";

export type HopTransport = "udp" | "tcp" | "tls";

/** The next hop of a request: structurally a transaction `Target` once `host` is an IP literal. */
export interface Hop {
  transport: HopTransport;
  /** Host as in the URI (no IPv6 brackets); may be a DNS name. */
  host: string;
  port: number;
  /** The URI the hop was taken from (first Route, or the remote target). */
  uri: SipUri;
}

/** The transport a URI asks for, or undefined when it names none we know. */
export function uriTransport(uri: SipUri): HopTransport | undefined {
  const t = getParam(uri.params, "transport")?.toLowerCase();
  if (t === "udp" || t === "tcp" || t === "tls") return t;
  if (uri.scheme === "sips") return "tls";
  return undefined;
}

/** The hop for a sip:/sips: URI; `defaultTransport` when the URI names none. Throws for other URIs. */
export function hopOf(uri: Uri, defaultTransport: HopTransport): Hop {
  if (uri.kind !== "sip") throw new TypeError(`cannot send to a ${uri.kind === "tel" ? "tel" : uri.scheme}: URI`);
  const transport = uriTransport(uri) ?? defaultTransport;
  return { transport, host: uri.host, port: uri.port ?? (transport === "tls" ? 5061 : 5060), uri };
}
