import assert from "node:assert/strict";
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, test } from "node:test";
import { findCallCharge, undecidedCallIds } from "../../src/store/call-charges.ts";
import { completeCall, findCall, insertPendingCall } from "../../src/store/call-records.ts";
import { openStore } from "../../src/store/db.ts";
import { MIGRATIONS, tempDir } from "../helpers/store.ts";

describe("migration 0008 (call_charges)", () => {
  const t = tempDir();
  afterEach(() => t.cleanup());

  test("calls completed before call charging existed are decided as not charged; pending ones are left", async () => {
    // The migrations up to 0007, as a database from before this feature has them.
    const old = join(t.dir, "migrations-0007");
    cpSync(MIGRATIONS, old, { recursive: true });
    const journalFile = join(old, "meta", "_journal.json");
    const journal = JSON.parse(readFileSync(journalFile, "utf8"));
    journal.entries = journal.entries.filter((e: { idx: number }) => e.idx < 8);
    writeFileSync(journalFile, JSON.stringify(journal));
    rmSync(join(old, "0008_call_charges.sql"));

    const data = join(t.dir, "data");
    const before = await openStore({ dataDir: data, migrationsFolder: old, synchronous: "NORMAL" });
    const facts = {
      room: "101",
      extension: "101",
      direction: "out" as const,
      number: "0049301234",
      internal: false,
      startAt: 1,
      answerAt: 2,
      talkSeconds: 60,
      outcome: 1,
      trunk: null,
    };
    const ids = await before.tx(async (tx) => {
      await insertPendingCall(tx, { link: "vs", callId: "done", hint: null }, 1);
      await insertPendingCall(tx, { link: "vs", callId: "pending", hint: null }, 1);
      const done = await findCall(tx, "vs", "done");
      const pending = await findCall(tx, "vs", "pending");
      if (!done || !pending) throw new Error("rows missing");
      await completeCall(tx, done, "done", facts, 1);
      return { done: done.id, pending: pending.id };
    });
    before.close();

    const after = await openStore({ dataDir: data, migrationsFolder: MIGRATIONS, synchronous: "NORMAL" });
    try {
      const decided = await after.read((db) => findCallCharge(db, ids.done));
      assert.deepEqual([decided?.outcome, decided?.reason], ["skipped", "before-call-charging"]);
      assert.equal(await after.read((db) => findCallCharge(db, ids.pending)), undefined);
      assert.deepEqual(await after.read((db) => undecidedCallIds(db, 0, 10)), []);
    } finally {
      after.close();
    }
  });
});
