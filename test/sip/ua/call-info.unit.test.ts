/** SIP INFO keys (the fallback of RFC 4733) and the dialled/calling parties of an inbound call. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseMessage, type SipRequest } from "../../../src/sip/message/index.ts";
import { infoDigit } from "../../../src/sip/ua/call.ts";

function request(head: string[], body = ""): SipRequest {
  const text = `${head.join("\r\n")}\r\nContent-Length: ${new TextEncoder().encode(body).length}\r\n\r\n${body}`;
  const r = parseMessage(new TextEncoder().encode(text));
  if (!r.ok || r.message.kind !== "request") throw new Error(`test message does not parse: ${r.ok ? "" : r.reason}`);
  return r.message;
}

const base = [
  "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1",
  "From: <sip:2101@127.0.0.1>;tag=a",
  "To: <sip:2001@127.0.0.1>;tag=b",
  "Call-ID: c1",
  "Max-Forwards: 70",
];

function info(type: string, body: string): SipRequest {
  return request(["INFO sip:2001@127.0.0.1 SIP/2.0", ...base, "CSeq: 2 INFO", `Content-Type: ${type}`], body);
}

describe("SIP INFO keys", () => {
  test("application/dtmf-relay Signal= and application/dtmf", () => {
    assert.equal(infoDigit(info("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n")), "5");
    assert.equal(infoDigit(info("application/dtmf-relay", "signal= #\r\n")), "#");
    assert.equal(infoDigit(info("Application/DTMF", "*")), "*");
    assert.equal(infoDigit(info("application/dtmf", "a")), "A");
  });
  test("anything else is no key", () => {
    assert.equal(infoDigit(info("application/dtmf-relay", "Duration=160")), undefined);
    assert.equal(infoDigit(info("application/dtmf-relay", "Signal=12")), undefined);
    assert.equal(infoDigit(info("application/dtmf", "x")), undefined);
    assert.equal(infoDigit(info("text/plain", "5")), undefined);
  });
});
