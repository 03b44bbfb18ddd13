/** The systemd notifications against a stand-in NOTIFY_SOCKET (test/helpers/notify-socket.ts). */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { memoryLogger } from "../../src/lib/logger.ts";
import { LoopLag } from "../../src/lib/loop-lag.ts";
import { superviseWithSystemd } from "../../src/lib/watchdog.ts";
import { systemdNotifier, watchdogMs } from "../../src/runtime/notify.ts";
import { type NotifySocket, notifySocketMissing, startNotifySocket } from "../helpers/notify-socket.ts";

const missing = notifySocketMissing();

describe.skipIf(missing !== "")(
  `systemd notifications to a stand-in NOTIFY_SOCKET${missing ? ` (${missing})` : ""}`,
  () => {
    let sock: NotifySocket;
    beforeAll(async () => {
      sock = await startNotifySocket();
    });
    afterAll(() => sock?.close());

    const watchdogs = (from = 0, to = Number.POSITIVE_INFINITY) =>
      sock.got.filter((d) => d.data === "WATCHDOG=1" && d.t >= from && d.t <= to);

    test("READY=1 with our PID, then WATCHDOG=1 repeatedly; a blocked loop sends none, and feeding resumes after", async () => {
      const notifier = systemdNotifier({ env: { NOTIFY_SOCKET: sock.path, WATCHDOG_USEC: "600000" } });
      if (!notifier) throw new Error("a NOTIFY_SOCKET gives a notifier");
      expect(notifier.watchdogMs).toBe(600);
      const lag = new LoopLag({ sampleMs: 50 }).start();
      const s = superviseWithSystemd({ notifier, lag, logger: memoryLogger() });
      try {
        expect(await sock.waitFor(() => watchdogs().length >= 3, 5000)).toBe(true);
        const ready = sock.got.find((d) => d.data.includes("READY=1"));
        expect(ready?.data).toContain(`MAINPID=${process.pid}`);
        expect(sock.got[0]).toBe(ready as (typeof sock.got)[number]);

        // Block the loop for 1.5 s: no timer runs, so nothing may reach the socket (a notification
        // already under way when the block began may still land in its first moments).
        const blockStart = Date.now();
        while (Date.now() - blockStart < 1500) {}
        const blockEnd = Date.now();
        expect(await sock.waitFor(() => watchdogs(blockEnd).length >= 2, 5000)).toBe(true);
        expect(watchdogs(blockStart + 300, blockEnd)).toEqual([]);
        // The tick right after the block sees the lag and does not feed; the next healthy one does.
        expect(s.skipped).toBeGreaterThanOrEqual(1);
      } finally {
        s.stop();
        lag.stop();
      }
    }, 20_000);

    test("STOPPING=1 reaches the socket", async () => {
      const notifier = systemdNotifier({ env: { NOTIFY_SOCKET: sock.path } });
      expect(notifier?.watchdogMs).toBeUndefined();
      await notifier?.notify("STOPPING=1");
      expect(await sock.waitFor(() => sock.got.some((d) => d.data === "STOPPING=1"), 3000)).toBe(true);
    });
  },
);

describe("systemdNotifier", () => {
  test("nothing to do without NOTIFY_SOCKET", () => {
    expect(systemdNotifier({ env: {} })).toBeUndefined();
  });

  test("WATCHDOG_USEC in ms, only for our PID", () => {
    expect(watchdogMs({ WATCHDOG_USEC: "30000000" })).toBe(30_000);
    expect(watchdogMs({ WATCHDOG_USEC: "30000000", WATCHDOG_PID: String(process.pid) })).toBe(30_000);
    expect(watchdogMs({ WATCHDOG_USEC: "30000000", WATCHDOG_PID: "1" })).toBeUndefined();
    expect(watchdogMs({ WATCHDOG_USEC: "x" })).toBeUndefined();
    expect(watchdogMs({})).toBeUndefined();
  });

  test("a missing client binary is an error the caller can log", async () => {
    const n = systemdNotifier({ env: { NOTIFY_SOCKET: "/nonexistent/sock" }, command: "/nonexistent/systemd-notify" });
    await expect(n?.notify("READY=1") ?? Promise.resolve()).rejects.toThrow(/systemd-notify READY=1/);
  });
});
