import assert from "node:assert/strict";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { eq } from "drizzle-orm";
import { openStore } from "../../src/store/db.ts";
import { wakeups } from "../../src/store/schema/index.ts";
import { wakeupHistory } from "../../src/store/wakeup-history.ts";
import {
  cancelOpenWakeups,
  claimWakeup,
  insertWakeup,
  moveOpenWakeups,
  type NewWakeup,
  pendingWakeups,
  rescheduleWakeup,
  resetInterruptedCalls,
  updateWakeup,
} from "../../src/store/wakeups.ts";
import { MIGRATIONS, tempDir, tempStore } from "../helpers/store.ts";

type Temp = Awaited<ReturnType<typeof tempStore>>;

const T = Date.UTC(2026, 10, 23, 6, 0);
const wake = (room: string, dueAt = T, more: Partial<NewWakeup> = {}): NewWakeup => ({
  room,
  dueAt,
  fiasDate: "261123",
  fiasTime: "070000",
  recurrence: "once",
  source: "pms",
  ...more,
});

describe("store/wakeups", () => {
  let t: Temp;
  beforeEach(async () => {
    t = await tempStore();
  });
  afterEach(() => t.cleanup());

  const history = async (id: number) => (await t.store.read((db) => wakeupHistory(db, id))).map((e) => e.event);

  test("insert: the next attempt is the due time; the same room and time is the same wake-up", async () => {
    const a = await t.store.tx((tx) =>
      insertWakeup(tx, wake("101", T, { recurrence: "weekdays", weekdays: [1, 5], until: "2026-12-01" }), 1, {
        by: "api:desk",
      }),
    );
    assert.equal(a.created, true);
    assert.equal(a.row.nextAttemptAt, T);
    assert.deepEqual(a.row.weekdays, [1, 5]);
    assert.equal(a.row.until, "2026-12-01");
    assert.equal(a.row.untilDeparture, false);
    assert.equal(a.row.snoozes, 0);
    const b = await t.store.tx((tx) => insertWakeup(tx, wake("101"), 2));
    assert.equal(b.created, false);
    assert.equal(b.row.id, a.row.id);
    const h = await t.store.read((db) => wakeupHistory(db, a.row.id));
    assert.deepEqual(
      h.map((e) => [e.event, e.at, e.detail]),
      [["scheduled", 1, { source: "pms", by: "api:desk" }]],
    );
  });

  test("claim and reschedule only from the state the scheduler expects", async () => {
    const { row } = await t.store.tx((tx) => insertWakeup(tx, wake("101"), 1));
    const plan = { attempts: 1, tries: 1, snoozes: 0, nextAttemptAt: T + 5 * 60_000, pendingResult: null };
    assert.equal(await t.store.tx((tx) => rescheduleWakeup(tx, row.id, plan, 2)), false, "not calling");
    assert.equal((await t.store.tx((tx) => claimWakeup(tx, row.id, 2)))?.state, "calling");
    assert.equal(await t.store.tx((tx) => claimWakeup(tx, row.id, 2)), undefined, "already calling");
    assert.equal(await t.store.tx((tx) => rescheduleWakeup(tx, row.id, plan, 3)), true);
    const [back] = await t.store.read((db) => db.select().from(wakeups).where(eq(wakeups.id, row.id)));
    assert.equal(back.state, "pending");
    assert.equal(back.nextAttemptAt, T + 5 * 60_000);
    assert.equal(back.tries, 1);
    await t.store.tx((tx) => claimWakeup(tx, row.id, 4));
    await t.store.tx((tx) => updateWakeup(tx, row.id, { state: "cancelled" }, 5));
    assert.equal(await t.store.tx((tx) => rescheduleWakeup(tx, row.id, plan, 6)), false, "cancelled meanwhile");
    assert.deepEqual(await history(row.id), ["scheduled", "cancelled"]);
  });

  test("pending wake-ups come in call order: next attempt, then id", async () => {
    const a = (await t.store.tx((tx) => insertWakeup(tx, wake("101", T), 1))).row;
    const b = (await t.store.tx((tx) => insertWakeup(tx, wake("102", T + 60_000), 1))).row;
    const c = (await t.store.tx((tx) => insertWakeup(tx, wake("103", T + 60_000), 1))).row;
    await t.store.tx((tx) =>
      tx
        .update(wakeups)
        .set({ nextAttemptAt: T + 120_000 })
        .where(eq(wakeups.id, a.id)),
    );
    assert.deepEqual(
      (await t.store.read((db) => pendingWakeups(db))).map((w) => w.id),
      [b.id, c.id, a.id],
    );
  });

  test("interrupted calls, moves and cancellations are in the history", async () => {
    const a = (await t.store.tx((tx) => insertWakeup(tx, wake("101", T), 1))).row;
    const b = (await t.store.tx((tx) => insertWakeup(tx, wake("101", T + 60_000), 1))).row;
    await t.store.tx((tx) => claimWakeup(tx, a.id, 2));
    assert.equal(await t.store.tx((tx) => resetInterruptedCalls(tx, 3)), 1);
    assert.equal(await t.store.tx((tx) => moveOpenWakeups(tx, "101", "202", 4)), 2);
    assert.equal(await t.store.tx((tx) => cancelOpenWakeups(tx, "202", 5)), 2);
    assert.deepEqual(await history(a.id), ["scheduled", "interrupted", "moved", "cancelled"]);
    assert.deepEqual(await history(b.id), ["scheduled", "moved", "cancelled"]);
    const h = await t.store.read((db) => wakeupHistory(db, a.id));
    assert.equal(h[1].attempt, 1);
    assert.deepEqual(h[2].detail, { from: "101", to: "202" });
    const room = await t.store.read((db) => wakeupHistory(db, { room: "202" }));
    assert.deepEqual(
      room.map((e) => [e.wakeupId, e.event]),
      [
        [a.id, "scheduled"],
        [b.id, "scheduled"],
        [a.id, "interrupted"],
        [a.id, "moved"],
        [b.id, "moved"],
        [a.id, "cancelled"],
        [b.id, "cancelled"],
      ],
    );
    assert.deepEqual(await t.store.read((db) => wakeupHistory(db, { room: "101" })), []);
  });
});

describe("migration 0002_wakeup_history", () => {
  test("a database with wake-ups from before keeps them: next attempt = due time, retries counted so far", async () => {
    const d = tempDir();
    try {
      // The migrations as they were before this one.
      const old = join(d.dir, "migrations");
      mkdirSync(join(old, "meta"), { recursive: true });
      for (const f of ["0000_init.sql", "0001_pms_messages.sql"]) cpSync(join(MIGRATIONS, f), join(old, f));
      const journal = JSON.parse(readFileSync(join(MIGRATIONS, "meta/_journal.json"), "utf8"));
      assert.equal(journal.entries[2].tag, "0002_wakeup_history");
      journal.entries = journal.entries.slice(0, 2);
      writeFileSync(join(old, "meta/_journal.json"), JSON.stringify(journal));
      const before = await openStore({ dataDir: join(d.dir, "data"), migrationsFolder: old });
      await before.client.execute(
        "INSERT INTO wakeups (room, due_at, fias_date, fias_time, source, state, attempts, created_at, updated_at) " +
          `VALUES ('101', ${T}, '261123', '070000', 'pms', 'pending', 1, 1, 1)`,
      );
      before.close();

      const after = await openStore({ dataDir: join(d.dir, "data"), migrationsFolder: MIGRATIONS });
      try {
        const [w] = await after.read((db) => db.select().from(wakeups));
        assert.equal(w.nextAttemptAt, T);
        assert.equal(w.tries, 1);
        assert.equal(w.snoozes, 0);
        assert.equal(w.recurrence, "once");
        assert.equal(w.weekdays, null);
        assert.equal(w.untilDeparture, false);
        assert.equal(w.pendingResult, null);
        assert.deepEqual(await after.read((db) => wakeupHistory(db, w.id)), []);
      } finally {
        after.close();
      }
    } finally {
      d.cleanup();
    }
  });
});
