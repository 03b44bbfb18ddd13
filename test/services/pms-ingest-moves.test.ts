/**
 * Room moves from a PMS without a move message (Mitel): a check-out and a check-in of the same
 * guest name within the move window become one move, so the wake-up follows the guest. The held
 * check-out's frame stays unapplied until then, so a crash inside the window loses nothing.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { MoveWindow } from "../../src/domain/move-window.ts";
import { encode } from "../../src/lib/charset.ts";
import { PmsIngest } from "../../src/services/pms-ingest.ts";
import { loadRoom } from "../../src/store/rooms.ts";
import { pmsInbox } from "../../src/store/schema/index.ts";
import { openWakeups } from "../../src/store/wakeups.ts";
import { type TestContext, tempStore, testContext } from "../helpers/store.ts";
import { type Toy, toy } from "../helpers/toy-pms.ts";

describe("PmsIngest with a move window", () => {
  let t: Awaited<ReturnType<typeof tempStore>>;
  let ctx: TestContext;
  let ingest: PmsIngest<Toy>;

  const start = async () => {
    ingest = new PmsIngest(ctx, toy, { moveWindow: new MoveWindow({ windowMs: 10_000 }) });
    return ingest.init();
  };

  async function feed(...frames: string[]) {
    for (const f of frames) {
      const raw = encode(f, "latin1");
      const parsed = toy.parse(raw);
      assert.ok(parsed.ok);
      if (parsed.ok) ingest.receive(parsed.frame, raw);
    }
    await ingest.idle();
  }
  const room = async (n: string) => (await ctx.store.read((db) => loadRoom(db, n)))?.room;
  const unapplied = async () =>
    (await ctx.store.read((db) => db.select().from(pmsInbox))).filter((r) => r.appliedAt === null).map((r) => r.raw);

  beforeEach(async () => {
    t = await tempStore();
    ctx = testContext(t.store);
    await start();
  });

  afterEach(() => {
    ingest.stop();
    t.cleanup();
  });

  test("check-out then check-in of the same name within the window: one move, the wake-up follows", async () => {
    await feed("IN 101 Smith", "WKP 0630 101");
    await feed("OUT 101");
    assert.equal((await room("101"))?.occupied, true, "the check-out is held");
    assert.deepEqual(await unapplied(), ["OUT 101"]);
    ctx.clock.advance(3000);
    await feed("IN 205 Smith");
    assert.equal((await room("101"))?.occupied, false);
    assert.equal((await room("205"))?.guests[0]?.lastName, "Smith");
    assert.equal((await ctx.store.read((db) => openWakeups(db, "205"))).length, 1);
    assert.deepEqual(await ctx.store.read((db) => openWakeups(db, "101")), []);
    assert.deepEqual(await unapplied(), []);
  });

  test("a check-in without a name waits for its NAM; the pair is a move", async () => {
    await feed("IN 101 Smith", "WKP 0630 101", "OUT 101", "IN 205", "NAM 205 Smith");
    assert.equal((await room("205"))?.guests[0]?.lastName, "Smith");
    assert.equal((await ctx.store.read((db) => openWakeups(db, "205"))).length, 1);
    assert.equal(ingest.holding, 0);
  });

  test("no check-in follows: the check-out applies when the window ends", async () => {
    await feed("IN 101 Smith", "WKP 0630 101", "OUT 101");
    ctx.clock.advance(9_999);
    await ingest.idle();
    assert.equal((await room("101"))?.occupied, true);
    ctx.clock.advance(1);
    await ingest.idle();
    await new Promise((r) => setTimeout(r, 20));
    await ingest.idle();
    assert.equal((await room("101"))?.occupied, false);
    assert.deepEqual(await ctx.store.read((db) => openWakeups(db, "101")), []);
    assert.deepEqual(await unapplied(), []);
  });

  test("another guest's check-in is no move: both apply as sent", async () => {
    await feed("IN 101 Smith", "OUT 101", "IN 205 Jones");
    assert.equal((await room("205"))?.guests[0]?.lastName, "Jones");
    ctx.clock.advance(10_000);
    await new Promise((r) => setTimeout(r, 20));
    await ingest.idle();
    assert.equal((await room("101"))?.occupied, false);
  });

  test("a restart inside the window: the held check-out is replayed and still pairs", async () => {
    await feed("IN 101 Smith", "WKP 0630 101", "OUT 101");
    ingest.stop();
    assert.equal(await start(), 1, "the held frame is replayed");
    await feed("IN 205 Smith");
    assert.equal((await room("101"))?.occupied, false);
    assert.equal((await ctx.store.read((db) => openWakeups(db, "205"))).length, 1);
    assert.deepEqual(await unapplied(), []);
  });
});
