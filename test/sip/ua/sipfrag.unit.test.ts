/** The status line of a message/sipfrag body (RFC 3420) as REFER's NOTIFYs carry it (RFC 3515 §2.4.5). */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { parseSipfragStatus } from "../../../src/sip/ua/sipfrag.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("sipfrag status line", () => {
  test("the forms RFC 3515 shows", () => {
    assert.deepEqual(parseSipfragStatus(bytes("SIP/2.0 100 Trying\r\n")), { status: 100, reason: "Trying" });
    assert.deepEqual(parseSipfragStatus(bytes("SIP/2.0 200 OK")), { status: 200, reason: "OK" });
    assert.deepEqual(parseSipfragStatus(bytes("SIP/2.0 503 Service Unavailable\r\nRetry-After: 5\r\n\r\n")), {
      status: 503,
      reason: "Service Unavailable",
    });
  });

  test("liberal: blank lines and spaces before, any case, tabs, LF only, no reason, other versions", () => {
    assert.deepEqual(parseSipfragStatus(bytes("\r\n  sip/2.0 180 Ringing\n")), { status: 180, reason: "Ringing" });
    assert.deepEqual(parseSipfragStatus(bytes("SIP/2.0\t486\tBusy Here  \r\n")), { status: 486, reason: "Busy Here" });
    assert.deepEqual(parseSipfragStatus(bytes("SIP/2.0 603")), { status: 603, reason: "" });
    assert.deepEqual(parseSipfragStatus(bytes("SIP/2.0 200\r\n")), { status: 200, reason: "" });
    assert.deepEqual(parseSipfragStatus(bytes("SIP/3.10 200 OK")), { status: 200, reason: "OK" });
    assert.deepEqual(parseSipfragStatus(bytes("SIP/2.0 200 Très bien")), { status: 200, reason: "Très bien" });
  });

  test("not a status line", () => {
    for (const s of [
      "",
      "\r\n",
      "INVITE sip:100@pbx SIP/2.0",
      "SIP/2.0",
      "SIP/2.0 ",
      "SIP/2.0 20 OK",
      "SIP/2.0 2000 OK",
      "SIP/2.0 099 Low",
      "SIP/2.0 700 High",
      "SIP/2 200 OK",
      "SIP/.0 200 OK",
      "SIP2.0 200 OK",
      "SIP/2.0200 OK",
      "SIP/2.0 20x OK",
      "HTTP/1.1 200 OK",
    ])
      assert.equal(parseSipfragStatus(bytes(s)), undefined, JSON.stringify(s));
  });

  test("never throws, and what it returns is a status in range", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        const r = parseSipfragStatus(b);
        return r === undefined || (r.status >= 100 && r.status <= 699 && !/[\r\n]/.test(r.reason));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 699 }), fc.stringMatching(/^[A-Za-z ]{0,20}$/), (status, reason) => {
        const r = parseSipfragStatus(bytes(`SIP/2.0 ${status} ${reason}\r\n`));
        return r?.status === status && r.reason === reason.trim();
      }),
    );
  });
});
