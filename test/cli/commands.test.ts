import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { ServeFn } from "../../src/app/appliance.ts";
import { runCli } from "../../src/cli/commands.ts";
import { openStore } from "../../src/store/db.ts";
import { tokens } from "../../src/store/schema/index.ts";
import { findToken } from "../../src/store/tokens.ts";
import { MIGRATIONS, tempDir } from "../helpers/store.ts";

function env(stop: Promise<string> = new Promise(() => {}), serve?: ServeFn) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    env: {
      version: "1.2.3",
      migrationsFolder: MIGRATIONS,
      serve: serve ?? (async () => ({ port: 0, close: async () => {} })),
      stdout: { write: (s: string) => out.push(s) },
      stderr: { write: (s: string) => err.push(s) },
      stopSignal: stop,
    },
  };
}

describe("bellhop CLI", () => {
  test("version, help, and an unknown command (exit 2)", async () => {
    const e = env();
    assert.equal(await runCli(["version"], e.env), 0);
    assert.equal(e.out.join(""), "1.2.3\n");
    assert.equal(await runCli([], e.env), 0);
    assert.match(e.out.join(""), /bellhop serve/);
    assert.equal(await runCli(["frobnicate"], e.env), 2);
    assert.match(e.err.join(""), /unknown command: frobnicate/);
  });

  test("unpack prints the built-in prompts' folder (the binary expands its pack first), or says there is none", async () => {
    const e = env();
    assert.equal(await runCli(["unpack"], { ...e.env, promptsFolder: async () => "/tmp/bellhop-prompts-x" }), 0);
    assert.equal(e.out.join(""), "/tmp/bellhop-prompts-x\n");
    const none = env();
    assert.equal(await runCli(["unpack"], none.env), 0);
    assert.equal(none.out.join(""), "nothing to unpack\n");
  });

  test("serve calls afterStartup once the appliance has started", async () => {
    const t = tempDir();
    let stop!: (s: string) => void;
    const stopped = new Promise<string>((r) => {
      stop = r;
    });
    try {
      const file = join(t.dir, "config.json");
      writeFileSync(file, JSON.stringify({ pms: { port: 0 }, log: { level: "error" } }));
      const e = env(stopped);
      let settled = 0;
      const run = runCli(["serve", "--config", file, "--data", join(t.dir, "data")], {
        ...e.env,
        afterStartup: () => settled++,
      });
      const until = Date.now() + 5000;
      while (settled === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      stop("SIGTERM");
      assert.equal(await run, 0);
      assert.equal(settled, 1);
    } finally {
      t.cleanup();
    }
  });

  test("a wrong config stops start-up with exit 78 and names the key path", async () => {
    const t = tempDir();
    try {
      const file = join(t.dir, "config.json");
      writeFileSync(file, JSON.stringify({ pms: { port: "5010", prot: "x" } }));
      const e = env();
      assert.equal(await runCli(["serve", "--config", file, "--data", t.dir], e.env), 78);
      const msg = e.err.join("");
      assert.match(msg, /pms\.port: .*number/);
      assert.match(msg, /pms\.prot: unknown key/);
      writeFileSync(file, "{ not json");
      assert.equal(await runCli(["migrate", "--config", file], e.env), 78);
      assert.match(e.err.join(""), /not valid JSON/);
      assert.equal(await runCli(["serve", "--config", join(t.dir, "missing.json")], e.env), 78);
      assert.match(e.err.join(""), /cannot read config file/);
    } finally {
      t.cleanup();
    }
  });

  test("token create prints the token as its last line and stores only its hash", async () => {
    const t = tempDir();
    try {
      const e = env();
      assert.equal(
        await runCli(["token", "create", "--data", t.dir, "--role", "frontdesk", "--name", "desk"], e.env),
        0,
      );
      const token = e.out.join("").trim().split("\n").at(-1) as string;
      assert.match(token, /^bh_[A-Za-z0-9_-]{32}$/);
      const store = await openStore({ dataDir: t.dir, migrationsFolder: MIGRATIONS });
      try {
        assert.deepEqual(await store.read((db) => findToken(db, token)), { name: "desk", role: "frontdesk" });
        const rows = await store.read((db) => db.select().from(tokens));
        assert.ok(!JSON.stringify(rows).includes(token), "the token itself is not stored");
      } finally {
        store.close();
      }
      const bad = env();
      assert.equal(await runCli(["token", "create", "--data", t.dir, "--role", "root", "--name", "x"], bad.env), 2);
    } finally {
      t.cleanup();
    }
  });

  test("serve starts the appliance, serves the API where configured, and stops cleanly on a signal", async () => {
    const t = tempDir();
    try {
      const file = join(t.dir, "config.json");
      writeFileSync(
        file,
        JSON.stringify({ api: { listen: "127.0.0.1:18555" }, pms: { port: 0 }, log: { level: "error" } }),
      );
      let stop: (s: string) => void = () => {};
      const stopped = new Promise<string>((r) => {
        stop = r;
      });
      const served: { hostname: string; port: number }[] = [];
      let closed = false;
      const e = env(stopped, async (_fetch, addr) => {
        served.push(addr);
        return {
          port: addr.port,
          close: async () => {
            closed = true;
          },
        };
      });
      const running = runCli(["serve", "--config", file, "--data", join(t.dir, "data")], e.env);
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(served, [{ hostname: "127.0.0.1", port: 18555 }]);
      stop("SIGTERM");
      assert.equal(await running, 0);
      assert.equal(closed, true);
      const store = await openStore({ dataDir: join(t.dir, "data"), migrationsFolder: MIGRATIONS });
      try {
        const { getMeta } = await import("../../src/store/meta.ts");
        assert.equal(await store.read((db) => getMeta(db, "shutdown.clean")), "1");
      } finally {
        store.close();
      }
    } finally {
      t.cleanup();
    }
  });
});
