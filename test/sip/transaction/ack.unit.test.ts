import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatUri } from "../../../src/sip/message/uri.ts";
import { buildAck } from "../../../src/sip/transaction/ack.ts";
import { request, response } from "./harness.ts";

describe("buildAck (§17.1.1.3)", () => {
  test("Request-URI, Call-ID, From, CSeq number from the INVITE; To from the response; Routes kept", () => {
    const inv = request("INVITE", { cseq: 42, extra: [["Authorization", 'Digest username="101"']] });
    const resp = response(inv, 407, "Proxy Authentication Required", "p-1");
    const ack = buildAck(inv, resp);
    assert.equal(ack.method, "ACK");
    assert.equal(formatUri(ack.uri), "sip:102@hotel.test");
    assert.deepEqual(ack.cseq, { seq: 42, method: "ACK" });
    assert.equal(ack.headers.get("Call-ID"), inv.headers.get("Call-ID"));
    assert.equal(ack.headers.get("From"), inv.headers.get("From"));
    assert.equal(ack.to.tag, "p-1");
    assert.deepEqual(ack.headers.getAll("Route"), ["<sip:10.0.0.1;lr>", "<sip:10.0.0.2;lr>"]);
    assert.equal(ack.headers.get("Content-Length"), "0");
    assert.equal(ack.headers.has("Contact"), false);
    assert.equal(ack.headers.has("Authorization"), false);
  });

  test("only the top Via, also when the Via lines hold several hops", () => {
    const inv = request("INVITE", {
      branch: "z9hG4bKtop",
      lowerVias: ["SIP/2.0/UDP 10.9.9.9;branch=z9hG4bKlower"],
    });
    assert.deepEqual(buildAck(inv, response(inv, 500)).headers.getAll("Via"), [inv.headers.getAll("Via")[0]]);

    const folded = request("INVITE", { branch: "z9hG4bKx" });
    const both = `${folded.headers.getAll("Via")[0]}, SIP/2.0/TCP 10.9.9.9;branch=z9hG4bKlower`;
    folded.headers.set("Via", both);
    const vias = buildAck(folded, response(folded, 500)).via;
    assert.equal(vias.length, 1);
    assert.equal(vias[0].branch, "z9hG4bKx");
    assert.equal(vias[0].host, "10.0.0.5");
    assert.equal(vias[0].port, 5060);
  });
});
