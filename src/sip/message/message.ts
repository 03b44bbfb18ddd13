/**
 * @module sip/message/message
 * SipRequest and SipResponse: start line, header container, body bytes, and typed views of the
 * frequent headers. The views parse the raw header on first use and are cached until the headers
 * change. A malformed header makes its view throw SipParseError (`validateHeaders` turns that into
 * a reason). After `parseMessage`, Via, From, To, Call-ID, CSeq, Max-Forwards and Content-Length
 * are known to be well formed.
 */
import { parseMediaType } from "./content-type.ts";
import { parseCSeq } from "./cseq.ts";
import { Headers, headerName } from "./headers.ts";
import { parseContactList, parseNameAddrList, parseNameAddrRange } from "./name-addr.ts";
import { parseContentLength, parseExpires, parseMaxForwards } from "./numbers.ts";
import {
  type ContactList,
  type CSeq,
  type MediaType,
  type NameAddr,
  SipParseError,
  type Uri,
  type ViaHop,
} from "./types.ts";
import { parseViaList } from "./via.ts";

function single(headers: Headers, key: string, name: string): string {
  const values = headers.getAllByKey(key);
  if (values.length === 0) throw new SipParseError(`missing ${name}`, name);
  if (values.length > 1) throw new SipParseError(`more than one ${name}`, name);
  return values[0];
}

function optionalSingle(headers: Headers, key: string, name: string): string | undefined {
  const values = headers.getAllByKey(key);
  if (values.length > 1) throw new SipParseError(`more than one ${name}`, name);
  return values[0];
}

abstract class SipMessageBase {
  constructor(
    readonly headers: Headers = new Headers(),
    public body: Uint8Array = new Uint8Array(0),
  ) {}

  /** Every Via hop, top first. */
  get via(): readonly ViaHop[] {
    return this.headers.cached("via", () => parseViaList(this.headers.getAllByKey("via")));
  }

  get topVia(): ViaHop | undefined {
    return this.via[0];
  }

  get from(): NameAddr {
    return this.headers.cached("from", () => {
      const v = single(this.headers, "from", "From");
      return parseNameAddrRange(v, 0, v.length, "From");
    });
  }

  get to(): NameAddr {
    return this.headers.cached("to", () => {
      const v = single(this.headers, "to", "To");
      return parseNameAddrRange(v, 0, v.length, "To");
    });
  }

  get callId(): string {
    return this.headers.cached("call-id", () => parseCallId(single(this.headers, "call-id", "Call-ID")));
  }

  get cseq(): CSeq {
    return this.headers.cached("cseq", () => parseCSeq(single(this.headers, "cseq", "CSeq")));
  }

  get maxForwards(): number | undefined {
    return this.headers.cached("max-forwards", () => {
      const v = optionalSingle(this.headers, "max-forwards", "Max-Forwards");
      return v === undefined ? undefined : parseMaxForwards(v);
    });
  }

  /** The Content-Length header's value (after parseMessage it equals `body.length`). */
  get contentLength(): number | undefined {
    return this.headers.cached("content-length", () => {
      const v = optionalSingle(this.headers, "content-length", "Content-Length");
      return v === undefined ? undefined : parseContentLength(v);
    });
  }

  /** Contact values (empty when absent), or `"*"`. */
  get contacts(): ContactList {
    return this.headers.cached("contact", () => parseContactList(this.headers.getAllByKey("contact")));
  }

  get expires(): number | undefined {
    return this.headers.cached("expires", () => {
      const v = optionalSingle(this.headers, "expires", "Expires");
      return v === undefined ? undefined : parseExpires(v);
    });
  }

  get contentType(): MediaType | undefined {
    return this.headers.cached("content-type", () => {
      const v = optionalSingle(this.headers, "content-type", "Content-Type");
      return v === undefined ? undefined : parseMediaType(v);
    });
  }

  get routes(): readonly NameAddr[] {
    return this.headers.cached("route", () => parseNameAddrList(this.headers.getAllByKey("route"), "Route"));
  }

  get recordRoutes(): readonly NameAddr[] {
    return this.headers.cached("record-route", () =>
      parseNameAddrList(this.headers.getAllByKey("record-route"), "Record-Route"),
    );
  }

  /** Raw challenges, one per header field (never split on commas). */
  get wwwAuthenticate(): readonly string[] {
    return this.headers.getAllByKey("www-authenticate");
  }

  get proxyAuthenticate(): readonly string[] {
    return this.headers.getAllByKey("proxy-authenticate");
  }

  get authorization(): readonly string[] {
    return this.headers.getAllByKey("authorization");
  }

  get proxyAuthorization(): readonly string[] {
    return this.headers.getAllByKey("proxy-authorization");
  }
}

export class SipRequest extends SipMessageBase {
  readonly kind = "request" as const;

  constructor(
    public method: string,
    public uri: Uri,
    headers?: Headers,
    body?: Uint8Array,
  ) {
    super(headers, body);
  }
}

export class SipResponse extends SipMessageBase {
  readonly kind = "response" as const;

  constructor(
    public status: number,
    public reason: string,
    headers?: Headers,
    body?: Uint8Array,
  ) {
    super(headers, body);
  }
}

export type SipMessage = SipRequest | SipResponse;

/** Call-ID: `word [@ word]`: non-empty, no whitespace or controls. */
export function parseCallId(value: string): string {
  if (value.length === 0) throw new SipParseError("invalid Call-ID: empty", "Call-ID");
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c <= 32 || c === 127) throw new SipParseError("invalid Call-ID: whitespace or control character", "Call-ID");
  }
  return value;
}

const VIEWS: Record<string, (m: SipMessage) => unknown> = {
  via: (m) => m.via,
  from: (m) => m.from,
  to: (m) => m.to,
  "call-id": (m) => m.callId,
  cseq: (m) => m.cseq,
  "max-forwards": (m) => m.maxForwards,
  "content-length": (m) => m.contentLength,
  contact: (m) => m.contacts,
  expires: (m) => m.expires,
  "content-type": (m) => m.contentType,
  route: (m) => m.routes,
  "record-route": (m) => m.recordRoutes,
};

/**
 * Parses the typed views of the named headers (e.g. `["contact", "expires"]` for a registrar) and
 * returns the first problem as a reason for a 400, or undefined when they are all well formed.
 * Names without a typed view are ignored.
 */
export function validateHeaders(message: SipMessage, names: readonly string[]): string | undefined {
  for (const name of names) {
    const view = VIEWS[headerName(name).key];
    if (!view) continue;
    try {
      view(message);
    } catch (err) {
      if (err instanceof SipParseError) return err.message;
      throw err;
    }
  }
  return undefined;
}
