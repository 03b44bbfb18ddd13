/**
 * `bellhop serve` under a stand-in systemd (Type=notify, WatchdogSec=): READY=1 only once the API
 * answers, WATCHDOG=1 while it runs, STOPPING=1 on SIGTERM, and a clean exit.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type NotifySocket, notifySocketMissing, startNotifySocket } from "../helpers/notify-socket.ts";

const missing = notifySocketMissing();
const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe.skipIf(missing !== "")(`bellhop serve with NOTIFY_SOCKET${missing ? ` (${missing})` : ""}`, () => {
  let sock: NotifySocket;
  let dir: string;
  beforeAll(async () => {
    sock = await startNotifySocket();
    dir = mkdtempSync(join(tmpdir(), "bellhop-serve-notify-"));
  });
  afterAll(() => {
    sock?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("READY=1 after the API listens, WATCHDOG=1 while running, STOPPING=1 at SIGTERM", async () => {
    const apiPort = await freePort();
    const pmsPort = await freePort();
    const config = join(dir, "config.json");
    writeFileSync(
      config,
      JSON.stringify({ api: { listen: `127.0.0.1:${apiPort}` }, pms: { port: pmsPort }, log: { level: "warn" } }),
    );
    const child = spawn(process.execPath, [MAIN, "serve", "--config", config, "--data", join(dir, "data")], {
      env: { ...process.env, NOTIFY_SOCKET: sock.path, WATCHDOG_USEC: "900000" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      expect(await sock.waitFor(() => sock.got.some((d) => d.data.includes("READY=1")), 15_000)).toBe(true);
      const ready = sock.got.find((d) => d.data.includes("READY=1"));
      expect(ready?.data).toContain(`MAINPID=${child.pid}`);
      // Ready means served: the health check answers at once.
      const health = await fetch(`http://127.0.0.1:${apiPort}/api/v1/health`);
      expect(health.status).toBe(200);
      expect(await sock.waitFor(() => sock.got.filter((d) => d.data === "WATCHDOG=1").length >= 3, 5000)).toBe(true);
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(sock.got.some((d) => d.data === "STOPPING=1")).toBe(true);
    } finally {
      child.kill("SIGKILL");
      if (stderr.includes('"level":"error"')) console.error(stderr);
    }
  }, 30_000);
});
