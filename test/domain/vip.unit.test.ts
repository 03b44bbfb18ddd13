import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isVip, vipLabel, vipLevel } from "../../src/domain/vip.ts";

describe("vipLevel / isVip", () => {
  test("empty, 0 and N (any case, spaces around) are no VIP", () => {
    for (const raw of ["", " ", "0", " 0 ", "N", "n", " N ", undefined, null]) {
      assert.equal(vipLevel(raw), "", JSON.stringify(raw));
      assert.equal(isVip(raw), false, JSON.stringify(raw));
    }
  });

  test("anything else is a VIP level, trimmed", () => {
    assert.equal(vipLevel("1"), "1");
    assert.equal(vipLevel(" 3 "), "3");
    assert.equal(vipLevel("GOLD"), "GOLD");
    assert.equal(vipLevel("Y"), "Y");
    assert.equal(isVip("2"), true);
  });
});

describe("vipLabel", () => {
  const labels = { "1": "VIP", "2": "VVIP", "9": "" };

  test("a configured level shows its label; an unknown one shows as itself", () => {
    assert.equal(vipLabel("1", labels), "VIP");
    assert.equal(vipLabel(" 2", labels), "VVIP");
    assert.equal(vipLabel("3", labels), "3");
    assert.equal(vipLabel("3"), "3");
  });

  test("no VIP shows nothing, whatever is configured; a label may hide a level", () => {
    assert.equal(vipLabel("N", { N: "no" }), "");
    assert.equal(vipLabel("0", { "0": "none" }), "");
    assert.equal(vipLabel("9", labels), "");
  });

  test("a level named like an Object property is not looked up on the prototype", () => {
    assert.equal(vipLabel("constructor", labels), "constructor");
    assert.equal(vipLabel("toString", {}), "toString");
  });
});
