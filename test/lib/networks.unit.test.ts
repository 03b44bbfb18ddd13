import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatPhoneAddress, normalizeMac } from "../../src/domain/phone.ts";
import { cidrProblem, networkSet, unmapIPv4 } from "../../src/lib/networks.ts";

describe("network sets", () => {
  test("IPv4 and IPv6 networks, bare addresses, and IPv4-mapped peers", () => {
    const n = networkSet(["10.20.0.0/16", "192.0.2.7", "fd00::/8"]);
    assert.equal(n.contains("10.20.255.1"), true);
    assert.equal(n.contains("10.21.0.1"), false);
    assert.equal(n.contains("192.0.2.7"), true);
    assert.equal(n.contains("192.0.2.8"), false);
    assert.equal(n.contains("fd12::5"), true);
    assert.equal(n.contains("::ffff:10.20.0.9"), true);
    assert.equal(n.contains("not an ip"), false);
    assert.equal(unmapIPv4("::ffff:10.0.0.1"), "10.0.0.1");
  });

  test("invalid networks are named", () => {
    assert.equal(cidrProblem("10.0.0.0/8"), undefined);
    assert.match(cidrProblem("10.0.0.0/33") ?? "", /prefix must be 0..32/);
    assert.match(cidrProblem("fd00::/129") ?? "", /0..128/);
    assert.match(cidrProblem("lobby") ?? "", /not an IP address/);
    assert.throws(() => networkSet(["10.0.0.0/"]), /prefix/);
  });
});

describe("phone addressing", () => {
  test("MACs in every common spelling become aa:bb:cc:dd:ee:ff", () => {
    for (const m of ["0004F214B8E7", "00:04:f2:14:b8:e7", "00-04-F2-14-B8-E7", "0004.f214.b8e7"]) {
      assert.equal(normalizeMac(m), "00:04:f2:14:b8:e7");
    }
    assert.equal(normalizeMac("0004f214b8e"), undefined);
    assert.equal(normalizeMac("0004f214b8eg"), undefined);
  });

  test("IPv6 addresses are bracketed", () => {
    assert.equal(formatPhoneAddress("10.0.0.5", 5060), "10.0.0.5:5060");
    assert.equal(formatPhoneAddress("fd00::5", 5062), "[fd00::5]:5062");
  });
});
