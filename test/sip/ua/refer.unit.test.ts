/** The messages of a blind transfer (RFC 3515): our REFER, its target, and what the NOTIFYs report. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Dialog } from "../../../src/sip/dialog/dialog.ts";
import { buildErrorResponse, parseMessage, type SipRequest, serialize } from "../../../src/sip/message/index.ts";
import {
  buildRefer,
  isReferNotify,
  readReferNotify,
  refusesSubscription,
  subscriptionState,
} from "../../../src/sip/ua/refer.ts";
import { targetHeader, targetUri } from "../../../src/sip/ua/refer-target.ts";

function request(head: string[], body = ""): SipRequest {
  const text = `${head.join("\r\n")}\r\nContent-Length: ${new TextEncoder().encode(body).length}\r\n\r\n${body}`;
  const r = parseMessage(new TextEncoder().encode(text));
  if (!r.ok || r.message.kind !== "request") throw new Error(`test message does not parse: ${r.ok ? "" : r.reason}`);
  return r.message;
}

/** The PBX's INVITE to port 2001, through a record-routing proxy. */
const invite = request([
  "INVITE sip:2001@192.0.2.10:5060 SIP/2.0",
  "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1",
  "Record-Route: <sip:127.0.0.1:5080;lr>",
  "From: <sip:101@pbx.example>;tag=caller",
  "To: <sip:600@pbx.example>",
  "Call-ID: c1",
  "CSeq: 7 INVITE",
  "Contact: <sip:101@127.0.0.1:5070>",
  "Max-Forwards: 70",
]);

function notify(head: string[], body = ""): SipRequest {
  return request(
    [
      "NOTIFY sip:2001@192.0.2.10:5060 SIP/2.0",
      "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK9",
      "From: <sip:101@pbx.example>;tag=caller",
      "To: <sip:600@pbx.example>;tag=ours",
      "Call-ID: c1",
      "CSeq: 8 NOTIFY",
      "Max-Forwards: 70",
      ...head,
    ],
    body,
  );
}

describe("the REFER", () => {
  test("in the call's dialog: remote target, route set, next CSeq, Contact, Refer-To and Referred-By", () => {
    const dialog = Dialog.asUas(invite, { localTag: "ours" });
    const refer = buildRefer(dialog, {
      via: { transport: "udp", host: "192.0.2.10", port: 5060 },
      contact: "<sip:2001@192.0.2.10:5060>",
      referTo: targetHeader("100", "pbx.example"),
      referredBy: targetHeader("2001", "pbx.example"),
      userAgent: "bellhop-test",
    });
    const text = new TextDecoder().decode(serialize(refer));
    const again = parseMessage(serialize(refer));
    assert.ok(again.ok && again.message.kind === "request", "what we send parses");
    assert.equal(refer.method, "REFER");
    assert.match(text, /^REFER sip:101@127\.0\.0\.1:5070 SIP\/2\.0\r\n/);
    assert.equal(refer.headers.get("Route"), "<sip:127.0.0.1:5080;lr>");
    assert.equal(refer.cseq.seq, 1);
    assert.equal(refer.cseq.method, "REFER");
    assert.equal(refer.from.tag, "ours");
    assert.equal(refer.to.tag, "caller");
    assert.equal(refer.callId, "c1");
    assert.equal(refer.headers.get("Contact"), "<sip:2001@192.0.2.10:5060>");
    assert.equal(refer.headers.get("Refer-To"), "<sip:100@pbx.example>");
    assert.equal(refer.headers.get("Referred-By"), "<sip:2001@pbx.example>");
    assert.equal(refer.headers.get("Refer-Sub"), undefined, "we want the NOTIFYs");
    assert.equal(refer.headers.get("Event"), undefined, "the refer event is implicit");
    assert.match(refer.headers.get("Via") ?? "", /^SIP\/2\.0\/UDP 192\.0\.2\.10:5060;branch=z9hG4bK[0-9a-f]+;rport$/);
    const next = buildRefer(dialog, {
      via: { transport: "udp", host: "192.0.2.10", port: 5060 },
      contact: "<sip:2001@192.0.2.10:5060>",
      referTo: "<sip:100@pbx.example>",
      referredBy: "<sip:2001@pbx.example>",
      userAgent: "bellhop-test",
      auth: [{ name: "Proxy-Authorization", value: 'Digest username="2001"' }],
    });
    assert.equal(next.cseq.seq, 2, "a retried REFER takes the next CSeq");
    assert.equal(next.headers.get("Proxy-Authorization"), 'Digest username="2001"');
  });

  test("targets: a number on the domain, a URI as written, nothing malformed", () => {
    assert.equal(targetHeader("100", "pbx.example"), "<sip:100@pbx.example>");
    assert.equal(targetHeader(" 0 ", "192.0.2.1"), "<sip:0@192.0.2.1>");
    assert.equal(targetHeader("+4930123", "pbx.example"), "<sip:+4930123@pbx.example>");
    assert.equal(targetHeader("*97", "pbx.example"), "<sip:*97@pbx.example>");
    assert.equal(targetHeader("#1", "pbx.example"), "<sip:%231@pbx.example>", "escaped as RFC 3261 §25 says");
    assert.equal(targetHeader("100", "::1"), "<sip:100@[::1]>");
    assert.equal(
      targetHeader("sip:operator@desk.example;user=phone", "pbx.example"),
      "<sip:operator@desk.example;user=phone>",
    );
    assert.equal(targetHeader("tel:+4930123", "pbx.example"), "<tel:+4930123>");
    const uri = targetUri("SIP:100@other.example:5070", "pbx.example");
    assert.equal(uri.kind === "sip" && `${uri.host}:${uri.port}`, "other.example:5070");
    for (const bad of ["", "   ", "1 00", "100@pbx", "10\r\n0", "é", "x".repeat(129), "sip:", "sip:@"])
      assert.throws(() => targetUri(bad, "pbx.example"), TypeError, JSON.stringify(bad));
  });
});

describe("the NOTIFYs", () => {
  test("Event: refer with or without id, in any case; other events are not ours", () => {
    assert.ok(isReferNotify(notify(["Event: refer"])));
    assert.ok(isReferNotify(notify(["Event: Refer;id=3"])));
    assert.ok(isReferNotify(notify(["o: refer"])), "compact form");
    assert.ok(!isReferNotify(notify(["Event: message-summary"])));
    assert.ok(!isReferNotify(notify([])));
  });

  test("the sipfrag status and the subscription's state", () => {
    const trying = readReferNotify(
      notify(
        ["Event: refer;id=2", "Subscription-State: active;expires=60", "Content-Type: message/sipfrag;version=2.0"],
        "SIP/2.0 100 Trying\r\n",
      ),
    );
    assert.deepEqual(trying, { id: "2", status: { status: 100, reason: "Trying" }, terminated: false });
    const ok = readReferNotify(
      notify(
        ["Event: refer", "Subscription-State: Terminated;reason=noresource", "Content-Type: message/sipfrag"],
        "SIP/2.0 200 OK\r\n",
      ),
    );
    assert.deepEqual(ok, { id: undefined, status: { status: 200, reason: "OK" }, terminated: true });
    const bare = readReferNotify(notify(["Event: refer", "Content-Type: text/plain"], "whatever"));
    assert.deepEqual(bare, { id: undefined, status: undefined, terminated: false });
  });

  test("Subscription-State substates, and Refer-Sub: false on a 2xx", () => {
    assert.equal(subscriptionState("active;expires=60"), "active");
    assert.equal(subscriptionState(" TERMINATED ; reason=timeout"), "terminated");
    assert.equal(subscriptionState("pending"), "pending");
    assert.equal(subscriptionState(""), undefined);
    assert.equal(subscriptionState(undefined), undefined);
    const refer = request([
      "REFER sip:101@127.0.0.1:5070 SIP/2.0",
      "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK2",
      "From: <sip:600@pbx.example>;tag=ours",
      "To: <sip:101@pbx.example>;tag=caller",
      "Call-ID: c1",
      "CSeq: 1 REFER",
      "Max-Forwards: 70",
    ]);
    const accepted = buildErrorResponse(refer, 202, "Accepted");
    assert.ok(!refusesSubscription(accepted));
    accepted.headers.append("Refer-Sub", "False");
    assert.ok(refusesSubscription(accepted));
  });
});
