import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { nextTimeOfDay, nextWallTimeOfDay } from "../../src/lib/time-of-day.ts";

const ROME = "Europe/Rome";
const utc = (y: number, mo: number, d: number, h: number, mi = 0, s = 0) => Date.UTC(y, mo - 1, d, h, mi, s);

describe("nextWallTimeOfDay", () => {
  const now = utc(2026, 11, 22, 9, 0); // 10:00 in Rome

  test("later today, with the wall date it falls on", () => {
    const r = nextWallTimeOfDay(now, { hour: 11, minute: 15, second: 30 }, ROME);
    assert.equal(r.dueAt, utc(2026, 11, 22, 10, 15, 30));
    assert.deepEqual([r.wall.year, r.wall.month, r.wall.day], [2026, 11, 22]);
  });

  test("passed today: tomorrow; exactly now: now (at or after)", () => {
    const r = nextWallTimeOfDay(now, { hour: 7, minute: 0, second: 0 }, ROME);
    assert.equal(r.dueAt, utc(2026, 11, 23, 6, 0));
    assert.equal(r.wall.day, 23);
    assert.equal(nextWallTimeOfDay(now, { hour: 10, minute: 0, second: 0 }, ROME).dueAt, now);
    assert.equal(nextWallTimeOfDay(now + 1, { hour: 10, minute: 0, second: 0 }, ROME).wall.day, 23);
  });

  test("across the year end and into summer time", () => {
    assert.equal(nextWallTimeOfDay(utc(2026, 12, 31, 20), { hour: 6, minute: 0, second: 0 }, ROME).wall.year, 2027);
    // 29 March 2027: clocks went forward on the 28th; 07:00 CEST is 05:00 UTC.
    assert.equal(
      nextWallTimeOfDay(utc(2027, 3, 28, 12), { hour: 7, minute: 0, second: 0 }, ROME).dueAt,
      utc(2027, 3, 29, 5),
    );
  });

  test("nextTimeOfDay is the same, strictly after now", () => {
    assert.equal(nextTimeOfDay(now, 10, 0, ROME), utc(2026, 11, 23, 9, 0));
    assert.equal(nextTimeOfDay(now, 11, 15, ROME), utc(2026, 11, 22, 10, 15));
  });
});
