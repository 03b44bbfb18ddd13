import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { asc } from "drizzle-orm";
import { AppError } from "../../src/lib/errors.ts";
import { recordFromText, serializeRecord } from "../../src/pms/fias/record.ts";
import { PmsIngest } from "../../src/services/pms-ingest.ts";
import { checkInRoom } from "../../src/services/rooms.ts";
import { cancelWakeup, createWakeup, listWakeups, recordWakeupResult } from "../../src/services/wakeups.ts";
import { pmsOutbox, wakeups } from "../../src/store/schema/index.ts";
import { type TestContext, tempStore, testContext } from "../helpers/store.ts";

type Temp = Awaited<ReturnType<typeof tempStore>>;

const HOUR = 3_600_000;

function rejectsWith(code: string, pattern?: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof AppError, `expected an AppError, got ${err}`);
    assert.equal(err.code, code);
    if (pattern) assert.match(err.message, pattern);
    return true;
  };
}

describe("wake-ups", () => {
  let t: Temp;
  let ctx: TestContext;
  let ingest: PmsIngest;

  const feed = async (...texts: string[]) => {
    for (const text of texts) {
      const rec = recordFromText(text);
      ingest.receive(rec, serializeRecord(rec));
    }
    await ingest.idle();
  };
  const outbox = () => ctx.store.read((db) => db.select().from(pmsOutbox).orderBy(asc(pmsOutbox.id)));
  const rows = () => ctx.store.read((db) => db.select().from(wakeups).orderBy(asc(wakeups.id)));

  beforeEach(async () => {
    t = await tempStore();
    ctx = testContext(t.store);
    ingest = new PmsIngest(ctx, "latin1");
    await ingest.init();
    await checkInRoom(ctx, "api:frontdesk", "101", { reservation: "1", lastName: "Smith" });
  });

  afterEach(() => t.cleanup());

  describe("createWakeup and cancelWakeup", () => {
    test("creates a pending wake-up shown in hotel time", async () => {
      // The test clock is 2026-11-22 09:00 UTC = 10:00 in Rome.
      const at = ctx.clock.now() + 22 * HOUR;
      const res = await createWakeup(ctx, "api:frontdesk", { room: "101", at });
      assert.equal(res.created, true);
      assert.deepEqual(res.wakeup, {
        id: res.wakeup.id,
        room: "101",
        at: "2026-11-23T08:00:00+01:00",
        recurrence: "once",
        source: "api",
        state: "pending",
        attempts: 0,
        result: null,
      });
      const [row] = await rows();
      assert.equal(row.dueAt, at);
      assert.equal(row.fiasDate, "261123");
      assert.equal(row.fiasTime, "080000");
      assert.deepEqual(
        (await listWakeups(ctx, "101")).map((w) => w.id),
        [res.wakeup.id],
      );
    });

    test("the same room and time is the same wake-up", async () => {
      const at = ctx.clock.now() + HOUR;
      const a = await createWakeup(ctx, "api:frontdesk", { room: "101", at });
      const b = await createWakeup(ctx, "api:frontdesk", { room: "101", at, recurrence: "daily" });
      assert.equal(b.created, false);
      assert.equal(b.wakeup.id, a.wakeup.id);
      assert.equal((await rows()).length, 1);
    });

    test("a time in the past or an unknown room is refused", async () => {
      await assert.rejects(createWakeup(ctx, "api:x", { room: "101", at: ctx.clock.now() }), rejectsWith("INVALID"));
      await assert.rejects(
        createWakeup(ctx, "api:x", { room: "999", at: ctx.clock.now() + HOUR }),
        rejectsWith("NOT_FOUND", /room 999/),
      );
      assert.equal((await rows()).length, 0);
    });

    test("cancel marks it cancelled, once", async () => {
      const { wakeup } = await createWakeup(ctx, "api:x", { room: "101", at: ctx.clock.now() + HOUR });
      const v = await cancelWakeup(ctx, "api:x", wakeup.id);
      assert.equal(v.state, "cancelled");
      assert.equal((await rows())[0].state, "cancelled");
      assert.deepEqual(await listWakeups(ctx), []);
      await assert.rejects(cancelWakeup(ctx, "api:x", wakeup.id), rejectsWith("CONFLICT"));
      await assert.rejects(cancelWakeup(ctx, "api:x", 9999), rejectsWith("NOT_FOUND"));
    });
  });

  describe("recordWakeupResult", () => {
    test("twice for a PMS wake-up queues exactly one WA, echoing DA/TI as received", async () => {
      await feed("WR|RN101|DA261123|TI070000|");
      const [w] = await rows();
      assert.equal(await recordWakeupResult(ctx, w.id, "OK", 1), true);
      assert.equal(await recordWakeupResult(ctx, w.id, "OK", 1), false);
      const out = await outbox();
      assert.equal(out.length, 1);
      assert.equal(out[0].type, "WA");
      assert.equal(out[0].record, "WA|RN101|DA261123|TI070000|ASOK|");
      assert.equal(out[0].state, "pending");
      assert.equal(ctx.counters.pms, 2, "one from the WR apply, one from the WA");
      const [done] = await rows();
      assert.equal(done.state, "done");
      assert.equal(done.result, "OK");
      assert.equal(done.attempts, 1);
    });

    test("a later different outcome does not send a second WA", async () => {
      await feed("WR|RN101|DA261123|TI0700|");
      const [w] = await rows();
      await recordWakeupResult(ctx, w.id, "NR", 3);
      await recordWakeupResult(ctx, w.id, "OK", 4);
      const out = await outbox();
      assert.deepEqual(
        out.map((o) => o.record),
        ["WA|RN101|DA261123|TI0700|ASNR|"],
      );
    });

    test("a failed wake-up is marked failed with its AS code", async () => {
      await feed("WR|RN101|DA261123|TI070000|");
      const [w] = await rows();
      await recordWakeupResult(ctx, w.id, "BY", 3);
      const [failed] = await rows();
      assert.equal(failed.state, "failed");
      assert.equal(failed.result, "BY");
      assert.equal((await outbox())[0].record, "WA|RN101|DA261123|TI070000|ASBY|");
    });

    test("after a room move the WA names the new room with the original DA/TI", async () => {
      await feed("GI|RN101|G#1|GNSmith|", "WR|RN101|DA261123|TI063000|", "GC|RN202|G#1|RO101|");
      const [w] = await rows();
      assert.equal(w.room, "202");
      await recordWakeupResult(ctx, w.id, "OK", 1);
      assert.equal((await outbox())[0].record, "WA|RN202|DA261123|TI063000|ASOK|");
    });

    test("an API wake-up queues no WA", async () => {
      const { wakeup } = await createWakeup(ctx, "api:x", { room: "101", at: ctx.clock.now() + HOUR });
      assert.equal(await recordWakeupResult(ctx, wakeup.id, "OK", 1), false);
      assert.deepEqual(await outbox(), []);
      assert.equal(ctx.counters.pms, 0);
      assert.equal((await rows())[0].state, "done");
    });

    test("an unknown wake-up", async () => {
      await assert.rejects(recordWakeupResult(ctx, 4242, "OK", 1), rejectsWith("NOT_FOUND"));
    });
  });
});
