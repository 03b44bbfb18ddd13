import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { asc } from "drizzle-orm";
import { bulkInsert } from "../../src/store/bulk.ts";
import { insertInbox } from "../../src/store/pms-queue.ts";
import { pbxJobs, rooms, stays } from "../../src/store/schema/index.ts";
import { tempStore } from "../helpers/store.ts";

type Temp = Awaited<ReturnType<typeof tempStore>>;

describe("bulkInsert (rows as one JSON parameter)", () => {
  let t: Temp;
  beforeEach(async () => {
    t = await tempStore();
  });
  afterEach(() => t.cleanup());

  test("round-trips text, numbers, booleans, nulls, JSON columns and unicode like the query builder", async () => {
    const payload = { op: "name", name: 'Müller | 张伟 "q" \\', n: 3, nested: [1, null] };
    await t.store.tx((tx) =>
      bulkInsert(tx, pbxJobs, [
        { link: "a", op: "name", room: null, payload, nextAttemptAt: 2 ** 40, createdAt: 1, updatedAt: 1 },
      ]),
    );
    const [row] = await t.store.read((db) => db.select().from(pbxJobs));
    assert.deepEqual(row.payload, payload);
    assert.equal(row.room, null);
    assert.equal(row.nextAttemptAt, 2 ** 40);
    assert.equal(row.state, "pending", "a column left out gets its default");
    await t.store.tx((tx) =>
      bulkInsert(tx, stays, [{ room: "1", reservation: "9", sharer: true, checkedInAt: 5, firstName: "Zoë" }]),
    );
    const [s] = await t.store.read((db) => db.select().from(stays));
    assert.equal(s.sharer, true);
    assert.equal(s.active, true);
    assert.equal(s.firstName, "Zoë");
  });

  test("upserts with an ON CONFLICT clause, over more rows than one chunk", async () => {
    const many = Array.from({ length: 2500 }, (_, i) => ({ number: String(i), extension: `e${i}` }));
    await t.store.tx((tx) => bulkInsert(tx, rooms, many));
    const { sql } = await import("drizzle-orm");
    await t.store.tx((tx) =>
      bulkInsert(
        tx,
        rooms,
        [{ number: "7", extension: "seven", dnd: true }],
        sql`on conflict(number) do update set extension = excluded.extension, dnd = excluded.dnd`,
      ),
    );
    const all = await t.store.read((db) => db.select().from(rooms));
    assert.equal(all.length, 2500);
    const seven = all.find((r) => r.number === "7");
    assert.equal(seven?.extension, "seven");
    assert.equal(seven?.dnd, true);
  });

  test("insertInbox returns the sequence numbers in the order given", async () => {
    const rows = Array.from({ length: 1500 }, (_, i) => ({ type: "GI", raw: `GI|RN${i}|`, receivedAt: i }));
    const seqs = await t.store.tx((tx) => insertInbox(tx, rows));
    const { pmsInbox } = await import("../../src/store/schema/index.ts");
    const stored = await t.store.read((db) => db.select().from(pmsInbox).orderBy(asc(pmsInbox.seq)));
    assert.deepEqual(
      seqs.map((s) => stored.find((r) => r.seq === s)?.raw),
      rows.map((r) => r.raw),
    );
  });
});
