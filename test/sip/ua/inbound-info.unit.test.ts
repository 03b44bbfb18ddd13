/** The dialled and calling parties of an inbound INVITE, with the forwarding headers' structure. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseMessage, type SipRequest } from "../../../src/sip/message/index.ts";
import { inboundParties, targetUser } from "../../../src/sip/ua/inbound-info.ts";

function invite(requestUri: string, extra: string[], to = "<sip:600@hotel.test>"): SipRequest {
  const head = [
    `INVITE ${requestUri} SIP/2.0`,
    "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1",
    'From: "Room 101" <sip:101@hotel.test>;tag=x',
    `To: ${to}`,
    "Call-ID: c1",
    "CSeq: 1 INVITE",
    "Max-Forwards: 70",
    ...extra,
  ];
  const r = parseMessage(new TextEncoder().encode(`${head.join("\r\n")}\r\nContent-Length: 0\r\n\r\n`));
  if (!r.ok || r.message.kind !== "request") throw new Error(`test message does not parse: ${r.ok ? "" : r.reason}`);
  return r.message;
}

describe("inbound parties", () => {
  test("dialled number from the Request-URI, To, Diversion, History-Info; caller from PAI and From", () => {
    const p = inboundParties(
      invite(
        "sip:2001@127.0.0.1:5060",
        [
          "Diversion: <sip:501@pbx.test>;reason=unconditional",
          "History-Info: <sip:500@pbx.test>;index=1, <sip:2001@127.0.0.1>;index=1.1",
          "P-Asserted-Identity: <sip:2101@pbx.test>, <tel:+390612345>",
        ],
        "<sip:500@pbx.test>",
      ),
    );
    assert.deepEqual(p, {
      requestUser: "2001",
      toUser: "500",
      fromUser: "101",
      diversionUsers: ["501"],
      historyInfoUsers: ["500", "2001"],
      assertedUsers: ["2101", "+390612345"],
      diversions: [{ user: "501", reason: "unconditional" }],
      historyInfo: [
        { user: "500", index: "1" },
        { user: "2001", index: "1.1" },
      ],
    });
  });

  test("RFC 4458: target (an escaped URI) and cause of the Request-URI", () => {
    const p = inboundParties(
      invite("sip:voicemail@example.com;target=sip:+15555551002%40example.com;user=phone;cause=486", []),
    );
    assert.equal(p.requestUser, "voicemail");
    assert.equal(p.requestTarget, "+15555551002");
    assert.equal(p.requestCause, "486");
  });

  test("target written without a scheme or host still names its user", () => {
    assert.equal(targetUser("sip:101@hotel.test"), "101");
    assert.equal(targetUser("tel:+15555551002"), "+15555551002");
    assert.equal(targetUser("101"), "101");
    assert.equal(targetUser("101@hotel.test"), "101");
    assert.equal(targetUser("sip:"), undefined);
    assert.equal(inboundParties(invite("sip:vm@hotel.test;target=101", [])).requestTarget, "101");
    assert.equal(inboundParties(invite("sip:vm@hotel.test;cause=408", [])).requestTarget, undefined);
  });

  test("To display name", () => {
    const p = inboundParties(invite("sip:800@10.0.0.5", [], '"Room 101 Smith" <sip:800@zoom.test>'));
    assert.equal(p.toDisplay, "Room 101 Smith");
    assert.equal(p.toUser, "800");
    assert.equal(inboundParties(invite("sip:800@10.0.0.5", [])).toDisplay, undefined);
  });

  test("RFC 5806: Diversion entries in header order with display, reason and counter", () => {
    const p = inboundParties(
      invite("sip:600@hotel.test", [
        'Diversion: "Room 101" <sip:101@hotel.test>;reason=no-answer;counter=1;privacy=off',
        'Diversion: <sip:9@hotel.test>;reason="user-busy";counter=2, <tel:+3906123>;reason=unconditional;counter=x',
      ]),
    );
    assert.deepEqual(p.diversions, [
      { user: "101", display: "Room 101", reason: "no-answer", counter: 1 },
      { user: "9", reason: "user-busy", counter: 2 },
      { user: "+3906123", reason: "unconditional" },
    ]);
    assert.deepEqual(p.diversionUsers, ["101", "9", "+3906123"]);
  });

  test("RFC 7044: History-Info index, cause of the targeted-to URI, parent from mp / rc / np", () => {
    const p = inboundParties(
      invite("sip:600@hotel.test;cause=408", [
        'History-Info: "Room 101 Smith" <sip:101@hotel.test>;index=1',
        "History-Info: <sip:101@192.0.2.5?Reason=SIP%3Bcause%3D408>;index=1.1;rc=1",
        "History-Info: <sip:600@hotel.test;cause=408>;index=1.1.1;mp=1.1",
        "History-Info: <sip:600@10.0.0.5>;index=1.1.1.1;np=1.1.1, <sip:x@h>;index=1..2;mp=z",
      ]),
    );
    assert.deepEqual(p.historyInfo, [
      { user: "101", display: "Room 101 Smith", index: "1" },
      { user: "101", index: "1.1", parentIndex: "1" },
      { user: "600", index: "1.1.1", cause: "408", parentIndex: "1.1" },
      { user: "600", index: "1.1.1.1", parentIndex: "1.1.1" },
      { user: "x" },
    ]);
    assert.equal(p.requestCause, "408");
  });

  test("a header that does not parse is left out, not fatal; the other entries stay", () => {
    const p = inboundParties(
      invite("sip:600@hotel.test", [
        "Diversion: <<<not a uri",
        "Diversion: <sip:102@hotel.test>;reason=no-answer, garbage <",
        "History-Info: ;index=1",
        'History-Info: "unterminated <sip:1@h>',
        "P-Asserted-Identity: <sip:101@hotel.test>, ,",
        "P-Asserted-Identity: <mailto:x>",
      ]),
    );
    assert.deepEqual(p.diversions, [{ user: "102", reason: "no-answer" }]);
    assert.deepEqual(p.historyInfo, []);
    assert.deepEqual(p.assertedUsers, ["101"]);
    assert.equal(p.requestUser, "600");
  });

  test("a URI without a user or of another scheme gives no user", () => {
    const p = inboundParties(invite("sip:hotel.test", ["Diversion: <sip:hotel.test>;reason=unknown"]));
    assert.equal(p.requestUser, undefined);
    assert.deepEqual(p.diversions, [{ reason: "unknown" }]);
    assert.deepEqual(p.diversionUsers, []);
  });
});
