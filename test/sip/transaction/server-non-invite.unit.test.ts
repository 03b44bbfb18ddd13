import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { SipRequest } from "../../../src/sip/message/message.ts";
import type { ServerTransaction } from "../../../src/sip/transaction/server.ts";
import { TransactionStateError } from "../../../src/sip/transaction/server.ts";
import { flush, harness, request, response, TCP_PEER, UDP_PEER } from "./harness.ts";

function withTu() {
  const txs: ServerTransaction[] = [];
  const h = harness({ onRequest: (tx) => void txs.push(tx) });
  return { h, txs };
}

describe("server non-INVITE transaction", () => {
  test("a new request goes to onRequest with its transaction; a retransmission while Trying is absorbed", () => {
    const { h, txs } = withTu();
    const opts = request("OPTIONS");
    h.layer.handle(opts, UDP_PEER);
    assert.equal(txs.length, 1);
    assert.equal(txs[0].request, opts);
    assert.equal(txs[0].state, "trying");
    assert.deepEqual(txs[0].source, UDP_PEER);
    h.layer.handle(opts, UDP_PEER);
    assert.equal(txs.length, 1, "not a new request");
    assert.equal(h.sent.length, 0);
    assert.equal(h.layer.size(), 1);
  });

  test("a retransmitted request re-sends the last response; Timer J (64·T1) ends it", async () => {
    const { h, txs } = withTu();
    const req = request("SUBSCRIBE");
    h.layer.handle(req, UDP_PEER);
    const [tx] = txs;
    await tx.respond(response(req, 100, "Trying"));
    assert.equal(tx.state, "proceeding");
    h.at(500);
    h.layer.handle(req, UDP_PEER);
    assert.deepEqual(h.responseTimes(100), [0, 500]);
    h.at(1000);
    await tx.respond(response(req, 200, "OK"));
    assert.equal(tx.state, "completed");
    h.at(1500);
    h.layer.handle(req, UDP_PEER);
    h.at(3500);
    h.layer.handle(req, UDP_PEER);
    assert.deepEqual(h.responseTimes(200), [1000, 1500, 3500]);
    assert.ok(
      h.sent.every((s) => s.target === UDP_PEER),
      "symmetric: back to the source",
    );
    assert.equal(txs.length, 1);
    h.at(32_999);
    assert.equal(tx.state, "completed");
    h.at(33_000);
    assert.equal(tx.state, "terminated");
    assert.equal(h.layer.size(), 0);
    assert.equal(h.clock.pendingTimers(), 0);
    // After Timer J the same request is new again.
    h.layer.handle(req, UDP_PEER);
    assert.equal(txs.length, 2);
  });

  test("no automatic 100 for non-INVITE (the request waits for the TU)", () => {
    const { h } = withTu();
    h.layer.handle(request("NOTIFY"), UDP_PEER);
    h.at(5000);
    assert.equal(h.sent.length, 0);
  });

  test("TCP: the response goes on the request's connection and Timer J is 0", async () => {
    const { h, txs } = withTu();
    const req = request("MESSAGE", { transport: "TCP" });
    h.layer.handle(req, TCP_PEER);
    const [tx] = txs;
    let ended = false;
    tx.onTerminated = () => {
      ended = true;
    };
    await tx.respond(response(req, 200, "OK"));
    assert.deepEqual(h.sent[0].target, TCP_PEER);
    assert.equal(tx.state, "terminated");
    assert.ok(ended);
    assert.equal(h.layer.size(), 0);
  });

  test("respond after the final rejects with TransactionStateError", async () => {
    const { h, txs } = withTu();
    const req = request("OPTIONS");
    h.layer.handle(req, UDP_PEER);
    await txs[0].respond(response(req, 200, "OK"));
    await assert.rejects(txs[0].respond(response(req, 200, "OK")), TransactionStateError);
    await assert.rejects(txs[0].respond(response(req, 180, "Ringing")), TransactionStateError);
    assert.equal(h.sent.length, 1);
  });

  test("a send that rejects: respond rejects, onTransportError fires, the transaction ends", async () => {
    const { h, txs } = withTu();
    const req = request("OPTIONS");
    h.layer.handle(req, UDP_PEER);
    const errors: string[] = [];
    txs[0].onTransportError = (e) => errors.push(e.message);
    h.control.fail = new Error("EPERM");
    await assert.rejects(txs[0].respond(response(req, 200, "OK")), /EPERM/);
    await flush();
    assert.deepEqual(errors, ["EPERM"]);
    assert.equal(txs[0].state, "terminated");
    assert.equal(h.layer.size(), 0);
  });

  test("a TU that throws, or no TU at all: 500 is answered", () => {
    const thrower = harness({
      onRequest: () => {
        throw new Error("boom");
      },
    });
    thrower.layer.handle(request("OPTIONS"), UDP_PEER);
    assert.deepEqual(thrower.responseTimes(500), [0]);

    const none = harness();
    const req: SipRequest = request("OPTIONS");
    none.layer.handle(req, UDP_PEER);
    const [sent] = none.sent;
    assert.equal(sent.msg.kind === "response" && sent.msg.status, 500);
    assert.equal(sent.msg.headers.get("Call-ID"), req.headers.get("Call-ID"));
  });
});
