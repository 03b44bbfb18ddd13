import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { parseConfig } from "../../src/config/load.ts";
import { backupFileName, backupTakenAt, pruneBackups, startNightlyBackup } from "../../src/jobs/backup-nightly.ts";
import { FakeClock } from "../../src/lib/clock.ts";
import { memoryLogger } from "../../src/lib/logger.ts";
import { restoreBackup } from "../../src/services/backup-restore.ts";
import { snapshotDatabase } from "../../src/store/snapshot.ts";
import { tempDir, tempStore } from "../helpers/store.ts";

const DAY = 86_400_000;
const tick = () => new Promise((r) => setTimeout(r, 0));

describe("nightly backup", () => {
  test("names carry the UTC time they were taken, and only such names are read back", () => {
    const at = Date.UTC(2026, 10, 23, 2, 30, 0);
    assert.equal(backupFileName(at), "bellhop-20261123T023000Z.tar.gz");
    assert.equal(backupTakenAt(backupFileName(at)), at);
    for (const other of ["bellhop-manual.tar.gz", "bellhop-20261123T023000Z.tar.gz.partial", "notes.txt"]) {
      assert.equal(backupTakenAt(other), undefined);
    }
  });

  test("retention deletes nightly archives keepDays old or older, never the newest nor other files", () => {
    const t = tempDir();
    try {
      const names = [
        "bellhop-20261101T023000Z.tar.gz",
        "bellhop-20261120T023000Z.tar.gz",
        "bellhop-20261121T023000Z.tar.gz",
        "bellhop-20261122T023000Z.tar.gz",
        "bellhop-manual.tar.gz",
        "notes.txt",
      ];
      for (const n of names) writeFileSync(join(t.dir, n), "x");
      const now = Date.UTC(2026, 10, 23, 2, 30, 0);
      const removed = pruneBackups(t.dir, 2, now);
      assert.deepEqual(removed.sort(), names.slice(0, 3));
      assert.deepEqual(readdirSync(t.dir).sort(), names.slice(3).sort());
      // A clock set years ahead leaves the newest one.
      assert.deepEqual(pruneBackups(t.dir, 2, now + 3650 * DAY), []);
      assert.ok(readdirSync(t.dir).includes("bellhop-20261122T023000Z.tar.gz"));
    } finally {
      t.cleanup();
    }
  });

  test("runs at nightlyAt hotel time on the injected clock, keeps keepDays, and the archive restores", async () => {
    const s = await tempStore();
    const out = tempDir();
    try {
      const backups = join(s.dir, "backups");
      mkdirSync(backups);
      writeFileSync(join(backups, "bellhop-20261120T023000Z.tar.gz"), "old");
      writeFileSync(join(backups, "mine.tar.gz"), "the installer's own");
      // 09:00 UTC = 10:00 in Rome; the next 03:30 Rome is 02:30 UTC tomorrow.
      const clock = new FakeClock(Date.UTC(2026, 10, 22, 9, 0, 0));
      const logger = memoryLogger();
      const nightly = startNightlyBackup({
        dataDir: s.dir,
        backup: parseConfig({ backup: { nightlyAt: "03:30", keepDays: 2 } }).backup,
        timezone: "Europe/Rome",
        clock,
        logger,
        snapshot: (target) => s.store.read(() => snapshotDatabase(s.store.client, target)),
      });
      clock.advance(Date.UTC(2026, 10, 23, 2, 29, 59) - clock.now());
      await tick();
      assert.deepEqual(readdirSync(backups).sort(), ["bellhop-20261120T023000Z.tar.gz", "mine.tar.gz"]);
      clock.advance(1000);
      await tick();
      await nightly.idle();
      await tick();
      assert.deepEqual(readdirSync(backups).sort(), ["bellhop-20261123T023000Z.tar.gz", "mine.tar.gz"]);
      clock.advance(DAY);
      await tick();
      await nightly.idle();
      await tick();
      assert.deepEqual(readdirSync(backups).sort(), [
        "bellhop-20261123T023000Z.tar.gz",
        "bellhop-20261124T023000Z.tar.gz",
        "mine.tar.gz",
      ]);
      nightly.stop();
      assert.ok(logger.lines.some((l) => l.msg === "backup written"));

      const archive = join(backups, "bellhop-20261124T023000Z.tar.gz");
      const listed = spawnSync("tar", ["-tzf", archive], { encoding: "utf8" });
      if (listed.status === 0)
        assert.deepEqual(listed.stdout.trim().split("\n"), ["bellhop.db", "bellhop-backup.json"]);
      const r = await restoreBackup({ dataDir: join(out.dir, "restored"), from: archive });
      assert.equal(r.files, 1);
    } finally {
      s.cleanup();
      out.cleanup();
    }
  });

  test("nightlyAt null: no timer; runNow still works, by default on a connection of its own", async () => {
    const s = await tempStore();
    try {
      const clock = new FakeClock(Date.UTC(2026, 10, 22, 9, 0, 0));
      const nightly = startNightlyBackup({
        dataDir: s.dir,
        backup: parseConfig({ backup: { nightlyAt: null } }).backup,
        timezone: "Europe/Rome",
        clock,
        logger: memoryLogger(),
      });
      clock.advance(3 * DAY);
      await tick();
      assert.deepEqual(readdirSync(s.dir).includes("backups"), false);
      const r = await nightly.runNow();
      assert.ok(r?.file.endsWith("bellhop-20261125T090000Z.tar.gz"));
      nightly.stop();
    } finally {
      s.cleanup();
    }
  });
});
