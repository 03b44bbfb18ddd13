/**
 * The systemd notifications against a stand-in NOTIFY_SOCKET: a python unix-datagram listener that
 * records each datagram with its arrival time (and closes the BARRIER=1 pipe systemd-notify waits on).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { memoryLogger } from "../../src/lib/logger.ts";
import { LoopLag } from "../../src/lib/loop-lag.ts";
import { superviseWithSystemd } from "../../src/lib/watchdog.ts";
import { systemdNotifier, watchdogMs } from "../../src/runtime/notify.ts";
import { SYSTEM_PYTHON, which } from "../peers/available.ts";

const LISTENER = `
import array, json, os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print(json.dumps({"listening": True}), flush=True)
while True:
    data, anc, flags, addr = s.recvmsg(4096, socket.CMSG_SPACE(64))
    for level, kind, payload in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds = array.array("i")
            fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
            for fd in fds:
                os.close(fd)
    print(json.dumps({"t": time.time() * 1000, "data": data.decode()}), flush=True)
`;

const python = which("python3") ? "python3" : SYSTEM_PYTHON;
const missing = !which("systemd-notify")
  ? "systemd-notify (systemd) is not installed"
  : !which("python3")
    ? "python3 is missing"
    : "";

interface Datagram {
  t: number;
  data: string;
}

describe.skipIf(missing !== "")(
  `systemd notifications to a stand-in NOTIFY_SOCKET${missing ? ` (${missing})` : ""}`,
  () => {
    let dir: string;
    let socketPath: string;
    let listener: ChildProcess;
    const got: Datagram[] = [];

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "bellhop-notify-"));
      socketPath = join(dir, "notify.sock");
      writeFileSync(join(dir, "listener.py"), LISTENER);
      listener = spawn(python, [join(dir, "listener.py"), socketPath], { stdio: ["ignore", "pipe", "inherit"] });
      let buf = "";
      await new Promise<void>((resolve) => {
        listener.stdout?.on("data", (chunk: Buffer) => {
          buf += chunk.toString();
          for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
            const line = JSON.parse(buf.slice(0, i));
            buf = buf.slice(i + 1);
            if (line.listening) resolve();
            else got.push(line);
          }
        });
      });
    });

    afterAll(() => {
      listener?.kill();
      rmSync(dir, { recursive: true, force: true });
    });

    const waitFor = async (cond: () => boolean, ms: number) => {
      const end = Date.now() + ms;
      while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      return cond();
    };
    const watchdogs = (from = 0, to = Number.POSITIVE_INFINITY) =>
      got.filter((d) => d.data === "WATCHDOG=1" && d.t >= from && d.t <= to);

    test("READY=1 with our PID, then WATCHDOG=1 repeatedly; a blocked loop sends none, and feeding resumes after", async () => {
      const notifier = systemdNotifier({ env: { NOTIFY_SOCKET: socketPath, WATCHDOG_USEC: "600000" } });
      expect(notifier?.watchdogMs).toBe(600);
      const lag = new LoopLag({ sampleMs: 50 }).start();
      const s = superviseWithSystemd({ notifier: notifier!, lag, logger: memoryLogger() });
      try {
        expect(await waitFor(() => watchdogs().length >= 3, 5000)).toBe(true);
        const ready = got.find((d) => d.data.includes("READY=1"));
        expect(ready?.data).toContain(`MAINPID=${process.pid}`);
        expect(got.indexOf(ready!)).toBe(0);

        // Block the loop for 1.5 s: no timer runs, so nothing may reach the socket (a notification
        // already under way when the block began may still land in its first moments).
        const blockStart = Date.now();
        while (Date.now() - blockStart < 1500) {}
        const blockEnd = Date.now();
        expect(await waitFor(() => watchdogs(blockEnd).length >= 2, 5000)).toBe(true);
        expect(watchdogs(blockStart + 300, blockEnd)).toEqual([]);
        // The tick right after the block sees the lag and does not feed; the next healthy one does.
        expect(s.skipped).toBeGreaterThanOrEqual(1);
      } finally {
        s.stop();
        lag.stop();
      }
    }, 20_000);

    test("STOPPING=1 reaches the socket", async () => {
      const notifier = systemdNotifier({ env: { NOTIFY_SOCKET: socketPath } });
      expect(notifier?.watchdogMs).toBeUndefined();
      await notifier!.notify("STOPPING=1");
      expect(await waitFor(() => got.some((d) => d.data === "STOPPING=1"), 3000)).toBe(true);
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
    await expect(n!.notify("READY=1")).rejects.toThrow(/systemd-notify READY=1/);
  });
});
