import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { SipRequest, SipResponse } from "../../../src/sip/message/message.ts";
import { formatUri } from "../../../src/sip/message/uri.ts";
import { flush, harness, request, response, TCP_PEER, UDP_PEER } from "./harness.ts";

function events() {
  const log: string[] = [];
  return {
    log,
    handlers: {
      onProvisional: (r: SipResponse) => log.push(`1xx ${r.status}`),
      onFinal: (r: SipResponse) => log.push(`final ${r.status}`),
      onRetransmitted2xx: (r: SipResponse) => log.push(`2xx again ${r.status}`),
      onTimeout: () => log.push("timeout"),
      onTransportError: (e: Error) => log.push(`transport ${e.message}`),
      onTerminated: () => log.push("terminated"),
    },
  };
}

function acks(h: ReturnType<typeof harness>): SipRequest[] {
  return h.sent.flatMap((s) => (s.msg.kind === "request" && s.msg.method === "ACK" ? [s.msg] : []));
}

describe("client INVITE transaction", () => {
  test("UDP: Timer A doubles (T1, 2T1, 4T1… no cap); Timer B at 64·T1 → onTimeout", () => {
    const h = harness();
    const e = events();
    const tx = h.layer.request(request("INVITE"), UDP_PEER, e.handlers);
    assert.equal(tx.state, "calling");
    h.at(31_999);
    assert.deepEqual(h.requestTimes("INVITE"), [0, 500, 1500, 3500, 7500, 15500, 31500]);
    assert.deepEqual(e.log, []);
    h.at(32_000);
    assert.deepEqual(e.log, ["timeout", "terminated"]);
    assert.equal(tx.state, "terminated");
    assert.equal(h.layer.size(), 0);
    assert.equal(h.clock.pendingTimers(), 0);
  });

  test("a 1xx stops Timer A (and B: a ringing call is the TU's to cancel)", () => {
    const h = harness();
    const e = events();
    const inv = request("INVITE");
    const tx = h.layer.request(inv, UDP_PEER, e.handlers);
    h.at(700);
    h.layer.handle(response(inv, 100, "Trying"), UDP_PEER);
    h.layer.handle(response(inv, 180, "Ringing"), UDP_PEER);
    assert.equal(tx.state, "proceeding");
    h.at(120_000);
    assert.deepEqual(h.requestTimes("INVITE"), [0, 500]);
    assert.deepEqual(e.log, ["1xx 100", "1xx 180"]);
    assert.equal(tx.state, "proceeding");
    tx.cancel();
    assert.equal(h.layer.size(), 0);
  });

  test("3xx–6xx: the transaction sends the ACK (§17.1.1.3) to the same target", () => {
    const h = harness();
    const e = events();
    const inv = request("INVITE", { cseq: 7 });
    const tx = h.layer.request(inv, UDP_PEER, e.handlers);
    h.layer.handle(response(inv, 180, "Ringing", "callee-9"), UDP_PEER);
    h.at(2000);
    const busy = response(inv, 486, "Busy Here", "callee-9");
    h.layer.handle(busy, UDP_PEER);
    assert.equal(tx.state, "completed");
    assert.deepEqual(e.log, ["1xx 180", "final 486"]);
    const [ack] = acks(h);
    assert.ok(ack, "an ACK was sent");
    assert.equal(h.sent.at(-1)?.target, UDP_PEER);
    assert.equal(formatUri(ack.uri), formatUri(inv.uri));
    assert.equal(ack.callId, inv.callId);
    assert.equal(ack.headers.get("From"), inv.headers.get("From"));
    assert.equal(ack.headers.get("To"), busy.headers.get("To"));
    assert.equal(ack.to.tag, "callee-9");
    assert.deepEqual(ack.cseq, { seq: 7, method: "ACK" });
    assert.deepEqual(ack.headers.getAll("Via"), [inv.headers.getAll("Via")[0]]);
    assert.equal(ack.topVia?.branch, inv.topVia?.branch);
    assert.deepEqual(ack.headers.getAll("Route"), inv.headers.getAll("Route"));
    assert.equal(ack.headers.get("Max-Forwards"), "70");
    assert.equal(ack.headers.has("Contact"), false);
    assert.equal(ack.body.length, 0);
  });

  test("a retransmitted final gets the ACK again, not the TU; Timer D (32 s) ends it", () => {
    const h = harness();
    const e = events();
    const inv = request("INVITE");
    const tx = h.layer.request(inv, UDP_PEER, e.handlers);
    h.at(100);
    h.layer.handle(response(inv, 603, "Decline"), UDP_PEER);
    h.at(600);
    h.layer.handle(response(inv, 603, "Decline"), UDP_PEER);
    h.at(1600);
    h.layer.handle(response(inv, 603, "Decline"), UDP_PEER);
    assert.deepEqual(h.requestTimes("ACK"), [100, 600, 1600]);
    const [a1, a2] = acks(h);
    assert.equal(a1, a2, "the same ACK is re-sent");
    assert.deepEqual(h.requestTimes("INVITE"), [0], "no INVITE retransmission after the final");
    assert.deepEqual(e.log, ["final 603"]);
    h.at(32_099);
    assert.equal(tx.state, "completed");
    h.at(32_100);
    assert.equal(tx.state, "terminated");
    assert.deepEqual(e.log, ["final 603", "terminated"]);
    assert.equal(h.layer.size(), 0);
    assert.equal(h.clock.pendingTimers(), 0);
  });

  test("TCP: no Timer A, and Timer D is 0", () => {
    const h = harness();
    const e = events();
    const inv = request("INVITE", { transport: "TCP" });
    const tx = h.layer.request(inv, TCP_PEER, e.handlers);
    h.at(10_000);
    assert.deepEqual(h.requestTimes("INVITE"), [0]);
    h.layer.handle(response(inv, 404, "Not Found"), TCP_PEER);
    assert.deepEqual(h.requestTimes("ACK"), [10_000]);
    assert.equal(h.sent.at(-1)?.target.connectionId, "tcp-7");
    assert.equal(tx.state, "terminated");
    assert.deepEqual(e.log, ["final 404", "terminated"]);
    assert.equal(h.layer.size(), 0);
  });

  test("TCP: Timer B still times out", () => {
    const h = harness();
    const e = events();
    h.layer.request(request("INVITE", { transport: "TCP" }), TCP_PEER, e.handlers);
    h.at(32_000);
    assert.deepEqual(e.log, ["timeout", "terminated"]);
  });

  test("2xx → Accepted (no ACK from the transaction); further 2xx → onRetransmitted2xx; Timer M ends it", () => {
    const h = harness();
    const e = events();
    const stray: number[] = [];
    h.layer.onStrayResponse = (r) => stray.push(r.status);
    const inv = request("INVITE");
    const tx = h.layer.request(inv, UDP_PEER, e.handlers);
    h.at(300);
    h.layer.handle(response(inv, 200, "OK", "callee-1"), UDP_PEER);
    assert.equal(tx.state, "accepted");
    assert.deepEqual(e.log, ["final 200"]);
    assert.deepEqual(acks(h), []);
    h.at(800);
    h.layer.handle(response(inv, 200, "OK", "callee-1"), UDP_PEER);
    h.layer.handle(response(inv, 200, "OK", "fork-2"), UDP_PEER);
    assert.deepEqual(e.log, ["final 200", "2xx again 200", "2xx again 200"]);
    h.layer.handle(response(inv, 486, "Busy Here"), UDP_PEER); // non-2xx while Accepted: ignored
    h.layer.handle(response(inv, 180, "Ringing"), UDP_PEER);
    assert.equal(e.log.length, 3);
    assert.deepEqual(h.requestTimes("INVITE"), [0], "Timer A stopped by the 2xx");
    assert.deepEqual(acks(h), []);
    h.at(32_299);
    assert.equal(tx.state, "accepted");
    h.at(32_300); // Timer M = 64·T1 after the first 2xx
    assert.equal(tx.state, "terminated");
    assert.equal(h.layer.size(), 0);
    h.layer.handle(response(inv, 200, "OK", "callee-1"), UDP_PEER);
    assert.deepEqual(stray, [200], "after Timer M a 2xx is stray");
  });

  test("a 2xx while Proceeding is accepted too", () => {
    const h = harness();
    const e = events();
    const inv = request("INVITE");
    const tx = h.layer.request(inv, UDP_PEER, e.handlers);
    h.layer.handle(response(inv, 183, "Session Progress"), UDP_PEER);
    h.layer.handle(response(inv, 200, "OK"), UDP_PEER);
    assert.equal(tx.state, "accepted");
    assert.deepEqual(e.log, ["1xx 183", "final 200"]);
  });

  test("a rejected INVITE send → onTransportError, terminated", async () => {
    const h = harness();
    const e = events();
    h.control.fail = new Error("connect ETIMEDOUT");
    const tx = h.layer.request(request("INVITE", { transport: "TCP" }), TCP_PEER, e.handlers);
    await flush();
    assert.equal(tx.state, "terminated");
    assert.deepEqual(e.log, ["transport connect ETIMEDOUT", "terminated"]);
    assert.equal(h.layer.size(), 0);
    assert.equal(h.clock.pendingTimers(), 0);
  });

  test("a callback that throws does not derail the machine", () => {
    const h = harness();
    const inv = request("INVITE");
    const tx = h.layer.request(inv, UDP_PEER, {
      onFinal: () => {
        throw new Error("TU bug");
      },
    });
    h.layer.handle(response(inv, 480, "Temporarily Unavailable"), UDP_PEER);
    assert.equal(tx.state, "completed");
    assert.deepEqual(h.requestTimes("ACK"), [0]);
  });
});
