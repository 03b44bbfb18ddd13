import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FakeClock } from "../../src/lib/clock.ts";
import { memoryLogger } from "../../src/lib/logger.ts";
import { type ServiceNotifier, superviseWithSystemd } from "../../src/lib/watchdog.ts";

function fakeNotifier(watchdogMs: number | undefined, opts: { fail?: boolean; hold?: boolean } = {}) {
  const sent: string[] = [];
  const pending: (() => void)[] = [];
  const notifier: ServiceNotifier = {
    watchdogMs,
    notify: (...a) => {
      sent.push(a.join(" "));
      if (opts.fail) return Promise.reject(new Error("no systemd-notify"));
      if (opts.hold) return new Promise<void>((resolve) => pending.push(resolve));
      return Promise.resolve();
    },
  };
  return { notifier, sent, pending };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe("superviseWithSystemd", () => {
  test("READY=1 first, then WATCHDOG=1 every third of the period while the loop is healthy", async () => {
    const clock = new FakeClock();
    const { notifier, sent } = fakeNotifier(3000);
    const lag = { lagMs: 0, healthy: () => true };
    const s = superviseWithSystemd({ notifier, lag, logger: memoryLogger(), clock });
    assert.deepEqual(sent, ["READY=1 STATUS=running"]);
    for (let i = 0; i < 3; i++) {
      clock.advance(1000);
      await flush();
    }
    assert.deepEqual(sent.slice(1), ["WATCHDOG=1", "WATCHDOG=1", "WATCHDOG=1"]);
    s.stopping();
    s.stop();
    assert.equal(sent.at(-1), "STOPPING=1");
    assert.equal(clock.pendingTimers(), 0);
  });

  test("a lagging loop is not fed, and says so once", async () => {
    const clock = new FakeClock();
    const { notifier, sent } = fakeNotifier(3000);
    const lag = {
      lagMs: 2000,
      ok: true,
      healthy(max: number) {
        assert.equal(max, 1500, "half the period by default");
        return this.ok;
      },
    };
    const logger = memoryLogger();
    const s = superviseWithSystemd({ notifier, lag, logger, clock });
    clock.advance(1000);
    await flush();
    lag.ok = false;
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      await flush();
    }
    assert.equal(sent.filter((x) => x === "WATCHDOG=1").length, 1);
    assert.equal(s.skipped, 5);
    assert.equal(logger.lines.filter((l) => l.msg === "event loop lagging: watchdog not fed").length, 1);
    lag.ok = true;
    clock.advance(1000);
    await flush();
    assert.equal(sent.filter((x) => x === "WATCHDOG=1").length, 2);
    s.stop();
  });

  test("no watchdog period: READY=1 only; a failing notifier is logged, never thrown", async () => {
    const clock = new FakeClock();
    const { notifier, sent } = fakeNotifier(undefined, { fail: true });
    const logger = memoryLogger();
    const s = superviseWithSystemd({ notifier, lag: { lagMs: 0, healthy: () => true }, logger, clock });
    await flush();
    assert.equal(clock.pendingTimers(), 0);
    assert.deepEqual(sent, ["READY=1 STATUS=running"]);
    assert.ok(logger.lines.some((l) => l.msg === "systemd notification failed"));
    s.stop();
  });

  test("a notification still under way is not doubled up", async () => {
    const clock = new FakeClock();
    const { notifier, sent, pending } = fakeNotifier(300, { hold: true });
    const s = superviseWithSystemd({ notifier, lag: { lagMs: 0, healthy: () => true }, logger: memoryLogger(), clock });
    clock.advance(100);
    clock.advance(100);
    clock.advance(100);
    assert.deepEqual(sent, ["READY=1 STATUS=running", "WATCHDOG=1"]);
    assert.equal(s.skipped, 2);
    for (const p of pending.splice(0)) p();
    await flush();
    clock.advance(100);
    assert.equal(sent.length, 3);
    s.stop();
  });
});
