/**
 * `bellhop backup` and `bellhop restore` as an installer runs them, each its own process, beside an
 * appliance running from source on the same data folder.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, test } from "node:test";
import { tempDir } from "../helpers/store.ts";
import { eventually, freePort } from "../integration/support.ts";

const MAIN = resolve(import.meta.dirname ?? ".", "../../src/main.ts");

function bellhop(...args: string[]) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: "utf8", timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

async function serve(config: string, data: string, apiPort: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [MAIN, "serve", "--config", config, "--data", data], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  child.stderr?.on("data", (b) => {
    log += b;
  });
  await eventually(
    "the appliance's health endpoint",
    async () => {
      if (child.exitCode !== null) throw new Error(`the appliance exited: ${log.slice(-1500)}`);
      try {
        return (await fetch(`http://127.0.0.1:${apiPort}/api/v1/health`)).ok;
      } catch {
        return false;
      }
    },
    20_000,
    100,
  );
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

describe("bellhop backup / restore", () => {
  test("backup works while the appliance runs; restore refuses its data until it stopped", async () => {
    const t = tempDir();
    let child: ChildProcess | undefined;
    try {
      const data = join(t.dir, "data");
      const apiPort = await freePort();
      const config = join(t.dir, "config.json");
      writeFileSync(
        config,
        JSON.stringify({
          api: { listen: `127.0.0.1:${apiPort}` },
          pms: { port: await freePort() },
          backup: { nightlyAt: null },
        }),
      );
      assert.equal(bellhop("token", "create", "--data", data, "--role", "admin", "--name", "desk").code, 0);
      const token = bellhop("token", "create", "--data", data, "--role", "admin", "--name", "api")
        .out.trim()
        .split("\n")
        .at(-1);
      child = await serve(config, data, apiPort);
      const api = (path: string, init: RequestInit = {}) =>
        fetch(`http://127.0.0.1:${apiPort}${path}`, {
          ...init,
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        });
      assert.equal(
        (
          await api("/api/v1/rooms/101/checkin", {
            method: "POST",
            body: JSON.stringify({ guest: { lastName: "Smith" } }),
          })
        ).status,
        200,
      );

      const archive = join(t.dir, "live.tar.gz");
      const b = bellhop("backup", "--data", data, "--out", archive);
      assert.equal(b.code, 0, b.err);
      assert.match(b.out, /backup written: .*live\.tar\.gz \(1 files/);
      assert.equal(bellhop("backup", "--data", data, "--out", archive).code, 1, "an existing file is not overwritten");

      const refused = bellhop("restore", "--data", data, "--from", archive);
      assert.equal(refused.code, 1);
      assert.match(refused.err, /refusing to restore into .*the appliance is running/);
      assert.deepEqual(
        readdirSync(data).filter((n) => n.startsWith("replaced-") || n.startsWith(".restore")),
        [],
      );

      // Changed after the backup: the restore takes it back.
      assert.equal((await api("/api/v1/rooms/101/checkout", { method: "POST", body: "{}" })).status, 200);
      await stop(child);
      const ok = bellhop("restore", "--data", data, "--from", archive);
      assert.equal(ok.code, 0, ok.err);
      assert.match(ok.out, /restored 1 files/);
      assert.ok(readdirSync(data).some((n) => n.startsWith("replaced-")));

      child = await serve(config, data, apiPort);
      const room = (await (await api("/api/v1/rooms/101")).json()) as {
        occupied: boolean;
        guests: { lastName: string }[];
      };
      assert.equal(room.occupied, true);
      assert.equal(room.guests[0].lastName, "Smith");
      assert.equal(bellhop("restore", "--data", data).code, 2, "usage: --from is required");
      assert.equal(existsSync(join(data, "bellhop.db")), true);
    } finally {
      if (child) await stop(child);
      t.cleanup();
    }
  });
});
