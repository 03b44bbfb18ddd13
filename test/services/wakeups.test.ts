import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { asc, eq } from "drizzle-orm";
import { AppError } from "../../src/lib/errors.ts";
import { recordFromText, serializeRecord } from "../../src/pms/fias/record.ts";
import { PmsIngest } from "../../src/services/pms-ingest.ts";
import { checkInRoom } from "../../src/services/rooms.ts";
import {
  cancelWakeup,
  createWakeup,
  getWakeupDetail,
  hasVipGuest,
  listWakeups,
  recordWakeupResult,
} from "../../src/services/wakeups.ts";
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
        weekdays: null,
        until: null,
        source: "api",
        state: "pending",
        attempts: 0,
        snoozes: 0,
        nextAttemptAt: "2026-11-23T08:00:00+01:00",
        waitingForPort: false,
        escalating: false,
        result: null,
      });
      assert.equal(ctx.counters.wakeups, 1, "the scheduler is told");
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
      assert.equal(ctx.counters.wakeups, 1, "nothing new to tell the scheduler");
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
      assert.equal(ctx.counters.wakeups, 2);
      const detail = await getWakeupDetail(ctx, wakeup.id);
      assert.deepEqual(
        detail.history.map((e) => [e.event, e.detail]),
        [
          ["scheduled", { source: "api", by: "api:x" }],
          ["cancelled", { by: "api:x" }],
        ],
      );
      assert.equal(detail.history[0].at, "2026-11-22T10:00:00+01:00");
    });

    test("weekdays: the first call is on the first listed day from the given date on", async () => {
      // Mon 23 Nov 2026, 08:00 in Rome; Saturdays and Sundays only.
      const at = Date.UTC(2026, 10, 23, 7, 0);
      const res = await createWakeup(ctx, "api:x", { room: "101", at, recurrence: "weekdays", weekdays: [7, 6, 6] });
      assert.equal(res.wakeup.at, "2026-11-28T08:00:00+01:00");
      assert.deepEqual(res.wakeup.weekdays, [6, 7]);
      const [row] = await rows();
      assert.equal(row.fiasDate, "261128");
      assert.equal(row.fiasTime, "080000");
      const monday = await createWakeup(ctx, "api:x", { room: "101", at, recurrence: "weekdays", weekdays: [1] });
      assert.equal(monday.wakeup.at, "2026-11-23T08:00:00+01:00");
    });

    test("until: a date or the departure; refused where it makes no sense", async () => {
      const at = ctx.clock.now() + 22 * HOUR; // Mon 23 Nov
      const bad = async (input: Partial<Parameters<typeof createWakeup>[2]>, pattern: RegExp) =>
        assert.rejects(createWakeup(ctx, "api:x", { room: "101", at, ...input }), rejectsWith("INVALID", pattern));
      await bad({ recurrence: "weekdays" }, /^weekdays: at least one day/);
      await bad({ recurrence: "weekdays", weekdays: [0] }, /^weekdays: 0 is not a day/);
      await bad({ recurrence: "daily", weekdays: [1] }, /^weekdays: only for/);
      await bad({ until: "2026-11-30" }, /^until: only for a recurring/);
      await bad({ recurrence: "daily", until: "2026-02-30" }, /^until: expected "departure" or a date/);
      await bad(
        { recurrence: "daily", until: "2026-11-22" },
        /^until: 2026-11-22 is before the first wake-up \(2026-11-23\)/,
      );
      await bad({ recurrence: "daily", until: "departure" }, /^until: room 101 has no guest with a departure date/);
      assert.equal((await rows()).length, 0);

      const d = await createWakeup(ctx, "api:x", { room: "101", at, recurrence: "daily", until: "2026-11-23" });
      assert.equal(d.wakeup.until, "2026-11-23");
      await checkInRoom(ctx, "api:x", "101", { reservation: "1", departure: "2026-11-22" });
      await bad(
        { recurrence: "daily", until: "departure", at: at + HOUR },
        /^until: the departure \(2026-11-22\) is before/,
      );
      await checkInRoom(ctx, "api:x", "101", { reservation: "1", departure: "2026-11-26" });
      const dep = await createWakeup(ctx, "api:x", {
        room: "101",
        at: at + HOUR,
        recurrence: "daily",
        until: "departure",
      });
      assert.equal(dep.wakeup.until, "departure");
      const row = (await rows()).find((r) => r.id === dep.wakeup.id);
      assert.equal(row?.untilDeparture, true);
      assert.equal(row?.until, null);
    });
  });

  describe("listWakeups and getWakeupDetail", () => {
    test("open ones in call order with the queue flag; ended ones by state, latest due first", async () => {
      const a = await createWakeup(ctx, "api:x", { room: "101", at: ctx.clock.now() + 2 * HOUR });
      const b = await createWakeup(ctx, "api:x", { room: "101", at: ctx.clock.now() + HOUR });
      const c = await createWakeup(ctx, "api:x", { room: "101", at: ctx.clock.now() + 3 * HOUR });
      // a's retry is planned before b is due.
      await ctx.store.tx((tx) =>
        tx
          .update(wakeups)
          .set({ nextAttemptAt: ctx.clock.now() + 30 * 60_000, attempts: 1 })
          .where(eq(wakeups.id, a.wakeup.id)),
      );
      assert.deepEqual(
        (await listWakeups(ctx)).map((w) => w.id),
        [a.wakeup.id, b.wakeup.id, c.wakeup.id],
      );
      ctx.clock.advance(HOUR);
      const open = await listWakeups(ctx, { state: "open" });
      assert.deepEqual(
        open.map((w) => [w.id, w.waitingForPort]),
        [
          [a.wakeup.id, true],
          [b.wakeup.id, true],
          [c.wakeup.id, false],
        ],
      );
      assert.equal(open[0].nextAttemptAt, "2026-11-22T10:30:00+01:00");

      await recordWakeupResult(ctx, a.wakeup.id, "OK", 2);
      await recordWakeupResult(ctx, b.wakeup.id, "NR", 3);
      await cancelWakeup(ctx, "api:x", c.wakeup.id);
      assert.deepEqual(await listWakeups(ctx), []);
      const done = await listWakeups(ctx, { state: "done" });
      assert.deepEqual(
        done.map((w) => [w.id, w.result, w.nextAttemptAt, w.waitingForPort]),
        [[a.wakeup.id, "OK", null, false]],
      );
      assert.deepEqual(
        (await listWakeups(ctx, { state: "failed" })).map((w) => w.id),
        [b.wakeup.id],
      );
      assert.deepEqual(
        (await listWakeups(ctx, { state: "all" })).map((w) => w.id),
        [c.wakeup.id, a.wakeup.id, b.wakeup.id],
      );
      assert.deepEqual(await listWakeups(ctx, { state: "all", since: ctx.clock.now() + 3 * HOUR }), []);
      assert.equal((await listWakeups(ctx, { state: "all", limit: 1 })).length, 1);
      assert.deepEqual(await listWakeups(ctx, { state: "all", room: "102" }), []);

      const detail = await getWakeupDetail(ctx, a.wakeup.id);
      assert.equal(detail.state, "done");
      assert.deepEqual(
        detail.history.map((e) => e.event),
        ["scheduled", "reported"],
      );
      assert.deepEqual(detail.history[1].detail, { result: "OK", wa: false });
      await assert.rejects(getWakeupDetail(ctx, 4242), rejectsWith("NOT_FOUND"));
    });
  });

  describe("the scheduler is told about PMS wake-ups", () => {
    test("WR and WC (one, all) call wakeupsChanged; a repeated WR does not", async () => {
      await feed("WR|RN101|DA261123|TI070000|");
      assert.equal(ctx.counters.wakeups, 1);
      await feed("WR|RN101|DA261123|TI070000|");
      assert.equal(ctx.counters.wakeups, 1);
      await feed("WR|RN101|DA261124|TI070000|", "WC|RN101|DA261123|TI070000|");
      assert.equal(ctx.counters.wakeups, 3);
      await feed("WC|RN101|");
      assert.equal(ctx.counters.wakeups, 4);
      await feed("WC|RN101|");
      assert.equal(ctx.counters.wakeups, 4, "nothing left to cancel");
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

    test("a cancelled wake-up is not reported", async () => {
      await feed("WR|RN101|DA261123|TI070000|", "WC|RN101|DA261123|TI070000|");
      const [w] = await rows();
      assert.equal(await recordWakeupResult(ctx, w.id, "NR", 1), false);
      assert.deepEqual(await outbox(), []);
      assert.equal((await rows())[0].state, "cancelled");
    });

    test("an unknown wake-up", async () => {
      await assert.rejects(recordWakeupResult(ctx, 4242, "OK", 1), rejectsWith("NOT_FOUND"));
    });
  });
});

describe("hasVipGuest", () => {
  test("GV empty, 0 or N (rows stored before that meant no VIP) is no VIP; any level is", () => {
    assert.equal(hasVipGuest([{ vip: "" }, { vip: "0" }, { vip: "N" }, { vip: " n " }]), false);
    assert.equal(hasVipGuest([{ vip: "N" }, { vip: "2" }]), true);
    assert.equal(hasVipGuest([]), false);
  });
});
