import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { asc } from "drizzle-orm";
import { parseConfig } from "../../src/config/load.ts";
import { runInboundCall } from "../../src/inbound/dispatch.ts";
import type { InboundCallInfo } from "../../src/ivr/route.ts";
import { AppError } from "../../src/lib/errors.ts";
import { memoryLogger } from "../../src/lib/logger.ts";
import { nextTimeOfDay } from "../../src/lib/time-of-day.ts";
import {
  roomForExtension,
  roomPromptLanguage,
  setHousekeepingFromPhone,
  setWakeupFromPhone,
} from "../../src/services/ivr.ts";
import { checkInRoom, defineRoom, getRoom } from "../../src/services/rooms.ts";
import { audit, pmsOutbox, wakeups } from "../../src/store/schema/index.ts";
import { type FakePrompts, fakeCall, fakePrompts, typed } from "../helpers/fake-channel.ts";
import { type TestContext, tempStore, testContext } from "../helpers/store.ts";

type Temp = Awaited<ReturnType<typeof tempStore>>;

const ROME = "Europe/Rome";
const utc = (y: number, mo: number, d: number, h: number, mi: number) => Date.UTC(y, mo - 1, d, h, mi);

describe("nextTimeOfDay", () => {
  test("later today, else tomorrow", () => {
    // 2026-11-22 10:00 in Rome (UTC+1)
    const now = utc(2026, 11, 22, 9, 0);
    assert.equal(nextTimeOfDay(now, 11, 15, ROME), utc(2026, 11, 22, 10, 15));
    assert.equal(nextTimeOfDay(now, 7, 30, ROME), utc(2026, 11, 23, 6, 30));
    assert.equal(nextTimeOfDay(now, 10, 0, ROME), utc(2026, 11, 23, 9, 0), "now itself is past");
    assert.equal(nextTimeOfDay(now, 0, 0, ROME), utc(2026, 11, 22, 23, 0));
  });

  test("across a month and a year end", () => {
    assert.equal(nextTimeOfDay(utc(2026, 12, 31, 20, 0), 6, 0, ROME), utc(2027, 1, 1, 5, 0));
  });

  test("the night the clocks go forward (Rome, 2026-03-29)", () => {
    const evening = utc(2026, 3, 28, 20, 0);
    // 07:00 is summer time already: UTC+2
    assert.equal(nextTimeOfDay(evening, 7, 0, ROME), utc(2026, 3, 29, 5, 0));
    // 02:30 does not exist that night; it rings at 03:30 summer time, as zoned-time places it
    assert.equal(nextTimeOfDay(evening, 2, 30, ROME), utc(2026, 3, 29, 1, 30));
  });

  test("the night the clocks go back (Rome, 2026-10-25): 02:50 happens twice", () => {
    // 02:40 summer time: the first 02:50 is ten minutes ahead
    assert.equal(nextTimeOfDay(utc(2026, 10, 25, 0, 40), 2, 50, ROME), utc(2026, 10, 25, 0, 50));
    // 02:40 winter time, an hour later: the second 02:50, not tomorrow
    assert.equal(nextTimeOfDay(utc(2026, 10, 25, 1, 40), 2, 50, ROME), utc(2026, 10, 25, 1, 50));
    // 02:55 winter time: both are past
    assert.equal(nextTimeOfDay(utc(2026, 10, 25, 1, 55), 2, 50, ROME), utc(2026, 10, 26, 1, 50));
  });
});

describe("ivr services", () => {
  let t: Temp;
  let ctx: TestContext;
  const outbox = () => ctx.store.read((db) => db.select().from(pmsOutbox).orderBy(asc(pmsOutbox.id)));
  const wakeupRows = () => ctx.store.read((db) => db.select().from(wakeups).orderBy(asc(wakeups.id)));
  const auditRows = () => ctx.store.read((db) => db.select().from(audit).orderBy(asc(audit.id)));

  beforeEach(async () => {
    t = await tempStore();
    ctx = testContext(t.store);
    await checkInRoom(ctx, "api:frontdesk", "101", { reservation: "1", lastName: "Weber", language: "GE" });
    await defineRoom(ctx, "api:installer", "102", { extension: "2102" });
  });

  afterEach(() => t.cleanup());

  test("roomForExtension: by extension, else a room number as dialled", async () => {
    assert.equal(await roomForExtension(ctx, "101"), "101");
    assert.equal(await roomForExtension(ctx, "2102"), "102");
    assert.equal(await roomForExtension(ctx, "102"), "102");
    assert.equal(await roomForExtension(ctx, "999"), undefined);
    assert.equal(await roomForExtension(ctx, " "), undefined);
  });

  test("roomPromptLanguage: the first guest's GL; English when vacant or unknown", async () => {
    assert.equal(await roomPromptLanguage(ctx, "101"), "de");
    assert.equal(await roomPromptLanguage(ctx, "102"), "en");
    assert.equal(await roomPromptLanguage(ctx, "999"), "en");
  });

  test("setHousekeepingFromPhone stores the status and queues RE RS + ID for the PMS", async () => {
    const view = await setHousekeepingFromPhone(ctx, "101", 3, "23", "phone:101");
    assert.equal(view.room, "101");
    assert.deepEqual({ status: view.housekeeping?.status, maid: view.housekeeping?.maid }, { status: 3, maid: "23" });
    assert.deepEqual((await getRoom(ctx, "101")).housekeeping, view.housekeeping);
    const out = await outbox();
    assert.deepEqual(
      out.map((o) => [o.type, o.record]),
      [["RE", "RE|RN101|RS3|ID23|"]],
    );
    assert.equal(ctx.counters.pms, 1);
    assert.equal((await auditRows()).at(-1)?.actor, "phone:101");
  });

  test("setHousekeepingFromPhone without a maid id: RS only", async () => {
    await setHousekeepingFromPhone(ctx, "102", 1);
    assert.deepEqual(
      (await outbox()).map((o) => o.record),
      ["RE|RN102|RS1|"],
    );
    assert.equal((await auditRows()).at(-1)?.actor, "phone:102");
  });

  test("setHousekeepingFromPhone refuses what is not a maid code or not a room", async () => {
    const code = (c: string) => (err: unknown) => err instanceof AppError && err.code === c;
    await assert.rejects(setHousekeepingFromPhone(ctx, "101", 7), code("INVALID"));
    await assert.rejects(setHousekeepingFromPhone(ctx, "101", 1, "123456789"), code("INVALID"));
    await assert.rejects(setHousekeepingFromPhone(ctx, "999", 1), code("NOT_FOUND"));
    assert.deepEqual(await outbox(), []);
  });

  test("setWakeupFromPhone: the next 07:30 hotel time, source phone", async () => {
    // The test clock is 2026-11-22 09:00 UTC = 10:00 in Rome.
    const res = await setWakeupFromPhone(ctx, "101", 7, 30, "phone:101");
    assert.equal(res.created, true);
    assert.equal(res.wakeup.at, "2026-11-23T07:30:00+01:00");
    assert.equal(res.wakeup.source, "phone");
    const [row] = await wakeupRows();
    assert.equal(row.dueAt, utc(2026, 11, 23, 6, 30));
    const later = await setWakeupFromPhone(ctx, "101", 22, 0);
    assert.equal(later.wakeup.at, "2026-11-22T22:00:00+01:00");
  });

  test("setWakeupFromPhone refuses a time that is not HH:MM", async () => {
    await assert.rejects(setWakeupFromPhone(ctx, "101", 24, 0), (e: unknown) => e instanceof AppError);
  });

  describe("runInboundCall", () => {
    const ivr = parseConfig({}).ivr;
    const info = (over: Partial<InboundCallInfo>): InboundCallInfo => ({
      diversionUsers: [],
      historyInfoUsers: [],
      assertedUsers: [],
      ...over,
    });
    const run = (call: ReturnType<typeof fakeCall>, i: InboundCallInfo, prompts: FakePrompts = call.prompts) => {
      const logger = memoryLogger();
      const done = runInboundCall(ctx, { channel: call.channel, prompts, ivr, info: i, logger });
      return { done, logger };
    };

    test("housekeeping from room 101's phone: stored, reported, in the guest's language", async () => {
      const call = fakeCall({ keys: typed("41#", { after: "housekeeping-enter", delay: 300 }) });
      const { done } = run(call, info({ requestUser: "500", fromUser: "101" }));
      assert.deepEqual(await done, {
        service: "housekeeping",
        extension: "101",
        room: "101",
        lang: "de",
        result: "set",
      });
      assert.deepEqual(call.channel.labels(), ["housekeeping-enter", "housekeeping-done"]);
      assert.ok(call.prompts.requests.every((r) => r.lang === "de"));
      assert.deepEqual(
        (await outbox()).map((o) => o.record),
        ["RE|RN101|RS4|ID1|"],
      );
      assert.equal((await auditRows()).at(-1)?.actor, "phone:101");
      assert.equal(call.channel.hungUpBy, "us");
    });

    test("wake-up from the phone with extension 2102 (P-Asserted-Identity)", async () => {
      const call = fakeCall({
        keys: [
          ...typed("0645", { after: "wakeup-enter-time", delay: 300 }),
          { after: "wakeup-confirm-menu", delay: 300, key: "1" },
        ],
      });
      const { done } = run(
        call,
        info({ requestUser: "bellhop", toUser: "501", assertedUsers: ["2102"], fromUser: "x" }),
      );
      const summary = await done;
      assert.equal(summary.result, "set");
      assert.equal(summary.room, "102");
      const [row] = await wakeupRows();
      assert.equal(row.room, "102");
      assert.equal(row.source, "phone");
      assert.equal(row.dueAt, utc(2026, 11, 23, 5, 45));
    });

    test("a phone of no room: room-unknown, hung up", async () => {
      const call = fakeCall();
      const { done } = run(call, info({ requestUser: "500", fromUser: "777" }));
      assert.equal((await done).result, "room-unknown");
      assert.deepEqual(call.channel.labels(), ["room-unknown"]);
      assert.equal(call.channel.hungUpBy, "us");
    });

    test("no service for the dialled number: service-unknown, in the room's language", async () => {
      const call = fakeCall();
      const { done } = run(call, info({ requestUser: "bellhop", fromUser: "101" }));
      assert.equal((await done).result, "service-unknown");
      assert.deepEqual(call.channel.labels(), ["service-unknown"]);
      assert.deepEqual(call.prompts.requests, [{ lang: "de", id: "service-unknown" }]);
    });

    test("the default service takes a call on any number", async () => {
      const call = fakeCall({ keys: typed("2#", { during: "housekeeping-enter" }) });
      const logger = memoryLogger();
      const summary = await runInboundCall(ctx, {
        channel: call.channel,
        prompts: call.prompts,
        ivr: { ...ivr, defaultService: "housekeeping" },
        info: info({ requestUser: "bellhop", fromUser: "102" }),
        logger,
      });
      assert.equal(summary.result, "set");
      assert.equal((await getRoom(ctx, "102")).housekeeping?.status, 2);
    });

    test("a store failure during the flow is told to the caller, never thrown", async () => {
      const call = fakeCall({ keys: typed("3#", { after: "housekeeping-enter" }) });
      const logger = memoryLogger();
      const failing = {
        ...ctx,
        store: {
          ...ctx.store,
          tx: async () => {
            throw new Error("disk I/O error");
          },
        },
      };
      const summary = await runInboundCall(failing, {
        channel: call.channel,
        prompts: call.prompts,
        ivr,
        info: info({ requestUser: "500", fromUser: "2102" }),
        logger,
      });
      assert.equal(summary.result, "failed");
      assert.deepEqual(call.channel.labels(), ["housekeeping-enter", "service-unknown"]);
      assert.equal(call.channel.hungUpBy, "us");
      assert.equal(logger.lines.filter((l) => l.level === "error").length, 1);
      assert.deepEqual(await outbox(), []);
    });

    test("a missing prompt is logged and the call still ended", async () => {
      const call = fakeCall();
      const broken = fakePrompts({ missing: ["room-unknown"] });
      const { done, logger } = run(call, info({ requestUser: "500", fromUser: "777" }), broken);
      assert.equal((await done).result, "error");
      assert.equal(call.channel.hungUpBy, "us");
      assert.equal(logger.lines.at(-1)?.level, "error");
    });
  });
});
