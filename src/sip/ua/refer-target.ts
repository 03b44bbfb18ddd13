/**
 * @module sip/ua/refer-target
 * Where a call is sent on: the URI of a REFER's Refer-To (RFC 3515) and of a 302's Contact
 * (RFC 3261 §21.3.3). Targets are what the flows and the config hold: a dialled number or
 * extension, which becomes `sip:<number>@<domain>` on the host the ports register with (as every
 * other request of a port names it), or a whole sip:/sips:/tel: URI, taken as written. Anything
 * else is refused here, before a byte is sent: strict in what we send.
 */
import { formatUri, parseUri, sipUri, type Uri } from "../message/index.ts";

const MAX_TARGET = 128;

/** The target as a URI; throws TypeError for an empty or malformed target. */
export function targetUri(target: string, domain: string): Uri {
  const t = target.trim();
  if (t.length === 0) throw new TypeError("transfer target is empty");
  if (t.length > MAX_TARGET) throw new TypeError(`transfer target is longer than ${MAX_TARGET} characters`);
  const colon = t.indexOf(":");
  const scheme = colon > 0 ? t.slice(0, colon).toLowerCase() : "";
  if (scheme === "sip" || scheme === "sips" || scheme === "tel") {
    try {
      return parseUri(t);
    } catch (err) {
      throw new TypeError(`transfer target ${JSON.stringify(t)}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    // Printable ASCII but '@': a user part (percent-encoded as needed when formatted).
    if (c <= 0x20 || c >= 0x7f || c === 0x40)
      throw new TypeError(`transfer target ${JSON.stringify(t)} is not a number or a SIP URI`);
  }
  return sipUri(domain, { user: t });
}

/** `<uri>`: the header value a Refer-To or Contact carries for the target. */
export function targetHeader(target: string, domain: string): string {
  return `<${formatUri(targetUri(target, domain))}>`;
}
