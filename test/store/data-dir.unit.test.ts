/**
 * The data folder check (issue 10 §4): each file-system error met while preparing the folder becomes
 * "data folder …: read-only / not a folder / no space" with the exit code systemd acts on (73 keeps
 * retrying, 78 waits for a configuration change). Errors are injected here; test/cli/data-dir.test.ts
 * meets the real ones.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { checkDataDir, DataDirError, dataDirError, EX_CANTCREAT, EX_CONFIG } from "../../src/store/data-dir.ts";

function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), "bellhop-datadir-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const errno = (code: string) => Object.assign(new Error(`${code}: some system text`), { code });

describe("dataDirError", () => {
  const cases: [string, string, number][] = [
    ["EROFS", "read-only (the file system is mounted read-only)", EX_CANTCREAT],
    ["EACCES", "read-only (this user may not write there)", EX_CANTCREAT],
    ["EPERM", "read-only (this user may not write there)", EX_CANTCREAT],
    ["ENOSPC", "no space (the disk is full)", EX_CANTCREAT],
    ["EDQUOT", "no space (the disk quota is used up)", EX_CANTCREAT],
    ["ENOTDIR", "not a folder (it, or a folder above it, is a file)", EX_CONFIG],
    ["EEXIST", "not a folder (it, or a folder above it, is a file)", EX_CONFIG],
    ["ELOOP", "not a folder (the path cannot be resolved (ELOOP))", EX_CONFIG],
  ];
  for (const [code, text, exit] of cases) {
    test(`${code} → exit ${exit}`, () => {
      const e = dataDirError("/var/lib/bellhop", errno(code));
      assert.ok(e instanceof DataDirError);
      assert.equal(e.message, `data folder /var/lib/bellhop: ${text}`);
      assert.equal(e.exitCode, exit);
    });
  }

  test("a database file that cannot be opened is named", () => {
    const e = dataDirError("/d", errno("EACCES"), "bellhop.db-wal");
    assert.equal(e.message, "data folder /d: read-only (bellhop.db-wal: this user may not write there)");
    const dir = dataDirError("/d", errno("EISDIR"), "bellhop.db");
    assert.equal(dir.exitCode, EX_CONFIG);
    assert.match(
      dir.message,
      /^data folder \/d: not a folder \(bellhop\.db: a folder where the database file belongs\)$/,
    );
  });

  test("anything else still says which folder, with the system's reason, and exits 73", () => {
    const e = dataDirError("/d", errno("EIO"));
    assert.equal(e.exitCode, EX_CANTCREAT);
    assert.equal(e.message, "data folder /d: cannot be written (EIO: some system text)");
  });
});

describe("checkDataDir", () => {
  test("creates a missing folder (and its parents) and leaves no probe behind", () => {
    const t = tempDir();
    try {
      const dir = join(t.dir, "a", "b");
      checkDataDir(dir);
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      t.cleanup();
    }
  });

  test("a path that is a file, or under one: not a folder, exit 78", () => {
    const t = tempDir();
    try {
      const file = join(t.dir, "bellhop.json");
      writeFileSync(file, "{}");
      for (const dir of [file, join(file, "data")]) {
        assert.throws(
          () => checkDataDir(dir),
          (e: unknown) => e instanceof DataDirError && e.exitCode === EX_CONFIG && e.problem === "not a folder",
        );
      }
    } finally {
      t.cleanup();
    }
  });

  test("a folder where the database file belongs: not a folder, exit 78", () => {
    const t = tempDir();
    try {
      mkdirSync(join(t.dir, "bellhop.db"));
      assert.throws(
        () => checkDataDir(t.dir, ["bellhop.db"]),
        (e: unknown) =>
          e instanceof DataDirError && e.exitCode === EX_CONFIG && /bellhop\.db: a folder/.test(e.message),
      );
    } finally {
      t.cleanup();
    }
  });
});
