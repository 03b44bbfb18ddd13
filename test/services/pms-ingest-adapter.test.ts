/**
 * PmsIngest knows no protocol: a toy adapter (frames "IN 101 Smith", "OUT 101", "DND 101 1", "WKP 0630 101")
 * drives the same inbox, exactly-once apply and room changes as FIAS. What a third protocol plugs in.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { asc } from "drizzle-orm";
import { encode } from "../../src/lib/charset.ts";
import { PmsIngest } from "../../src/services/pms-ingest.ts";
import { loadRoom } from "../../src/store/rooms.ts";
import { pmsInbox, wakeups } from "../../src/store/schema/index.ts";
import { type TestContext, tempStore, testContext } from "../helpers/store.ts";
import { type Toy, toy } from "../helpers/toy-pms.ts";

describe("PmsIngest with another protocol's adapter", () => {
  let t: Awaited<ReturnType<typeof tempStore>>;
  let ctx: TestContext;
  let ingest: PmsIngest<Toy>;

  async function feed(...frames: string[]) {
    for (const f of frames) {
      const raw = encode(f, "latin1");
      const parsed = toy.parse(raw);
      assert.ok(parsed.ok);
      if (parsed.ok) ingest.receive(parsed.frame, raw);
    }
    await ingest.idle();
  }

  beforeEach(async () => {
    t = await tempStore();
    ctx = testContext(t.store);
    ingest = new PmsIngest(ctx, toy);
    assert.equal(await ingest.init(), 0);
  });

  afterEach(() => t.cleanup());

  test("frames are stored raw, mapped, applied; a bad one is marked and blocks nothing", async () => {
    await feed("IN 101 Smith", "DND 101 1", "WKP 0630 101", "BOGUS 1", "IN 102 Jones", "OUT 102");
    const r101 = (await ctx.store.read((db) => loadRoom(db, "101")))?.room;
    assert.equal(r101?.occupied, true);
    assert.equal(r101?.guests[0]?.lastName, "Smith");
    assert.equal(r101?.dnd, true);
    assert.equal((await ctx.store.read((db) => loadRoom(db, "102")))?.room.occupied, false);
    const rows = await ctx.store.read((db) => db.select().from(pmsInbox).orderBy(asc(pmsInbox.seq)));
    assert.deepEqual(
      rows.map((r) => [r.type, r.raw, r.error]),
      [
        ["IN", "IN 101 Smith", null],
        ["DND", "DND 101 1", null],
        ["WKP", "WKP 0630 101", null],
        ["BOGUS", "BOGUS 1", "BOGUS is not a toy message"],
        ["IN", "IN 102 Jones", null],
        ["OUT", "OUT 102", null],
      ],
    );
    const w = await ctx.store.read((db) => db.select().from(wakeups));
    assert.equal(w.length, 1);
    assert.equal(w[0]?.fiasTime, "0630");
    assert.equal(ingest.applied, 5);
    assert.equal(ingest.failed, 1);
  });
});
