import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FakeClock } from "../../src/lib/clock.ts";
import { LoopLag } from "../../src/lib/loop-lag.ts";

/** A clock whose timers fire late by `late` ms, as on a busy loop. */
function lateClock(late: { ms: number }): FakeClock {
  const clock = new FakeClock();
  const set = clock.setTimeout.bind(clock);
  clock.setTimeout = (fn, ms) => set(fn, ms + late.ms);
  return clock;
}

describe("LoopLag", () => {
  test("a punctual loop has no lag and is healthy", () => {
    const clock = new FakeClock();
    const lag = new LoopLag({ clock, sampleMs: 100 }).start();
    assert.equal(lag.healthy(50), true, "healthy before the first sample");
    clock.advance(1000);
    assert.equal(lag.lagMs, 0);
    assert.equal(lag.healthy(50), true);
    lag.stop();
    assert.equal(clock.pendingTimers(), 0);
  });

  test("timers that fire late are lag; the peak is kept until taken", () => {
    const late = { ms: 0 };
    const clock = lateClock(late);
    const lag = new LoopLag({ clock, sampleMs: 100 }).start();
    late.ms = 300;
    clock.advance(100); // the sample scheduled before the loop got busy
    clock.advance(400);
    assert.equal(lag.lagMs, 300);
    assert.equal(lag.healthy(250), false);
    assert.equal(lag.healthy(400), true);
    late.ms = 0;
    clock.advance(400);
    clock.advance(100);
    assert.equal(lag.lagMs, 0);
    assert.equal(lag.takePeak(), 300);
    assert.equal(lag.takePeak(), 0);
    lag.stop();
  });

  test("no sample for longer than the allowed lag (a blocked loop) is unhealthy", () => {
    const clock = new FakeClock();
    const lag = new LoopLag({ clock, sampleMs: 100 }).start();
    clock.advance(250);
    lag.stop(); // the sampler no longer runs, as on a loop that never gets back to its timers
    const t = clock.now();
    clock.advance(100);
    assert.equal(lag.healthy(200), true);
    clock.advance(400);
    assert.ok(clock.now() - t > 300);
    assert.equal(lag.healthy(200), false);
  });
});
