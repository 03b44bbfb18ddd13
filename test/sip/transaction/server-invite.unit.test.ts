import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { SipRequest } from "../../../src/sip/message/message.ts";
import type { ServerTransaction } from "../../../src/sip/transaction/server.ts";
import { TransactionStateError } from "../../../src/sip/transaction/server.ts";
import { branch, flush, harness, request, response, TCP_PEER, UDP_PEER } from "./harness.ts";

function withTu(source = UDP_PEER) {
  const txs: ServerTransaction[] = [];
  const acks: Array<{ ack: SipRequest; source: unknown }> = [];
  const h = harness({
    onRequest: (tx) => void txs.push(tx),
    onAck: (ack, src) => void acks.push({ ack, source: src }),
  });
  const events: string[] = [];
  const invite = (o: Parameters<typeof request>[1] = {}) => {
    const req = request("INVITE", { transport: source.transport.toUpperCase(), ...o });
    h.layer.handle(req, source);
    const tx = txs.at(-1);
    assert.ok(tx);
    tx.onAckTimeout = () => events.push("ack timeout");
    tx.onTerminated = () => events.push("terminated");
    tx.onTransportError = (e) => events.push(`transport ${e.message}`);
    return { req, tx };
  };
  /** The ACK a UAC sends for our non-2xx final: same branch, To with our tag. */
  const ackFor = (req: SipRequest, toTag = "to-1") =>
    request("ACK", { branch: req.topVia?.branch, toTag, cseq: req.cseq.seq });
  return { h, txs, acks, events, invite, ackFor };
}

describe("server INVITE transaction", () => {
  test("sends 100 Trying itself 200 ms after the INVITE when the TU has sent nothing", () => {
    const { h, invite } = withTu();
    const { req, tx } = invite({
      lowerVias: ["SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKproxy;received=10.0.0.1"],
      extra: [["Timestamp", "54"]],
    });
    assert.equal(tx.state, "proceeding");
    h.at(199);
    assert.equal(h.sent.length, 0);
    h.at(200);
    assert.equal(h.sent.length, 1);
    const { msg, target } = h.sent[0];
    assert.equal(target, UDP_PEER);
    assert.ok(msg.kind === "response");
    assert.equal(msg.status, 100);
    assert.equal(msg.reason, "Trying");
    assert.deepEqual(msg.headers.getAll("Via"), req.headers.getAll("Via"));
    for (const name of ["From", "To", "Call-ID", "CSeq", "Timestamp"]) {
      assert.equal(msg.headers.get(name), req.headers.get(name), name);
    }
    assert.equal(msg.to.tag, undefined, "no To tag on a 100");
    assert.equal(msg.headers.get("Content-Length"), "0");
    assert.equal(msg.body.length, 0);
    assert.equal(tx.lastResponse, msg);
    // A retransmitted INVITE gets the 100 again.
    h.at(500);
    h.layer.handle(req, UDP_PEER);
    assert.deepEqual(h.responseTimes(100), [200, 500]);
  });

  test("no automatic 100 when the TU answers within 200 ms; a retransmitted INVITE gets the last 1xx", async () => {
    const { h, txs, invite } = withTu();
    const { req, tx } = invite();
    h.at(100);
    await tx.respond(response(req, 180, "Ringing"));
    h.at(1000);
    h.layer.handle(req, UDP_PEER);
    assert.deepEqual(h.responseTimes(100), []);
    assert.deepEqual(h.responseTimes(180), [100, 1000]);
    assert.equal(txs.length, 1, "the retransmission is not a new request");
  });

  test("UDP non-2xx final: Timer G retransmits (T1, 2T1, 4T1, T2…) until the ACK; Confirmed; Timer I", async () => {
    const { h, acks, events, invite, ackFor } = withTu();
    const { req, tx } = invite();
    h.at(50);
    await tx.respond(response(req, 486, "Busy Here"));
    assert.equal(tx.state, "completed");
    h.at(12_000);
    assert.deepEqual(h.responseTimes(486), [50, 550, 1550, 3550, 7550, 11550]);
    h.layer.handle(req, UDP_PEER); // a retransmitted INVITE also gets the final
    assert.equal(h.responseTimes(486).length, 7);
    h.layer.handle(ackFor(req), UDP_PEER);
    assert.equal(tx.state, "confirmed");
    assert.deepEqual(acks, [], "the ACK of a non-2xx is the transaction's");
    h.layer.handle(ackFor(req), UDP_PEER); // retransmitted ACK: absorbed
    h.layer.handle(req, UDP_PEER); // retransmitted INVITE: absorbed
    h.at(17_000 - 1);
    assert.equal(h.responseTimes(486).length, 7, "no retransmission after the ACK");
    assert.equal(tx.state, "confirmed");
    h.at(17_000); // Timer I = T4 after the ACK at 12 000
    assert.equal(tx.state, "terminated");
    assert.deepEqual(events, ["terminated"]);
    assert.equal(h.layer.size(), 0);
    assert.equal(h.clock.pendingTimers(), 0);
  });

  test("Timer H: no ACK within 64·T1 → onAckTimeout, terminated", async () => {
    const { h, events, invite } = withTu();
    const { req, tx } = invite();
    await tx.respond(response(req, 404, "Not Found"));
    h.at(31_999);
    assert.equal(tx.state, "completed");
    h.at(32_000);
    assert.deepEqual(events, ["ack timeout", "terminated"]);
    assert.deepEqual(h.responseTimes(404), [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    assert.equal(h.layer.size(), 0);
    assert.equal(h.clock.pendingTimers(), 0);
  });

  test("2xx → Accepted: INVITE retransmissions absorbed, the TU's 2xx retransmissions sent, Timer L ends it", async () => {
    const { h, acks, events, invite } = withTu();
    const { req, tx } = invite();
    h.at(100);
    await tx.respond(response(req, 200, "OK", "uas-1"));
    assert.equal(tx.state, "accepted");
    h.at(600);
    h.layer.handle(req, UDP_PEER);
    assert.deepEqual(h.responseTimes(200), [100], "no 2xx retransmission by the transaction");
    await tx.respond(response(req, 200, "OK", "uas-1")); // the TU's own retransmission
    assert.deepEqual(h.responseTimes(200), [100, 600]);
    await assert.rejects(tx.respond(response(req, 486, "Busy Here")), TransactionStateError);
    // The ACK of a 2xx: a new branch, so it matches nothing and goes to the TU.
    const ack = request("ACK", { branch: branch(), toTag: "uas-1" });
    h.layer.handle(ack, UDP_PEER);
    assert.equal(acks.length, 1);
    assert.equal(acks[0].ack, ack);
    assert.equal(acks[0].source, UDP_PEER);
    // Even one reusing the INVITE's branch goes to the TU while Accepted (RFC 6026).
    h.layer.handle(request("ACK", { branch: req.topVia?.branch, toTag: "uas-1" }), UDP_PEER);
    assert.equal(acks.length, 2);
    assert.equal(tx.state, "accepted");
    h.at(32_099);
    assert.equal(tx.state, "accepted");
    h.at(32_100); // Timer L = 64·T1 after the 2xx
    assert.deepEqual(events, ["terminated"]);
    assert.equal(h.layer.size(), 0);
    assert.equal(h.clock.pendingTimers(), 0);
  });

  test("TCP: no Timer G; Timer I is 0 (terminated with the ACK); responses on the request's connection", async () => {
    const { h, events, invite, ackFor } = withTu(TCP_PEER);
    const { req, tx } = invite();
    await tx.respond(response(req, 603, "Decline"));
    h.at(20_000);
    assert.deepEqual(h.responseTimes(603), [0]);
    assert.deepEqual(h.sent[0].target, TCP_PEER);
    h.layer.handle(ackFor(req), TCP_PEER);
    assert.equal(tx.state, "terminated");
    assert.deepEqual(events, ["terminated"]);
    assert.equal(h.layer.size(), 0);
  });

  test("TCP: Timer H still runs", async () => {
    const { h, events, invite } = withTu(TCP_PEER);
    const { req, tx } = invite();
    await tx.respond(response(req, 480, "Temporarily Unavailable"));
    h.at(32_000);
    assert.deepEqual(events, ["ack timeout", "terminated"]);
  });

  test("a 1xx after the final is refused", async () => {
    const { invite } = withTu();
    const { req, tx } = invite();
    await tx.respond(response(req, 486, "Busy Here"));
    await assert.rejects(tx.respond(response(req, 180, "Ringing")), TransactionStateError);
    await assert.rejects(tx.respond(response(req, 200, "OK")), TransactionStateError);
  });

  test("a final that cannot be sent → onTransportError, terminated, respond rejects", async () => {
    const { h, events, invite } = withTu();
    const { req, tx } = invite();
    h.control.fail = new Error("ENETUNREACH");
    await assert.rejects(tx.respond(response(req, 486, "Busy Here")), /ENETUNREACH/);
    await flush();
    assert.deepEqual(events, ["transport ENETUNREACH", "terminated"]);
    assert.equal(h.layer.size(), 0);
    assert.equal(h.clock.pendingTimers(), 0);
  });
});
