import assert from "node:assert/strict";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { createBackup } from "../../src/services/backup.ts";
import { restoreBackup } from "../../src/services/backup-restore.ts";
import { tarEnd, tarHeader, tarPadding } from "../../src/services/backup-tar.ts";
import { listMessages } from "../../src/services/messages.ts";
import { PmsIngest } from "../../src/services/pms-ingest.ts";
import { getRooms } from "../../src/services/rooms.ts";
import { mailboxOf } from "../../src/services/voicemail.ts";
import { createWakeup, listWakeups } from "../../src/services/wakeups.ts";
import { openStore, type Store } from "../../src/store/db.ts";
import { getMeta } from "../../src/store/meta.ts";
import { snapshotDatabase } from "../../src/store/snapshot.ts";
import { MIGRATIONS, tempDir, testContext } from "../helpers/store.ts";
import { deposit, feed } from "./voicemail-fixture.ts";

const PROMPT = new Uint8Array(4000).map((_, i) => (i * 37) & 0xff);

/** A data folder with two occupied rooms, a wake-up, a PMS text message, two voice messages and a custom prompt. */
async function populated(dir: string): Promise<Store> {
  const store = await openStore({ dataDir: dir, migrationsFolder: MIGRATIONS, synchronous: "NORMAL" });
  const ctx = testContext(store);
  const ingest = new PmsIngest(ctx, "latin1");
  await ingest.init();
  await feed(ingest, "GI|RN101|G#1|GNSmith|GFAnna|GLEA|GSN|", "GI|RN102|G#2|GNRossi|GLIT|GSN|");
  await feed(ingest, "XL|RN101|G#1|MI9|MTCall the desk|");
  await createWakeup(ctx, "test", { room: "101", at: ctx.clock.now() + 3_600_000 });
  await deposit(ctx, "101", { seconds: 3 });
  await deposit(ctx, "102", { seconds: 4, codec: "PCMA" });
  mkdirSync(join(dir, "prompts", "en"), { recursive: true });
  writeFileSync(join(dir, "prompts", "en", "wakeup.ul"), PROMPT);
  return store;
}

async function stateOf(store: Store) {
  const ctx = testContext(store);
  const rooms = (await getRooms(ctx)).map(({ wakeups, ...r }) => ({ ...r, wakeups }));
  const voicemail = await Promise.all(["101", "102"].map((r) => mailboxOf(ctx, r)));
  return {
    rooms,
    wakeups: await listWakeups(ctx, {}),
    messages: await listMessages(ctx, "101"),
    voicemail,
  };
}

function filesUnder(dir: string, rel = ""): Map<string, string> {
  const out = new Map<string, string>();
  if (!existsSync(join(dir, rel))) return out;
  for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) for (const [k, v] of filesUnder(dir, p)) out.set(k, v);
    else out.set(p, readFileSync(join(dir, p)).toString("base64"));
  }
  return out;
}

function audioOf(dir: string) {
  return new Map([...filesUnder(dir)].filter(([k]) => k.startsWith("voicemail/") || k.startsWith("prompts/")));
}

describe("backup and restore", () => {
  test("backup → wipe → restore gives back the same rooms, wake-ups, messages and audio, byte for byte", async () => {
    const t = tempDir();
    try {
      const data = join(t.dir, "data");
      const store = await populated(data);
      const before = await stateOf(store);
      assert.equal(before.rooms.length, 2);
      assert.equal(before.wakeups.length, 1);
      assert.equal(before.messages.length, 1);
      assert.equal(before.voicemail[0].messages.length, 1);
      const audio = audioOf(data);
      assert.equal(audio.size, 3, "two voice messages and one prompt");
      const out = join(t.dir, "b.tar.gz");
      // Taken through the live connection while the store is open, as the nightly backup does.
      const r = await createBackup({
        dataDir: data,
        out,
        snapshot: (target) => store.read(() => snapshotDatabase(store.client, target)),
        appVersion: "1.2.3",
      });
      assert.equal(r.files, 4);
      store.close();

      rmSync(data, { recursive: true });
      mkdirSync(data);
      const restored = await restoreBackup({ dataDir: data, from: out });
      assert.equal(restored.files, 4);
      assert.equal(restored.replacedDir, null, "an empty folder has nothing to move aside");
      assert.deepEqual(audioOf(data), audio);
      const again = await openStore({ dataDir: data, migrationsFolder: MIGRATIONS, synchronous: "NORMAL" });
      try {
        assert.deepEqual(await stateOf(again), before);
        assert.equal(await again.read((db) => getMeta(db, "pms.resyncWanted")), "1", "the PMS is asked to resync");
      } finally {
        again.close();
      }
    } finally {
      t.cleanup();
    }
  });

  test("restore over a folder moves what it held aside", async () => {
    const t = tempDir();
    try {
      const live = join(t.dir, "live");
      const store = await populated(live);
      const out = join(t.dir, "b.tar.gz");
      await createBackup({ dataDir: live, out, snapshot: (target) => snapshotDatabase(store.client, target) });
      await deposit(testContext(store), "102", { seconds: 2 }); // after the backup: gone once restored
      store.close();
      // A copy: this process's own (closed) connections would otherwise count as the folder in use.
      const data = join(t.dir, "data");
      cpSync(live, data, { recursive: true });
      const before = audioOf(data);
      const r = await restoreBackup({ dataDir: data, from: out, now: () => Date.UTC(2026, 11, 6, 10, 0, 0) });
      assert.equal(r.replacedDir, join(data, "replaced-20261206T100000Z"));
      assert.ok(existsSync(join(data, "replaced-20261206T100000Z", "bellhop.db")));
      assert.deepEqual(audioOf(join(data, "replaced-20261206T100000Z")), before, "the replaced audio is kept aside");
      assert.equal(audioOf(data).size, 3);
      const again = await openStore({ dataDir: data, migrationsFolder: MIGRATIONS, synchronous: "NORMAL" });
      try {
        const box = await mailboxOf(testContext(again), "102");
        assert.equal(box.messages.length, 1, "the message left after the backup is not in the restored box");
      } finally {
        again.close();
      }
    } finally {
      t.cleanup();
    }
  });

  test("a damaged, truncated or hostile archive is refused and the folder left as it was", async () => {
    const t = tempDir();
    try {
      const live = join(t.dir, "live");
      const store = await populated(live);
      const good = join(t.dir, "b.tar.gz");
      await createBackup({ dataDir: live, out: good, snapshot: (target) => snapshotDatabase(store.client, target) });
      store.close();
      // SQLite may checkpoint the WAL when the restore looks at the database: compare what it cannot
      // touch byte for byte, and that nothing was moved, added or left behind.
      const kept = (d: string) => new Map([...filesUnder(d)].filter(([k]) => !k.startsWith("bellhop.db")));
      const before = kept(live);
      const bytes = readFileSync(good);
      const cases: [string, Uint8Array, RegExp][] = [
        ["garbage", new TextEncoder().encode("not an archive at all, just text\n".repeat(40)), /tar|backup/],
        ["truncated", bytes.subarray(0, Math.floor(bytes.length / 2)), /cannot be read|ends in the middle/],
        ["empty", new Uint8Array(0), /ends in the middle|no bellhop-backup/],
      ];
      const evil = new TextEncoder().encode("x");
      cases.push([
        "traversal",
        gzipSync(
          Buffer.concat([
            tarHeader({ name: "voicemail/../../etc/x", type: "file", size: 1, mtime: 0, mode: 0o644 }),
            evil,
            tarPadding(1),
            tarEnd(),
          ]),
        ),
        /not a plain relative path/,
      ]);
      cases.push([
        "no manifest",
        gzipSync(
          Buffer.concat([
            tarHeader({ name: "bellhop.db", type: "file", size: 1, mtime: 0, mode: 0o644 }),
            evil,
            tarPadding(1),
            tarEnd(),
          ]),
        ),
        /no bellhop-backup\.json/,
      ]);
      for (const [name, content, why] of cases) {
        const f = join(t.dir, `${name}.tar.gz`);
        writeFileSync(f, content);
        // A fresh copy each time: the claim a failed restore made lingers in this process (store/snapshot).
        const data = join(t.dir, name);
        cpSync(live, data, { recursive: true });
        await assert.rejects(restoreBackup({ dataDir: data, from: f }), why, name);
        assert.deepEqual(kept(data), before, `${name}: the folder is unchanged`);
        assert.deepEqual(
          readdirSync(data)
            .filter((n) => !n.startsWith("bellhop.db"))
            .sort(),
          ["prompts", "voicemail"],
          `${name}: nothing moved aside or left behind`,
        );
        assert.ok(existsSync(join(data, "bellhop.db")));
      }
    } finally {
      t.cleanup();
    }
  });
});
