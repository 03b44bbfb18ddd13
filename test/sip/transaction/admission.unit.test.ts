/**
 * Caps on live server transactions (issue 10), on the layer with a fake clock: over a cap a new
 * request gets a stateless 503 with Retry-After and leaves nothing behind; a retransmission of a
 * known request is still answered by its transaction; requests `onStateless` answers cost nothing.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { SipMessage, SipResponse } from "../../../src/sip/message/message.ts";
import { buildErrorResponse } from "../../../src/sip/message/response.ts";
import type { ServerTransaction } from "../../../src/sip/transaction/server.ts";
import type { Target } from "../../../src/sip/transaction/types.ts";
import { branch, harness, request, response } from "./harness.ts";

const from = (address: string): Target => ({ transport: "udp", address, port: 5060 });
const PBX = "10.0.0.1";

function responses(sent: { msg: SipMessage }[], status: number): SipResponse[] {
  return sent.map((s) => s.msg).filter((m): m is SipResponse => m.kind === "response" && m.status === status);
}

describe("server transaction caps", () => {
  test("at the total cap a new request gets a stateless 503 + Retry-After; the PBX keeps a reserve", () => {
    const tus: ServerTransaction[] = [];
    const h = harness({
      limits: { serverTransactions: 16, serverTransactionsPerSource: 100, retryAfterSeconds: 7 },
      trusted: (a) => a === PBX,
      onRequest: (tx) => tus.push(tx),
    });
    // Untrusted sources may fill 16 − 16/8 = 14.
    for (let i = 0; i < 20; i++) h.layer.handle(request("SUBSCRIBE", { callId: `c${i}` }), from(`10.0.1.${i}`));
    assert.equal(tus.length, 14);
    assert.equal(h.layer.size(), 14);
    const refused = responses(h.sent, 503);
    assert.equal(refused.length, 6);
    assert.equal(refused[0].headers.get("Retry-After"), "7");
    assert.ok(refused[0].to.tag, "a To tag, as any final response");
    // The PBX gets the reserve, then the cap holds for it too.
    for (let i = 0; i < 3; i++) h.layer.handle(request("INVITE", { callId: `p${i}` }), from(PBX));
    assert.equal(tus.length, 16);
    assert.equal(responses(h.sent, 503).length, 7);
    const s = h.layer.serverStats();
    assert.deepEqual([s.live, s.limit, s.refusedTotal, s.refusedPerSource, s.sources], [16, 16, 7, 0, 15]);
    h.layer.close();
    assert.equal(h.layer.serverStats().live, 0);
  });

  test("per source: one address holds at most its share; others and the PBX are still served", () => {
    const tus: ServerTransaction[] = [];
    const h = harness({
      limits: { serverTransactions: 100, serverTransactionsPerSource: 3 },
      trusted: (a) => a === PBX,
      onRequest: (tx) => tus.push(tx),
    });
    for (let i = 0; i < 10; i++) h.layer.handle(request("SUBSCRIBE", { callId: `a${i}` }), from("10.0.2.66"));
    h.layer.handle(request("SUBSCRIBE"), from("10.0.2.67"));
    for (let i = 0; i < 5; i++) h.layer.handle(request("SUBSCRIBE", { callId: `p${i}` }), from(PBX));
    assert.equal(tus.length, 3 + 1 + 5);
    assert.equal(h.layer.serverStats().refusedPerSource, 7);
  });

  test("a terminated transaction frees its place; a retransmission at the cap is answered by its transaction", async () => {
    const tus: ServerTransaction[] = [];
    const h = harness({
      limits: { serverTransactions: 16, serverTransactionsPerSource: 1 },
      onRequest: (tx) => tus.push(tx),
    });
    const first = request("SUBSCRIBE", { branch: branch() });
    h.layer.handle(first, from("10.0.3.1"));
    await tus[0].respond(response(first, 200, "OK"));
    // The same request again (same branch): the transaction resends its 200, no 503.
    h.layer.handle(first, from("10.0.3.1"));
    assert.equal(responses(h.sent, 200).length, 2);
    assert.equal(h.layer.serverStats().retransmissions, 1);
    h.layer.handle(request("SUBSCRIBE", { callId: "new" }), from("10.0.3.1"));
    assert.equal(responses(h.sent, 503).length, 1);
    // Timer J (64·T1 on UDP) ends the first: the source may start another.
    h.at(32_000);
    assert.equal(h.layer.serverStats().live, 0);
    h.layer.handle(request("SUBSCRIBE", { callId: "later" }), from("10.0.3.1"));
    assert.equal(tus.length, 2);
  });

  test("an ACK creates nothing and is never answered, at the cap or not", () => {
    const acks: string[] = [];
    const h = harness({
      limits: { serverTransactions: 16, serverTransactionsPerSource: 1 },
      onRequest: () => {},
      onAck: (ack) => acks.push(ack.callId),
    });
    h.layer.handle(request("INVITE"), from("10.0.4.1"));
    for (let i = 0; i < 5; i++) h.layer.handle(request("ACK", { callId: `ack${i}`, toTag: "t" }), from("10.0.4.1"));
    assert.equal(acks.length, 5);
    assert.equal(h.sent.length, 0);
    assert.equal(h.layer.serverStats().live, 1);
  });

  test("onStateless answers without a transaction; the same To tag for a retransmission", () => {
    const h = harness({
      onRequest: () => assert.fail("no transaction for OPTIONS"),
      onStateless: (req) =>
        req.method === "OPTIONS" ? buildErrorResponse(req, 200, "OK", { toTag: "fixed" }) : undefined,
    });
    const options = request("OPTIONS");
    h.layer.handle(options, from("10.0.5.1"));
    h.layer.handle(options, from("10.0.5.1"));
    assert.equal(responses(h.sent, 200).length, 2);
    assert.equal(h.layer.size(), 0);
    assert.equal(h.layer.serverStats().stateless, 2);
  });

  test("the 503 over a cap carries the same To tag for every retransmission", () => {
    const h = harness({ limits: { serverTransactions: 16, serverTransactionsPerSource: 1 }, onRequest: () => {} });
    h.layer.handle(request("SUBSCRIBE"), from("10.0.6.1"));
    const again = request("SUBSCRIBE", { callId: "over", branch: "z9hG4bK-over" });
    h.layer.handle(again, from("10.0.6.1"));
    h.layer.handle(again, from("10.0.6.1"));
    const tags = responses(h.sent, 503).map((r) => r.to.tag);
    assert.equal(tags.length, 2);
    assert.equal(tags[0], tags[1]);
  });
});
