import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  fromWallTime,
  isoDate,
  isoWithOffset,
  offsetMinutes,
  toWallTime,
  type WallTime,
} from "../../src/lib/zoned-time.ts";

const ROME = "Europe/Rome";

function wall(year: number, month: number, day: number, hour: number, minute = 0, second = 0): WallTime {
  return { year, month, day, hour, minute, second };
}

describe("zoned time in Europe/Rome", () => {
  test("winter and summer offsets", () => {
    assert.equal(offsetMinutes(Date.UTC(2026, 0, 15, 12), ROME), 60);
    assert.equal(offsetMinutes(Date.UTC(2026, 6, 15, 12), ROME), 120);
    assert.equal(offsetMinutes(Date.UTC(2026, 6, 15, 12), "UTC"), 0);
    assert.equal(offsetMinutes(Date.UTC(2026, 6, 15, 12), "America/New_York"), -240);
  });

  test("toWallTime and fromWallTime round-trip on ordinary days", () => {
    const at = Date.UTC(2026, 10, 22, 6, 0, 0);
    const w = toWallTime(at, ROME);
    assert.deepEqual(w, wall(2026, 11, 22, 7));
    assert.equal(fromWallTime(w, ROME), at);
    const summer = Date.UTC(2026, 5, 1, 21, 59, 30);
    assert.deepEqual(toWallTime(summer, ROME), wall(2026, 6, 1, 23, 59, 30));
    assert.equal(fromWallTime(toWallTime(summer, ROME), ROME), summer);
  });

  test("midnight is hour 0, not 24", () => {
    assert.deepEqual(toWallTime(Date.UTC(2026, 10, 21, 23, 0, 0), ROME), wall(2026, 11, 22, 0));
  });

  test("a time in the spring-forward gap rings an hour later (02:30 → 03:30+02:00)", () => {
    const at = fromWallTime(wall(2026, 3, 29, 2, 30), ROME);
    assert.equal(at, Date.UTC(2026, 2, 29, 1, 30));
    assert.equal(isoWithOffset(at, ROME), "2026-03-29T03:30:00+02:00");
  });

  test("the hours around the gap", () => {
    assert.equal(isoWithOffset(fromWallTime(wall(2026, 3, 29, 1, 59, 59), ROME), ROME), "2026-03-29T01:59:59+01:00");
    assert.equal(isoWithOffset(fromWallTime(wall(2026, 3, 29, 3, 0), ROME), ROME), "2026-03-29T03:00:00+02:00");
  });

  test("a time in the autumn overlap is its first occurrence (+02:00)", () => {
    const at = fromWallTime(wall(2026, 10, 25, 2, 30), ROME);
    assert.equal(at, Date.UTC(2026, 9, 25, 0, 30));
    assert.equal(isoWithOffset(at, ROME), "2026-10-25T02:30:00+02:00");
    assert.equal(isoWithOffset(at + 3_600_000, ROME), "2026-10-25T02:30:00+01:00");
  });

  test("the hours around the overlap", () => {
    assert.equal(isoWithOffset(fromWallTime(wall(2026, 10, 25, 1, 30), ROME), ROME), "2026-10-25T01:30:00+02:00");
    assert.equal(isoWithOffset(fromWallTime(wall(2026, 10, 25, 3, 30), ROME), ROME), "2026-10-25T03:30:00+01:00");
  });

  test("isoWithOffset in other zones", () => {
    const at = Date.UTC(2026, 10, 22, 9, 0, 0);
    assert.equal(isoWithOffset(at, ROME), "2026-11-22T10:00:00+01:00");
    assert.equal(isoWithOffset(at, "UTC"), "2026-11-22T09:00:00+00:00");
    assert.equal(isoWithOffset(at, "America/New_York"), "2026-11-22T04:00:00-05:00");
    assert.equal(isoWithOffset(at, "Asia/Kolkata"), "2026-11-22T14:30:00+05:30");
  });

  test("isoDate pads month and day", () => {
    assert.equal(isoDate({ year: 2026, month: 3, day: 9 }), "2026-03-09");
  });
});
