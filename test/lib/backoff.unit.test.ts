import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Backoff } from "../../src/lib/backoff.ts";

const middle = () => 0.5;

describe("Backoff", () => {
  test("doubles from the initial delay up to the maximum", () => {
    const b = new Backoff({ initialMs: 1000, maxMs: 10_000 }, middle);
    assert.deepEqual(
      Array.from({ length: 6 }, () => b.next()),
      [1000, 2000, 4000, 8000, 10_000, 10_000],
    );
    assert.equal(b.attempts, 6);
  });

  test("uses the given factor", () => {
    const b = new Backoff({ initialMs: 100, maxMs: 100_000, factor: 3, jitter: 0 });
    assert.deepEqual(
      Array.from({ length: 4 }, () => b.next()),
      [100, 300, 900, 2700],
    );
  });

  test("jitter spreads the delay by the given fraction either way", () => {
    const low = new Backoff({ initialMs: 1000, maxMs: 10_000, jitter: 0.2 }, () => 0);
    const high = new Backoff({ initialMs: 1000, maxMs: 10_000, jitter: 0.2 }, () => 1);
    assert.equal(low.next(), 800);
    assert.equal(high.next(), 1200);
    assert.equal(low.next(), 1600);
    assert.equal(high.next(), 2400);
  });

  test("stays within bounds with the real random source", () => {
    const b = new Backoff({ initialMs: 1000, maxMs: 4000, jitter: 0.5 });
    for (let i = 0; i < 50; i++) {
      const d = b.next();
      assert.ok(d >= 500 && d <= 6000, `delay ${d} out of bounds`);
    }
  });

  test("reset starts again from the initial delay", () => {
    const b = new Backoff({ initialMs: 1000, maxMs: 10_000 }, middle);
    b.next();
    b.next();
    b.reset();
    assert.equal(b.attempts, 0);
    assert.equal(b.next(), 1000);
  });
});
