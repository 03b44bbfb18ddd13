/**
 * @module sip/message/serialize
 * Message → bytes: the start line, header fields in order as `Name: value` with CRLF, the empty
 * line, the body. Content-Length is always written and always matches the body (at the place of the
 * first Content-Length field, else last). Header values are written raw, as stored.
 */
import { oneLine } from "./chars.ts";
import type { SipMessage } from "./message.ts";
import { formatUri } from "./uri.ts";

const encoder = new TextEncoder();

/** The start line and header section, including the final empty line. */
export function serializeHead(message: SipMessage): string {
  const parts: string[] = [
    message.kind === "request"
      ? `${message.method} ${formatUri(message.uri)} SIP/2.0\r\n`
      : `SIP/2.0 ${message.status} ${oneLine(message.reason)}\r\n`,
  ];
  let lengthWritten = false;
  for (const h of message.headers) {
    if (h.key === "content-length") {
      if (!lengthWritten) parts.push(`Content-Length: ${message.body.length}\r\n`);
      lengthWritten = true;
      continue;
    }
    parts.push(`${h.name}: ${h.value}\r\n`);
  }
  if (!lengthWritten) parts.push(`Content-Length: ${message.body.length}\r\n`);
  parts.push("\r\n");
  return parts.join("");
}

/** The message as bytes, ready for a datagram or a stream. */
export function serialize(message: SipMessage): Uint8Array {
  const head = encoder.encode(serializeHead(message));
  if (message.body.length === 0) return head;
  const out = new Uint8Array(head.length + message.body.length);
  out.set(head, 0);
  out.set(message.body, head.length);
  return out;
}
