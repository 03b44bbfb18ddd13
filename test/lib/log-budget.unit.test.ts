import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FakeClock } from "../../src/lib/clock.ts";
import { LogBudget } from "../../src/lib/log-budget.ts";
import { memoryLogger } from "../../src/lib/logger.ts";

describe("LogBudget", () => {
  test("the first event of a kind is logged with its sample; the rest of the minute only counted, then summed up", () => {
    const clock = new FakeClock();
    const logger = memoryLogger();
    const log = new LogBudget(logger, clock);
    for (let i = 0; i < 5000; i++) log.warn("fias-garbage", "fias: malformed frame", { bytes: `<02>${i}` });
    assert.deepEqual(
      logger.lines.map((l) => [l.level, l.msg, l.bytes]),
      [["warn", "fias: malformed frame", "<02>0"]],
    );
    clock.advance(60_000);
    assert.equal(logger.lines.length, 2);
    assert.equal(logger.lines[1].msg, "fias: malformed frame (4999 more not logged)");
    assert.equal(logger.lines[1].suppressed, 4999);
    assert.equal(log.count("fias-garbage"), 5000);
  });

  test("kinds have budgets of their own; a new window logs its first event again", () => {
    const clock = new FakeClock();
    const logger = memoryLogger();
    const log = new LogBudget(logger, clock, { windowMs: 1000 });
    log.warn("a", "A");
    log.info("b", "B");
    log.warn("a", "A");
    clock.advance(1000);
    log.warn("a", "A again");
    assert.deepEqual(
      logger.lines.map((l) => l.msg),
      ["A", "B", "A (1 more not logged)", "A again"],
    );
  });

  test("whatever the rate, at most two lines a window per kind", () => {
    const clock = new FakeClock();
    const logger = memoryLogger();
    const log = new LogBudget(logger, clock, { windowMs: 60_000 });
    for (let s = 0; s < 600; s++) {
      for (let i = 0; i < 100; i++) log.warn("flood", "flood");
      clock.advance(1000);
    }
    assert.ok(logger.lines.length <= 20, `${logger.lines.length} lines for 10 minutes`);
    assert.equal(log.count("flood"), 60_000);
  });

  test("flush writes the pending summary at once", () => {
    const clock = new FakeClock();
    const logger = memoryLogger();
    const log = new LogBudget(logger, clock);
    log.error("x", "X");
    log.error("x", "X");
    log.flush();
    assert.deepEqual(
      logger.lines.map((l) => [l.level, l.msg]),
      [
        ["error", "X"],
        ["error", "X (1 more not logged)"],
      ],
    );
  });
});
