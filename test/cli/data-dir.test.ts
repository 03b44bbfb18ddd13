/**
 * A data folder that cannot be written stops `serve` (and `migrate`, `token create`) before SQLite
 * sees it, with "data folder …: read-only / not a folder / no space" and exit 73 or 78 instead of
 * SQLite's "14" (issue 10 §4). The real process is run too, so main.ts passes the code on. Tests
 * run as root, where chmod stops nothing: a read-only or full folder is a tmpfs mounted in a private
 * mount namespace (`unshare -m`), skipped where that is not allowed.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, test } from "node:test";
import { runCli } from "../../src/cli/commands.ts";
import { MIGRATIONS, tempDir } from "../helpers/store.ts";

const ROOT = resolve(import.meta.dirname ?? ".", "../..");
const MAIN = join(ROOT, "src/main.ts");

function env() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    env: {
      version: "1.2.3",
      migrationsFolder: MIGRATIONS,
      serve: async () => ({ port: 0, close: async () => {} }),
      stdout: { write: (s: string) => out.push(s) },
      stderr: { write: (s: string) => err.push(s) },
      // A serve that got past the check would run until this resolves.
      stopSignal: Promise.resolve("SIGTERM"),
    },
  };
}

/** Ports 0 everywhere: should the check wrongly pass, `serve` binds nothing fixed. */
function configFile(dir: string): string {
  const file = join(dir, "config.json");
  writeFileSync(file, JSON.stringify({ api: { listen: "127.0.0.1:0" }, pms: { port: 0 } }));
  return file;
}

/** Runs the real entry point (as the binary would run), inside `sh -c` when `shell` is given. */
function bellhop(args: string[], shell?: { script: string; dir: string }) {
  const r = shell
    ? spawnSync("unshare", ["-m", "sh", "-c", shell.script, "sh", shell.dir, process.execPath, MAIN, ...args], {
        cwd: ROOT,
        encoding: "utf8",
        timeout: 20_000,
      })
    : spawnSync(process.execPath, [MAIN, ...args], { cwd: ROOT, encoding: "utf8", timeout: 20_000 });
  return { code: r.status, stderr: r.stderr ?? "" };
}

/** Whether this machine lets us mount a tmpfs in a private mount namespace. */
function canMountTmpfs(): boolean {
  const t = tempDir();
  try {
    const r = spawnSync("unshare", ["-m", "sh", "-c", 'mount -t tmpfs -o ro tmpfs "$1"', "sh", t.dir], {
      encoding: "utf8",
      timeout: 5000,
    });
    return r.status === 0;
  } catch {
    return false;
  } finally {
    t.cleanup();
  }
}

describe("a data folder that cannot be written", () => {
  test("under a file: serve, migrate and token create exit 78 naming the folder", async () => {
    const t = tempDir();
    try {
      const file = join(t.dir, "not-a-folder");
      writeFileSync(file, "x");
      const data = join(file, "data");
      for (const args of [
        ["serve", "--data", data],
        ["migrate", "--data", data],
        ["token", "create", "--data", data, "--role", "admin", "--name", "me"],
        ["serve", "--data", file],
      ]) {
        const e = env();
        assert.equal(await runCli(args, e.env), 78, args.join(" "));
        const dir = args[args.indexOf("--data") + 1];
        assert.equal(
          e.err.join(""),
          `bellhop: data folder ${dir}: not a folder (it, or a folder above it, is a file)\n`,
        );
      }
    } finally {
      t.cleanup();
    }
  });

  test("the real process exits 78 too (main.ts passes the code on)", { timeout: 30_000 }, () => {
    const t = tempDir();
    try {
      const file = join(t.dir, "not-a-folder");
      writeFileSync(file, "x");
      const r = bellhop(["serve", "--config", configFile(t.dir), "--data", join(file, "data")]);
      assert.equal(r.code, 78, r.stderr);
      assert.match(r.stderr, /data folder .*not-a-folder\/data: not a folder/);
      assert.doesNotMatch(r.stderr, /SQLITE|\b14\b/);
    } finally {
      t.cleanup();
    }
  });

  const mountable = canMountTmpfs();
  const skip = mountable ? false : "unshare -m / mount tmpfs not allowed here";

  test("a read-only mount: exit 73, read-only", { skip, timeout: 30_000 }, () => {
    const t = tempDir();
    try {
      const data = join(t.dir, "data");
      mkdirSync(data);
      const script = 'mount -t tmpfs -o ro tmpfs "$1" || exit 99; shift; exec "$@"';
      const r = bellhop(["serve", "--config", configFile(t.dir), "--data", data], { script, dir: data });
      assert.equal(r.code, 73, r.stderr);
      assert.match(r.stderr, new RegExp(`data folder ${data}: read-only \\(the file system is mounted read-only\\)`));
      assert.doesNotMatch(r.stderr, /SQLITE/);
    } finally {
      t.cleanup();
    }
  });

  test("a full disk: exit 73, no space", { skip, timeout: 30_000 }, () => {
    const t = tempDir();
    try {
      const data = join(t.dir, "data");
      mkdirSync(data);
      // A 64 KiB tmpfs filled to the last block.
      const script =
        'mount -t tmpfs -o size=64k tmpfs "$1" || exit 99; dd if=/dev/zero of="$1/fill" bs=4k 2>/dev/null; shift; exec "$@"';
      const r = bellhop(["migrate", "--data", data], { script, dir: data });
      assert.equal(r.code, 73, r.stderr);
      assert.match(r.stderr, new RegExp(`data folder ${data}: no space \\(the disk is full\\)`));
    } finally {
      t.cleanup();
    }
  });
});
