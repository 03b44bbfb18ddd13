/**
 * @module sip/message/types
 * The value types of the SIP message layer: URIs, name-addr, Via hops, CSeq, media types, and the
 * error the typed header parsers throw. Header values stay raw strings in the message; these are
 * the parsed views.
 */

/** A malformed header value or URI. `header` names the header field when there is one. */
export class SipParseError extends Error {
  constructor(
    message: string,
    readonly header?: string,
  ) {
    super(message);
    this.name = "SipParseError";
  }
}

/** A `;name=value` parameter. `value` is null for a parameter without `=`. */
export interface Param {
  name: string;
  value: string | null;
}

/**
 * sip: / sips: URI. `user`, `password`, parameter names and values and header names and values are
 * %-decoded (RFC 3261 §19.1.4 treats escapes as equivalent); `host` has no IPv6 brackets.
 */
export interface SipUri {
  kind: "sip";
  scheme: "sip" | "sips";
  user: string | undefined;
  password: string | undefined;
  host: string;
  port: number | undefined;
  params: Param[];
  headers: Param[];
}

/** tel: URI (RFC 3966), number kept as written. */
export interface TelUri {
  kind: "tel";
  number: string;
  params: Param[];
}

/** Any other absoluteURI (RFC 3261 allows them in the Request-URI and name-addr). */
export interface AbsoluteUri {
  kind: "absolute";
  scheme: string;
  opaque: string;
}

export type Uri = SipUri | TelUri | AbsoluteUri;

/**
 * name-addr or addr-spec with its header parameters (To, From, Contact, Route, Record-Route…).
 * `displayName` is decoded (quotes and quoted-pairs removed). Header parameter values are raw:
 * a quoted-string keeps its quotes.
 */
export interface NameAddr {
  displayName: string | undefined;
  uri: Uri;
  params: Param[];
  /** The `tag` parameter, if any. */
  tag: string | undefined;
}

/** One Via header field value (one hop). */
export interface ViaHop {
  /** `SIP/2.0` as written (protocol name and version, without the LWS). */
  protocol: string;
  /** Upper-cased transport: UDP, TCP, TLS, SCTP, WS, WSS, or an extension token. */
  transport: string;
  /** sent-by host, no IPv6 brackets. */
  host: string;
  port: number | undefined;
  params: Param[];
  branch: string | undefined;
  received: string | undefined;
  /** RFC 3581: `true` when present without a value (a request for rport), else the port. */
  rport: number | true | undefined;
}

export interface CSeq {
  seq: number;
  method: string;
}

/** Content-Type: type and subtype lower-cased, parameters raw. */
export interface MediaType {
  type: string;
  subtype: string;
  params: Param[];
}

/** The value of a `Contact` header: a list, or the `*` of a REGISTER that removes all bindings. */
export type ContactList = NameAddr[] | "*";

/** Finds a parameter case-insensitively; undefined when absent, null when present without value. */
export function getParam(params: readonly Param[], name: string): string | null | undefined {
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    if (p.name.length === name.length && (p.name === name || p.name.toLowerCase() === name.toLowerCase())) {
      return p.value;
    }
  }
  return undefined;
}

export function hasParam(params: readonly Param[], name: string): boolean {
  return getParam(params, name) !== undefined;
}
