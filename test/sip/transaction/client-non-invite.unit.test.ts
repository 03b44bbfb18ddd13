import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { SipResponse } from "../../../src/sip/message/message.ts";
import { deriveTimers } from "../../../src/sip/transaction/timers.ts";
import { flush, harness, request, response, TCP_PEER, UDP_PEER } from "./harness.ts";

function events() {
  const log: string[] = [];
  const finals: SipResponse[] = [];
  return {
    log,
    finals,
    handlers: {
      onProvisional: (r: SipResponse) => log.push(`1xx ${r.status}`),
      onFinal: (r: SipResponse) => {
        finals.push(r);
        log.push(`final ${r.status}`);
      },
      onTimeout: () => log.push("timeout"),
      onTransportError: (e: Error) => log.push(`transport ${e.message}`),
      onTerminated: () => log.push("terminated"),
    },
  };
}

describe("client non-INVITE transaction", () => {
  test("UDP: Timer E retransmits at T1, 2T1, 4T1, then every T2", () => {
    const h = harness();
    h.layer.request(request("OPTIONS"), UDP_PEER);
    h.at(20_000);
    assert.deepEqual(h.requestTimes("OPTIONS"), [0, 500, 1500, 3500, 7500, 11500, 15500, 19500]);
    assert.ok(h.sent.every((s) => s.target === UDP_PEER));
  });

  test("UDP: a provisional stops the doubling; from then on every T2; the final completes, Timer K ends", () => {
    const h = harness();
    const e = events();
    const req = request("REGISTER");
    const tx = h.layer.request(req, UDP_PEER, e.handlers);
    assert.equal(tx.state, "trying");
    h.at(600);
    h.layer.handle(response(req, 100, "Trying"), UDP_PEER);
    assert.equal(tx.state, "proceeding");
    h.at(10_000);
    // 1500 was already armed (doubling) before the 100; after it, T2 = 4 s apart.
    assert.deepEqual(h.requestTimes("REGISTER"), [0, 500, 1500, 5500, 9500]);
    h.layer.handle(response(req, 200, "OK"), UDP_PEER);
    assert.equal(tx.state, "completed");
    h.layer.handle(response(req, 200, "OK"), UDP_PEER); // retransmission: absorbed
    h.at(14_999);
    assert.equal(h.requestTimes("REGISTER").length, 5, "no retransmission after the final");
    assert.equal(tx.state, "completed");
    assert.equal(h.layer.size(), 1);
    h.at(15_000); // Timer K = T4 after the final
    assert.equal(tx.state, "terminated");
    assert.equal(h.layer.size(), 0);
    assert.deepEqual(e.log, ["1xx 100", "final 200", "terminated"]);
    assert.equal(h.clock.pendingTimers(), 0);
  });

  test("Timer F: no final within 64·T1 → onTimeout, terminated", () => {
    const h = harness();
    const e = events();
    const tx = h.layer.request(request("OPTIONS"), UDP_PEER, e.handlers);
    h.at(31_999);
    assert.equal(tx.state, "trying");
    assert.deepEqual(e.log, []);
    h.at(32_000);
    assert.deepEqual(e.log, ["timeout", "terminated"]);
    assert.equal(tx.state, "terminated");
    assert.deepEqual(h.requestTimes("OPTIONS"), [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    assert.equal(h.layer.size(), 0);
    assert.equal(h.clock.pendingTimers(), 0);
  });

  test("Timer F also fires while Proceeding", () => {
    const h = harness();
    const e = events();
    const req = request("SUBSCRIBE");
    h.layer.request(req, UDP_PEER, e.handlers);
    h.layer.handle(response(req, 100, "Trying"), UDP_PEER);
    h.at(32_000);
    assert.deepEqual(e.log, ["1xx 100", "timeout", "terminated"]);
  });

  test("TCP: no retransmissions, and Timer K is 0 (terminated with the final)", () => {
    const h = harness();
    const e = events();
    const req = request("MESSAGE", { transport: "TCP" });
    const tx = h.layer.request(req, TCP_PEER, e.handlers);
    h.at(20_000);
    assert.deepEqual(h.requestTimes("MESSAGE"), [0]);
    assert.equal(h.sent[0].target.connectionId, "tcp-7");
    h.layer.handle(response(req, 202, "Accepted"), TCP_PEER);
    assert.equal(tx.state, "terminated");
    assert.deepEqual(e.log, ["final 202", "terminated"]);
    assert.equal(h.layer.size(), 0);
    assert.equal(h.clock.pendingTimers(), 0);
  });

  test("TCP: Timer F still times out", () => {
    const h = harness();
    const e = events();
    h.layer.request(request("OPTIONS", { transport: "TCP" }), TCP_PEER, e.handlers);
    h.at(32_000);
    assert.deepEqual(e.log, ["timeout", "terminated"]);
    assert.deepEqual(h.requestTimes("OPTIONS"), [0]);
  });

  test("the final goes to onFinal exactly once, even for a different final afterwards", () => {
    const h = harness();
    const e = events();
    const req = request("BYE");
    h.layer.request(req, UDP_PEER, e.handlers);
    h.layer.handle(response(req, 481, "Call Does Not Exist"), UDP_PEER);
    h.layer.handle(response(req, 481, "Call Does Not Exist"), UDP_PEER);
    h.layer.handle(response(req, 200, "OK"), UDP_PEER);
    assert.equal(e.finals.length, 1);
    assert.equal(e.finals[0].status, 481);
  });

  test("shrunk T1 scales E and F (deriveTimers(100, 400, 500))", () => {
    const h = harness({ timers: deriveTimers(100, 400, 500) });
    const e = events();
    h.layer.request(request("OPTIONS"), UDP_PEER, e.handlers);
    h.at(6_400);
    assert.deepEqual(h.requestTimes("OPTIONS").slice(0, 6), [0, 100, 300, 700, 1100, 1500]);
    assert.deepEqual(e.log, ["timeout", "terminated"]);
  });

  test("a send that rejects → onTransportError, terminated, out of the table", async () => {
    const h = harness();
    const e = events();
    h.control.fail = new Error("ECONNREFUSED");
    const tx = h.layer.request(request("OPTIONS", { transport: "TCP" }), TCP_PEER, e.handlers);
    await flush();
    assert.deepEqual(e.log, ["transport ECONNREFUSED", "terminated"]);
    assert.equal(tx.state, "terminated");
    assert.equal(h.layer.size(), 0);
    assert.equal(h.clock.pendingTimers(), 0);
  });

  test("a retransmission that rejects also ends the transaction", async () => {
    const h = harness();
    const e = events();
    h.layer.request(request("OPTIONS"), UDP_PEER, e.handlers);
    h.control.fail = new Error("EHOSTUNREACH");
    h.at(500);
    await flush();
    assert.deepEqual(e.log, ["transport EHOSTUNREACH", "terminated"]);
    h.at(5000);
    assert.equal(h.sent.length, 2);
  });

  test("cancel() terminates silently but for onTerminated", () => {
    const h = harness();
    const e = events();
    const tx = h.layer.request(request("OPTIONS"), UDP_PEER, e.handlers);
    tx.cancel();
    assert.deepEqual(e.log, ["terminated"]);
    assert.equal(h.layer.size(), 0);
    assert.equal(h.clock.pendingTimers(), 0);
  });
});
