import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseFiasDateTime, parseFiasTime } from "../../../src/pms/fias/datetime.ts";

describe("parseFiasTime", () => {
  test("HHMMSS and HHMM; seconds are marked as sent or assumed", () => {
    assert.deepEqual(parseFiasTime("070000"), { hour: 7, minute: 0, second: 0, withSeconds: true });
    assert.deepEqual(parseFiasTime("235959"), { hour: 23, minute: 59, second: 59, withSeconds: true });
    assert.deepEqual(parseFiasTime("0730"), { hour: 7, minute: 30, second: 0, withSeconds: false });
    assert.deepEqual(parseFiasTime("0000"), { hour: 0, minute: 0, second: 0, withSeconds: false });
  });

  test("anything else is not a time", () => {
    for (const ti of ["", "7", "730", "07300", "0700000", "2400", "0760", "070060", "07:0", "ab00", " 0700"]) {
      assert.equal(parseFiasTime(ti), undefined, ti);
    }
  });
});

describe("parseFiasDateTime", () => {
  test("DA with TI, or midnight without; out of range is undefined", () => {
    assert.deepEqual(parseFiasDateTime("261123", "0705"), {
      year: 2026,
      month: 11,
      day: 23,
      hour: 7,
      minute: 5,
      second: 0,
    });
    assert.equal(parseFiasDateTime("261123", undefined)?.hour, 0);
    assert.equal(parseFiasDateTime("261340", "0700"), undefined);
    assert.equal(parseFiasDateTime("261123", "2500"), undefined);
    assert.equal(parseFiasDateTime(undefined, "0700"), undefined);
  });
});
