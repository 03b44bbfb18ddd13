import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DEFAULT_TIMERS, deriveTimers, forTransport } from "../../../src/sip/transaction/timers.ts";

describe("transaction timers", () => {
  test("RFC 3261 Table 4 defaults", () => {
    const t = DEFAULT_TIMERS;
    assert.deepEqual([t.t1, t.t2, t.t4], [500, 4000, 5000]);
    assert.deepEqual([t.a, t.e, t.g], [500, 500, 500]);
    assert.deepEqual([t.b, t.f, t.h, t.j, t.l, t.m], [32_000, 32_000, 32_000, 32_000, 32_000, 32_000]);
    assert.deepEqual([t.d, t.i, t.k], [32_000, 5000, 5000]);
    assert.equal(t.trying, 200);
  });

  test("derived from T1, T2, T4 (tests shrink T1)", () => {
    const t = deriveTimers(10, 40, 50);
    assert.deepEqual([t.a, t.b, t.e, t.f, t.g, t.h, t.j, t.l, t.m], [10, 640, 10, 640, 10, 640, 640, 640, 640]);
    assert.deepEqual([t.i, t.k, t.d], [50, 50, 32_000]);
    assert.equal(deriveTimers(10, 40, 50, 100).d, 100);
    assert.throws(() => deriveTimers(0));
    assert.throws(() => deriveTimers(500, 100));
  });

  test("reliable transports: D, I, J, K are 0", () => {
    const t = forTransport(DEFAULT_TIMERS, true);
    assert.deepEqual([t.d, t.i, t.j, t.k], [0, 0, 0, 0]);
    assert.deepEqual([t.b, t.f, t.h, t.l, t.m], [32_000, 32_000, 32_000, 32_000, 32_000]);
    assert.equal(forTransport(DEFAULT_TIMERS, false), DEFAULT_TIMERS);
  });
});
