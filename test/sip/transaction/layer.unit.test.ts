import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { SipRequest, SipResponse } from "../../../src/sip/message/message.ts";
import { MAGIC_COOKIE, newBranch, serverKey } from "../../../src/sip/transaction/key.ts";
import type { ServerTransaction } from "../../../src/sip/transaction/server.ts";
import { branch, flush, harness, request, response, UDP_PEER } from "./harness.ts";

function tu() {
  const requests: Array<{ tx: ServerTransaction; req: SipRequest }> = [];
  const acks: SipRequest[] = [];
  const stray: SipResponse[] = [];
  const h = harness({
    onRequest: (tx, req) => void requests.push({ tx, req }),
    onAck: (ack) => void acks.push(ack),
    onStrayResponse: (resp) => void stray.push(resp),
  });
  return { h, requests, acks, stray };
}

describe("transaction layer: matching", () => {
  test("server: a CANCEL with the INVITE's branch is a transaction of its own, and finds its INVITE", async () => {
    const { h, requests } = tu();
    const b = branch();
    const inv = request("INVITE", { branch: b });
    const cancel = request("CANCEL", { branch: b });
    h.layer.handle(inv, UDP_PEER);
    h.layer.handle(cancel, UDP_PEER);
    assert.equal(requests.length, 2);
    assert.equal(h.layer.size(), 2);
    const [invTx, cancelTx] = requests.map((r) => r.tx);
    assert.notEqual(invTx, cancelTx);
    assert.equal(h.layer.inviteServerFor(cancel), invTx);
    await cancelTx.respond(response(cancel, 200, "OK"));
    await invTx.respond(response(inv, 487, "Request Terminated"));
    assert.equal(invTx.state, "completed");
    assert.equal(cancelTx.state, "completed");
    h.layer.handle(cancel, UDP_PEER); // CANCEL retransmission: its own 200 again, not the 487
    const last = h.sent.at(-1)?.msg;
    assert.equal(last?.kind === "response" && last.status, 200);
  });

  test("server: same branch but another sent-by is another transaction", () => {
    const { h, requests } = tu();
    const b = branch();
    h.layer.handle(request("OPTIONS", { branch: b, sentBy: "10.0.0.5:5060" }), UDP_PEER);
    h.layer.handle(request("OPTIONS", { branch: b, sentBy: "10.0.0.6:5060" }), UDP_PEER);
    assert.equal(requests.length, 2);
  });

  test("client: INVITE and CANCEL share a branch; responses are matched by branch + CSeq method", () => {
    const { h, stray } = tu();
    const b = branch();
    const inv = request("INVITE", { branch: b });
    const cancel = request("CANCEL", { branch: b });
    const log: string[] = [];
    const invTx = h.layer.request(inv, UDP_PEER, { onFinal: (r) => log.push(`INVITE ${r.status}`) });
    h.layer.handle(response(inv, 180, "Ringing"), UDP_PEER);
    const cancelTx = h.layer.request(cancel, UDP_PEER, { onFinal: (r) => log.push(`CANCEL ${r.status}`) });
    assert.equal(h.layer.size(), 2);
    h.layer.handle(response(cancel, 200, "OK"), UDP_PEER);
    h.layer.handle(response(inv, 487, "Request Terminated"), UDP_PEER);
    assert.deepEqual(log, ["CANCEL 200", "INVITE 487"]);
    assert.equal(invTx.state, "completed");
    assert.equal(cancelTx.state, "completed");
    assert.deepEqual(stray, []);
  });

  test("responses matching no client transaction go to onStrayResponse", () => {
    const { h, stray } = tu();
    const inv = request("INVITE");
    h.layer.request(inv, UDP_PEER);
    const other = response(request("INVITE"), 200, "OK"); // unknown branch
    h.layer.handle(other, UDP_PEER);
    const wrongMethod = response(request("BYE", { branch: inv.topVia?.branch }), 200, "OK");
    h.layer.handle(wrongMethod, UDP_PEER);
    assert.deepEqual(stray, [other, wrongMethod]);
  });

  test("an ACK matching no transaction (the ACK of a 2xx) goes to onAck with its source", () => {
    const acks: Array<[SipRequest, unknown]> = [];
    const h = harness({ onAck: (a, s) => void acks.push([a, s]) });
    const ack = request("ACK", { toTag: "x" });
    h.layer.handle(ack, UDP_PEER);
    assert.deepEqual(acks, [[ack, UDP_PEER]]);
    assert.equal(h.layer.size(), 0, "an ACK never creates a transaction");
    assert.equal(h.sent.length, 0);
  });

  test("the table is empty once everything has terminated", async () => {
    const { h, requests } = tu();
    const inv = request("INVITE");
    const opts = request("OPTIONS");
    h.layer.request(inv, UDP_PEER);
    h.layer.request(opts, UDP_PEER);
    h.layer.request(request("REGISTER"), UDP_PEER); // will time out
    const incomingInv = request("INVITE", { sentBy: "10.0.0.30:5060" });
    const incomingBye = request("BYE", { sentBy: "10.0.0.30:5060" });
    const incomingInfo = request("INFO", { sentBy: "10.0.0.30:5060" });
    h.layer.handle(incomingInv, UDP_PEER);
    h.layer.handle(incomingBye, UDP_PEER);
    h.layer.handle(incomingInfo, UDP_PEER);
    assert.equal(h.layer.size(), 6);
    h.layer.handle(response(inv, 200, "OK"), UDP_PEER);
    h.layer.handle(response(opts, 200, "OK"), UDP_PEER);
    await requests[0].tx.respond(response(incomingInv, 486, "Busy Here"));
    await requests[1].tx.respond(response(incomingBye, 200, "OK"));
    await requests[2].tx.respond(response(incomingInfo, 200, "OK"));
    h.at(200_000); // Timers M, K, F, H, J
    assert.equal(h.layer.size(), 0);
    assert.equal(h.clock.pendingTimers(), 0);
  });

  test("a send that rejects → onTransportError, and the transaction leaves the table", async () => {
    const { h, requests } = tu();
    const errors: string[] = [];
    h.control.fail = new Error("no route to host");
    h.layer.request(request("OPTIONS"), UDP_PEER, { onTransportError: (e) => errors.push(`client: ${e.message}`) });
    const inc = request("MESSAGE");
    h.layer.handle(inc, UDP_PEER);
    requests[0].tx.onTransportError = (e) => errors.push(`server: ${e.message}`);
    requests[0].tx.respond(response(inc, 200, "OK")).catch(() => {});
    await flush();
    assert.deepEqual(errors, ["client: no route to host", "server: no route to host"]);
    assert.equal(h.layer.size(), 0);
  });

  test("close() terminates every transaction", () => {
    const { h } = tu();
    const ended: string[] = [];
    h.layer.request(request("INVITE"), UDP_PEER, { onTerminated: () => ended.push("client") });
    h.layer.handle(request("INVITE", { sentBy: "10.0.0.30" }), UDP_PEER);
    assert.equal(h.layer.size(), 2);
    h.layer.close();
    assert.equal(h.layer.size(), 0);
    assert.deepEqual(ended, ["client"]);
    assert.equal(h.clock.pendingTimers(), 0);
  });
});

describe("transaction layer: request()", () => {
  test("newBranch: the magic cookie and 96 random bits", () => {
    const a = newBranch();
    assert.match(a, new RegExp(`^${MAGIC_COOKIE}[0-9a-f]{24}$`));
    assert.notEqual(a, newBranch());
  });

  test("a TU handler that throws is contained", () => {
    const h = harness({
      onAck: () => {
        throw new Error("TU bug");
      },
      onStrayResponse: () => {
        throw new Error("TU bug");
      },
    });
    h.layer.handle(request("ACK"), UDP_PEER);
    h.layer.handle(response(request("OPTIONS"), 200, "OK"), UDP_PEER);
    assert.equal(h.layer.size(), 0);
  });

  test("a TU that answered and then threw gets no extra 500", async () => {
    const h = harness({
      onRequest: (tx, req) => {
        tx.respond(response(req, 200, "OK")).catch(() => {});
        throw new Error("after the answer");
      },
    });
    h.layer.handle(request("OPTIONS"), UDP_PEER);
    await flush();
    assert.deepEqual(h.responseTimes(200), [0]);
    assert.deepEqual(h.responseTimes(500), []);
  });

  test("refuses an ACK, a CSeq method that differs, a branch without the magic cookie, a duplicate", () => {
    const { h } = tu();
    assert.throws(() => h.layer.request(request("ACK"), UDP_PEER), /ACK/);
    const wrong = request("OPTIONS");
    wrong.headers.set("CSeq", "1 INFO");
    assert.throws(() => h.layer.request(wrong, UDP_PEER), /CSeq/);
    assert.throws(() => h.layer.request(request("OPTIONS", { branch: "1234" }), UDP_PEER), /z9hG4bK/);
    const ok = request("OPTIONS");
    h.layer.request(ok, UDP_PEER);
    assert.throws(() => h.layer.request(ok, UDP_PEER), /exists/);
    assert.equal(h.layer.size(), 1);
  });
});

describe("transaction layer: RFC 2543 peers (no magic cookie)", () => {
  test("matched loosely: retransmissions absorbed, the ACK of our non-2xx taken when its To tag is ours", async () => {
    const { h, requests, acks } = tu();
    const inv = request("INVITE", { branch: "old-1" });
    h.layer.handle(inv, UDP_PEER);
    h.layer.handle(request("INVITE", { branch: "old-1" }), UDP_PEER);
    assert.equal(requests.length, 1);
    const [{ tx }] = requests;
    await tx.respond(response(inv, 486, "Busy Here", "ours"));
    h.layer.handle(request("ACK", { branch: "old-1", toTag: "someone-else" }), UDP_PEER);
    assert.equal(acks.length, 1, "a different To tag: not this transaction's ACK");
    assert.equal(tx.state, "completed");
    h.layer.handle(request("ACK", { branch: "old-1", toTag: "ours" }), UDP_PEER);
    assert.equal(tx.state, "confirmed");
    assert.equal(acks.length, 1);
  });

  test("no branch at all is keyed the same way; another CSeq is another transaction", () => {
    const { h, requests } = tu();
    const a = request("OPTIONS", { cseq: 1 });
    a.headers.set("Via", "SIP/2.0/UDP 10.0.0.5:5060");
    const b = request("OPTIONS", { cseq: 2 });
    b.headers.set("Via", "SIP/2.0/UDP 10.0.0.5:5060");
    h.layer.handle(a, UDP_PEER);
    h.layer.handle(a, UDP_PEER);
    h.layer.handle(b, UDP_PEER);
    assert.equal(requests.length, 2);
    assert.equal(serverKey(a)?.legacy, true);
  });

  test("a request without Via is dropped", () => {
    const { h, requests } = tu();
    const r = request("OPTIONS");
    r.headers.delete("Via");
    h.layer.handle(r, UDP_PEER);
    assert.equal(requests.length, 0);
    assert.equal(h.sent.length, 0);
  });
});
