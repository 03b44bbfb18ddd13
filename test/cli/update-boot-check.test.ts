/**
 * appliance/boot-check.sh, the unit's ExecStartPre, on its own: it counts the new version's starts,
 * rolls back binary and database (the WAL the failed version left included) when the update was
 * never confirmed by its deadline or a rollback was interrupted, drops a stale marker from before
 * the swap, and writes a last.json that the health route reads back. The snapshot it restores is
 * made by store/update-snapshot (VACUUM INTO, marked "resync wanted").
 */

import { Database } from "bun:sqlite";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, describe, test } from "node:test";
import { DB_FILE, openStore } from "../../src/store/db.ts";
import { snapshotDatabase } from "../../src/store/update-snapshot.ts";
import {
  ensureUpdateDir,
  type PendingUpdate,
  readLastUpdate,
  readPending,
  readStarts,
  writePending,
} from "../../src/store/update-state.ts";
import { MIGRATIONS, tempDir } from "../helpers/store.ts";

const SCRIPT = resolve(import.meta.dirname ?? ".", "../../appliance/boot-check.sh");
const tmp = tempDir("bellhop-boot-check-");
after(() => tmp.cleanup());

let n = 0;

/** A box: data folder with a migrated database, an installed "old" binary and a kept previous one. */
async function box(): Promise<{ dir: string; data: string; bin: string; pending: PendingUpdate }> {
  const dir = join(tmp.dir, `box${++n}`);
  const data = join(dir, "data");
  const store = await openStore({ dataDir: data, migrationsFolder: MIGRATIONS, synchronous: "NORMAL" });
  store.close();
  ensureUpdateDir(data);
  const bin = join(dir, "bellhop");
  writeFileSync(`${bin}.previous`, "#!/bin/sh\necho 1.0.0\n");
  writeFileSync(bin, "#!/bin/sh\necho 2.0.0\n");
  chmodSync(bin, 0o755);
  const snapshot = join(data, "update", "snapshot.db");
  assert.equal(await snapshotDatabase(data, snapshot), true);
  const pending: PendingUpdate = {
    id: `t${n}`,
    state: "restarting",
    bin,
    previous: `${bin}.previous`,
    snapshot,
    from: "1.0.0",
    to: "2.0.0",
    startedAt: Date.now(),
    deadline: Math.ceil(Date.now() / 1000) + 600,
    maxStarts: 3,
    pid: 1,
  };
  writePending(data, pending);
  return { dir, data, bin, pending };
}

/** What the failed new version did: a migration, left in the WAL (the connection never closes). */
function migrate(data: string): Database {
  const db = new Database(join(data, DB_FILE));
  db.exec("PRAGMA journal_mode=WAL");
  db.exec("PRAGMA wal_autocheckpoint=0");
  db.exec("CREATE TABLE from_new_version (id INTEGER PRIMARY KEY)");
  return db;
}

function tables(data: string): string[] {
  const db = new Database(join(data, DB_FILE), { readonly: true });
  try {
    return (db.query("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map(
      (t) => t.name,
    );
  } finally {
    db.close();
  }
}

function resyncWanted(data: string): string | undefined {
  const db = new Database(join(data, DB_FILE), { readonly: true });
  try {
    return (db.query("SELECT value FROM meta WHERE key = 'pms.resyncWanted'").get() as { value: string } | null)?.value;
  } finally {
    db.close();
  }
}

function bootCheck(data: string): string {
  const res = spawnSync("sh", [SCRIPT, data], { encoding: "utf8" });
  assert.equal(res.status, 0, res.stderr);
  return res.stderr;
}

describe("boot check (ExecStartPre)", () => {
  test("no update pending: nothing happens", () => {
    const data = join(tmp.dir, "empty");
    assert.equal(bootCheck(data), "");
  });

  test("counts the new version's starts; past max starts it rolls back binary and database", async () => {
    const b = await box();
    const wal = migrate(b.data);
    wal.close(); // closing checkpoints it: this one is in the main file
    for (let i = 1; i <= 3; i++) {
      assert.match(bootCheck(b.data), new RegExp(`start ${i} of version 2\\.0\\.0`));
      assert.equal(readStarts(b.data), i);
    }
    assert.ok(tables(b.data).includes("from_new_version"));
    assert.match(
      bootCheck(b.data),
      /rolled back to 1\.0\.0 \(binary and database\): crash loop: version 2\.0\.0 started 4 times/,
    );
    assert.equal(readFileSync(b.bin, "utf8"), readFileSync(`${b.bin}.previous`, "utf8"));
    assert.ok(!tables(b.data).includes("from_new_version"));
    assert.equal(resyncWanted(b.data), "1", "the version put back asks the PMS for a resync");
    assert.equal(readPending(b.data), null);
    const last = readLastUpdate(b.data);
    assert.equal(last?.result, "rolled-back");
    assert.equal(last?.by, "boot-check");
    assert.equal(last?.from, "1.0.0");
    assert.equal(last?.to, "2.0.0");
    assert.match(String(last?.reason), /crash loop/);
    assert.ok(!Number.isNaN(Date.parse(String(last?.startedAt))));
  });

  test("an update never confirmed by its deadline (apply died) is undone, the WAL of the failed version dropped", async () => {
    const b = await box();
    writePending(b.data, { ...b.pending, deadline: Math.floor(Date.now() / 1000) - 1 });
    const db = migrate(b.data); // still open: its pages are only in bellhop.db-wal
    assert.ok(existsSync(join(b.data, `${DB_FILE}-wal`)));
    assert.match(bootCheck(b.data), /never confirmed healthy/);
    assert.ok(!existsSync(join(b.data, `${DB_FILE}-wal`)), "the WAL went first");
    assert.ok(!tables(b.data).includes("from_new_version"));
    db.close(); // its files were replaced under it: closing touches only the unlinked ones
    assert.ok(!tables(b.data).includes("from_new_version"));
    assert.equal(readLastUpdate(b.data)?.by, "boot-check");
  });

  test("an interrupted rollback is finished; a marker from before the swap is dropped once stale", async () => {
    const b = await box();
    writePending(b.data, { ...b.pending, state: "rolling-back" });
    migrate(b.data).close();
    assert.match(bootCheck(b.data), /finishing an interrupted rollback/);
    assert.ok(!tables(b.data).includes("from_new_version"));
    assert.equal(readFileSync(b.bin, "utf8"), readFileSync(`${b.bin}.previous`, "utf8"));

    const c = await box();
    writePending(c.data, { ...c.pending, state: "preparing" });
    assert.equal(bootCheck(c.data), "", "before its deadline an apply may still be running");
    assert.ok(readPending(c.data));
    writePending(c.data, { ...c.pending, state: "preparing", deadline: 1 });
    assert.match(bootCheck(c.data), /removed a stale pending update \(state preparing\)/);
    assert.equal(readPending(c.data), null);
    assert.equal(readFileSync(c.bin, "utf8"), "#!/bin/sh\necho 2.0.0\n", "nothing swapped back");
    assert.equal(readLastUpdate(c.data), null);
  });
});
