import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { asc, eq } from "drizzle-orm";
import { recordFromText, serializeRecord } from "../../src/pms/fias/record.ts";
import type { ServiceContext } from "../../src/services/context.ts";
import { PmsIngest } from "../../src/services/pms-ingest.ts";
import { getMeta } from "../../src/store/meta.ts";
import { insertInbox } from "../../src/store/pms-queue.ts";
import { loadRoom } from "../../src/store/rooms.ts";
import { audit, pbxJobs, pmsInbox, stays, wakeups } from "../../src/store/schema/index.ts";
import { type TestContext, tempStore, testContext } from "../helpers/store.ts";

type Temp = Awaited<ReturnType<typeof tempStore>>;

/** Feeds FIAS records as the link would (one socket read) and waits until they are applied. */
async function feed(ingest: PmsIngest, ...texts: string[]): Promise<void> {
  for (const text of texts) {
    const rec = recordFromText(text);
    ingest.receive(rec, serializeRecord(rec));
  }
  await ingest.idle();
}

async function room(ctx: ServiceContext, number: string) {
  const s = await ctx.store.read((db) => loadRoom(db, number));
  assert.ok(s, `room ${number} exists`);
  return s.room;
}

const inbox = (ctx: ServiceContext) => ctx.store.read((db) => db.select().from(pmsInbox).orderBy(asc(pmsInbox.seq)));
const jobs = (ctx: ServiceContext) => ctx.store.read((db) => db.select().from(pbxJobs).orderBy(asc(pbxJobs.id)));
const wakeupRows = (ctx: ServiceContext) => ctx.store.read((db) => db.select().from(wakeups).orderBy(asc(wakeups.id)));
const allStays = (ctx: ServiceContext) => ctx.store.read((db) => db.select().from(stays).orderBy(asc(stays.id)));
const activeStays = (ctx: ServiceContext) =>
  ctx.store.read((db) => db.select().from(stays).where(eq(stays.active, true)).orderBy(asc(stays.id)));
const reservations = (r: { guests: { reservation: string }[] }) => r.guests.map((g) => g.reservation);

describe("PMS records through PmsIngest", () => {
  let t: Temp;
  let ctx: TestContext;
  let ingest: PmsIngest;

  beforeEach(async () => {
    t = await tempStore();
    ctx = testContext(t.store, { config: { rooms: { extensionTemplate: "2${room}" } } });
    ingest = new PmsIngest(ctx, "latin1");
    assert.equal(await ingest.init(), 0);
  });

  afterEach(() => t.cleanup());

  describe("guests", () => {
    test("GI for a reservation still checked in elsewhere is the room move the PMS never sent", async () => {
      await feed(ingest, "GI|RN101|G#7|GNSmith|GSN|", "RE|RN101|DNY|", "WR|RN101|DA261123|TI070000|");
      // The GC moving 7 to 102 was lost; the PMS now sends a plain check-in for 102.
      await feed(ingest, "GI|RN102|G#7|GNSmith|GFAnn|GSN|");
      const from = await room(ctx, "101");
      const to = await room(ctx, "102");
      assert.equal(from.occupied, false);
      assert.deepEqual(reservations(to), ["7"]);
      assert.equal(to.guests[0].firstName, "Ann");
      assert.equal(to.dnd, true, "statuses move with the guest");
      assert.equal((await activeStays(ctx)).length, 1, "one active stay, not two");
      const w = await wakeupRows(ctx);
      assert.equal(w[0].room, "102", "the wake-up moved too");
    });

    test("the same, when both records arrive in one batch", async () => {
      await feed(ingest, "GI|RN101|G#7|GNSmith|GSN|", "GI|RN102|G#7|GNSmith|GSN|");
      assert.equal((await room(ctx, "101")).occupied, false);
      assert.deepEqual(reservations(await room(ctx, "102")), ["7"]);
      assert.equal((await activeStays(ctx)).length, 1);
    });

    test("GI checks a guest into an unknown room, created with the extension template", async () => {
      await feed(ingest, "GI|RN101|G#12345|GNSmith|GFAnn|GTMrs.|GLIT|GV3|GGA123|GA261120|GD261125|GSN|");
      const r = await room(ctx, "101");
      assert.equal(r.extension, "2101");
      assert.equal(r.occupied, true);
      assert.equal(r.classOfService, 3, "check-in default");
      assert.deepEqual(r.guests, [
        {
          reservation: "12345",
          sharer: false,
          title: "Mrs.",
          firstName: "Ann",
          lastName: "Smith",
          fullName: "Smith",
          language: "IT",
          vip: "3",
          group: "A123",
          arrival: "2026-11-20",
          departure: "2026-11-25",
        },
      ]);
      const rows = await inbox(ctx);
      assert.equal(rows.length, 1);
      assert.equal(rows[0].type, "GI");
      assert.ok(rows[0].appliedAt);
      assert.equal(rows[0].error, null);
      assert.equal(ingest.applied, 1);
    });

    test("GI on an empty room resets DND and lamp and takes CS when sent", async () => {
      await feed(ingest, "RE|RN101|DNY|MLY|");
      await feed(ingest, "GI|RN101|G#1|GNSmith|CS1|");
      const r = await room(ctx, "101");
      assert.equal(r.dnd, false);
      assert.equal(r.messageLamp, 0);
      assert.equal(r.classOfService, 1);
    });

    test("GO checks the guest out, sets the check-out COS and cancels open wake-ups", async () => {
      await feed(ingest, "GI|RN101|G#1|GNSmith|", "RE|RN101|DNY|", "WR|RN101|DA261123|TI070000|");
      await feed(ingest, "GO|RN101|G#1|GSN|");
      const r = await room(ctx, "101");
      assert.equal(r.occupied, false);
      assert.deepEqual(r.guests, []);
      assert.equal(r.dnd, false);
      assert.equal(r.classOfService, 0);
      assert.deepEqual(
        (await wakeupRows(ctx)).map((w) => w.state),
        ["cancelled"],
      );
      const s = await allStays(ctx);
      assert.equal(s.length, 1);
      assert.equal(s[0].active, false);
      assert.ok(s[0].checkedOutAt);
    });

    test("GC changes only the fields it carries", async () => {
      await feed(ingest, "GI|RN101|G#1|GNSmith|GFAnn|GLEA|GV2|GA261120|GD261125|CS2|", "RE|RN101|DNY|");
      await feed(ingest, "GC|RN101|G#1|GLIT|");
      const r = await room(ctx, "101");
      assert.equal(r.guests.length, 1);
      assert.equal(r.guests[0].language, "IT");
      assert.equal(r.guests[0].lastName, "Smith");
      assert.equal(r.guests[0].firstName, "Ann");
      assert.equal(r.guests[0].vip, "2");
      assert.equal(r.guests[0].departure, "2026-11-25");
      assert.equal(r.dnd, true);
      assert.equal(r.classOfService, 2);
      await feed(ingest, "GC|RN101|G#1|GNJones|GD261127|");
      const r2 = await room(ctx, "101");
      assert.equal(r2.guests[0].lastName, "Jones");
      assert.equal(r2.guests[0].firstName, "Ann");
      assert.equal(r2.guests[0].departure, "2026-11-27");
      assert.equal(r2.guests[0].language, "IT");
    });

    test("GC with RO moves the guest, statuses and wake-ups to the new room", async () => {
      await feed(
        ingest,
        "GI|RN101|G#1|GNSmith|GFAnn|CS2|",
        "RE|RN101|DNY|MLY|",
        "WR|RN101|DA261123|TI070000|",
        "WR|RN101|DA261124|TI063000|",
      );
      await feed(ingest, "GC|RN202|G#1|GNSmith|RO101|GSN|");
      const from = await room(ctx, "101");
      const to = await room(ctx, "202");
      assert.equal(from.occupied, false);
      assert.deepEqual(from.guests, []);
      assert.equal(to.occupied, true);
      assert.equal(to.extension, "2202");
      assert.deepEqual(
        to.guests.map((g) => [g.reservation, g.firstName, g.lastName]),
        [["1", "Ann", "Smith"]],
      );
      assert.equal(to.dnd, true);
      assert.equal(to.classOfService, 2);
      assert.equal(to.messageLamp, 1);
      const w = await wakeupRows(ctx);
      assert.deepEqual(
        w.map((x) => [x.room, x.state]),
        [
          ["202", "pending"],
          ["202", "pending"],
        ],
      );
      assert.equal((await activeStays(ctx)).length, 1);
    });

    test("GC with RO of one sharer leaves the other guest and the wake-ups in the old room", async () => {
      await feed(ingest, "GI|RN101|G#1|GNSmith|GSN|", "GI|RN101|G#2|GNJones|GSY|", "WR|RN101|DA261123|TI070000|");
      await feed(ingest, "GC|RN202|G#2|RO101|");
      assert.deepEqual(reservations(await room(ctx, "101")), ["1"]);
      assert.deepEqual(reservations(await room(ctx, "202")), ["2"]);
      assert.deepEqual(
        (await wakeupRows(ctx)).map((x) => x.room),
        ["101"],
      );
    });

    test("a GC move repeated by the PMS changes nothing", async () => {
      await feed(ingest, "GI|RN101|G#1|GNSmith|GSN|", "GI|RN101|G#2|GNJones|GSY|", "GC|RN202|G#2|RO101|");
      const before = { r101: await room(ctx, "101"), r202: await room(ctx, "202") };
      await feed(ingest, "GC|RN202|G#2|RO101|");
      assert.deepEqual(await room(ctx, "101"), before.r101);
      assert.deepEqual(await room(ctx, "202"), before.r202);
      assert.equal((await room(ctx, "202")).guests[0].lastName, "Jones");
    });

    test("a GC move of a guest the appliance never saw checked in is a check-in on the new room", async () => {
      await feed(ingest, "GI|RN101|G#1|GNSmith|GSN|");
      await feed(ingest, "GC|RN202|G#7|GNNew|RO101|", "GC|RN302|G#8|GNOther|RO301|");
      assert.deepEqual(reservations(await room(ctx, "101")), ["1"], "the guest in the old room stays");
      const r202 = await room(ctx, "202");
      assert.deepEqual(reservations(r202), ["7"]);
      assert.equal(r202.guests[0].lastName, "New");
      assert.equal(r202.classOfService, 3, "check-in default, not the vacant room's barred COS");
      assert.equal((await room(ctx, "302")).classOfService, 3);
    });

    test("a CS sent with a GC move applies to the new room", async () => {
      await feed(ingest, "GI|RN101|G#1|GNSmith|CS3|");
      await feed(ingest, "GC|RN202|G#1|RO101|CS1|");
      assert.equal((await room(ctx, "202")).classOfService, 1);
      await feed(ingest, "GC|RN202|G#1|CS2|");
      assert.equal((await room(ctx, "202")).classOfService, 2);
    });

    test("sharers: GS=Y joins, GO of one sharer removes only that reservation", async () => {
      await feed(ingest, "GI|RN101|G#1|GNSmith|GSN|", "GI|RN101|G#2|GNJones|GSY|");
      let r = await room(ctx, "101");
      assert.deepEqual(
        r.guests.map((g) => [g.reservation, g.sharer]),
        [
          ["1", false],
          ["2", true],
        ],
      );
      await feed(ingest, "GO|RN101|G#1|GSN|");
      r = await room(ctx, "101");
      assert.equal(r.occupied, true);
      assert.deepEqual(
        r.guests.map((g) => [g.reservation, g.sharer]),
        [["2", false]],
      );
      await feed(ingest, "GO|RN101|G#2|GSY|");
      r = await room(ctx, "101");
      assert.equal(r.occupied, false);
      assert.equal((await activeStays(ctx)).length, 0);
    });

    test("GO without G# checks everybody out", async () => {
      await feed(ingest, "GI|RN101|G#1|GNSmith|GSN|", "GI|RN101|G#2|GNJones|GSY|", "GO|RN101|");
      assert.equal((await room(ctx, "101")).occupied, false);
      assert.equal((await activeStays(ctx)).length, 0);
    });
  });

  describe("room equipment", () => {
    test("RE DN, CS and ML set DND, class of service and the lamp", async () => {
      await feed(ingest, "GI|RN101|G#1|GNSmith|", "RE|RN101|DNY|", "RE|RN101|CS2|", "RE|RN101|MLY|");
      let r = await room(ctx, "101");
      assert.equal(r.dnd, true);
      assert.equal(r.classOfService, 2);
      assert.equal(r.messageLamp, 1);
      await feed(ingest, "RE|RN101|CS0|DNN|MLN|");
      r = await room(ctx, "101");
      assert.equal(r.dnd, false);
      assert.equal(r.classOfService, 0);
      assert.equal(r.messageLamp, 0);
    });

    test("RE RS from the PMS sets the housekeeping status and maid", async () => {
      await feed(ingest, "RE|RN101|RS3|IDMaid5|");
      const r = await room(ctx, "101");
      assert.deepEqual(r.housekeeping, { status: 3, maid: "Maid5", at: ctx.clock.now() });
    });

    test("XL lights the lamp per message, XD counts down to zero", async () => {
      await feed(ingest, "XL|RN101|G#1|MI1|MTcall home|", "XL|RN101|G#1|MI2|MTcall office|");
      assert.equal((await room(ctx, "101")).messageLamp, 2);
      await feed(ingest, "XD|RN101|G#1|MI1|");
      assert.equal((await room(ctx, "101")).messageLamp, 1);
      await feed(ingest, "XD|RN101|G#1|MI2|", "XD|RN101|G#1|MI2|");
      assert.equal((await room(ctx, "101")).messageLamp, 0);
    });

    test("a repeated XL or XD for the same message id moves the lamp once", async () => {
      await feed(ingest, "XL|RN101|G#1|MI9|MThello|", "XL|RN101|G#1|MI9|MThello|", "XL|RN101|G#1|MI10|");
      assert.equal((await room(ctx, "101")).messageLamp, 2);
      await feed(ingest, "XD|RN101|G#1|MI9|", "XD|RN101|G#1|MI9|");
      assert.equal((await room(ctx, "101")).messageLamp, 1, "only MI10 waits");
      await feed(ingest, "XD|RN101|G#1|");
      assert.equal((await room(ctx, "101")).messageLamp, 0, "XD without an id clears all");
    });

    test("XL naming only the reservation finds the guest's room; RE MLN clears the messages", async () => {
      await feed(ingest, "GI|RN305|G#77|GNRossi|GSN|", "XL|G#77|MI1|MTcall reception|");
      assert.equal((await room(ctx, "305")).messageLamp, 1);
      await feed(ingest, "RE|RN305|MLN|", "XL|G#77|MI1|");
      assert.equal((await room(ctx, "305")).messageLamp, 1, "MI1 was cleared by MLN, so it counts again");
    });

    test("messages follow a room move and are cleared at check-out", async () => {
      await feed(ingest, "GI|RN101|G#1|GNSmith|GSN|", "XL|RN101|G#1|MI1|", "GC|RN102|RO101|G#1|");
      assert.equal((await room(ctx, "102")).messageLamp, 1);
      await feed(ingest, "XD|RN102|G#1|MI1|");
      assert.equal((await room(ctx, "102")).messageLamp, 0, "the message moved with the guest");
      await feed(ingest, "XL|RN102|G#1|MI2|", "GO|RN102|G#1|", "GI|RN102|G#2|GNNew|GSN|", "XL|RN102|G#2|MI2|");
      assert.equal((await room(ctx, "102")).messageLamp, 1, "the old guest's MI2 was cleared at check-out");
    });

    test("an invalid CS value is marked as an error and changes nothing", async () => {
      await feed(ingest, "GI|RN101|G#1|GNSmith|CS2|", "RE|RN101|CS7|", "GI|RN102|G#2|CSX|");
      const rows = await inbox(ctx);
      assert.equal(rows[0].error, null);
      assert.match(rows[1].error ?? "", /class of service "7"/);
      assert.match(rows[2].error ?? "", /class of service "X"/);
      assert.ok(rows.every((r) => r.appliedAt));
      assert.equal((await room(ctx, "101")).classOfService, 2);
      assert.equal(await ctx.store.read((db) => loadRoom(db, "102")), undefined);
      assert.equal(ingest.failed, 2);
    });

    test("an invalid DN value is an error row", async () => {
      await feed(ingest, "RE|RN101|DNX|");
      assert.match((await inbox(ctx))[0].error ?? "", /DN "X" is not a yes\/no value/);
    });
  });

  describe("wake-ups", () => {
    test("WR creates a pending wake-up due in hotel time, keeping DA/TI as sent", async () => {
      await feed(ingest, "WR|RN101|DA261123|TI070000|");
      const [w] = await wakeupRows(ctx);
      assert.equal(w.room, "101");
      assert.equal(w.state, "pending");
      assert.equal(w.source, "pms");
      assert.equal(w.dueAt, Date.UTC(2026, 10, 23, 6, 0, 0), "07:00 in Rome is 06:00 UTC in November");
      assert.equal(w.fiasDate, "261123");
      assert.equal(w.fiasTime, "070000");
      assert.equal((await room(ctx, "101")).extension, "2101", "the room is created");
    });

    test("WR in summer time and with a 4-digit TI", async () => {
      await feed(ingest, "WR|RN101|DA270615|TI0730|");
      const [w] = await wakeupRows(ctx);
      assert.equal(w.dueAt, Date.UTC(2027, 5, 15, 5, 30, 0));
      assert.equal(w.fiasTime, "0730");
    });

    test("a duplicate WR is one wake-up", async () => {
      await feed(ingest, "WR|RN101|DA261123|TI070000|", "WR|RN101|DA261123|TI070000|");
      await feed(ingest, "WR|RN101|DA261123|TI070000|");
      assert.equal((await wakeupRows(ctx)).length, 1);
    });

    test("WC cancels the wake-up at that time; WC without DA/TI cancels all", async () => {
      await feed(ingest, "WR|RN101|DA261123|TI070000|", "WR|RN101|DA261124|TI070000|", "WR|RN101|DA261125|TI070000|");
      await feed(ingest, "WC|RN101|DA261123|TI070000|");
      assert.deepEqual(
        (await wakeupRows(ctx)).map((w) => w.state),
        ["cancelled", "pending", "pending"],
      );
      await feed(ingest, "WC|RN101|");
      assert.deepEqual(
        (await wakeupRows(ctx)).map((w) => w.state),
        ["cancelled", "cancelled", "cancelled"],
      );
    });

    test("a WR with an invalid date is an error row", async () => {
      await feed(ingest, "WR|RN101|DA261340|TI070000|");
      assert.match((await inbox(ctx))[0].error ?? "", /invalid DA\/TI/);
      assert.equal((await wakeupRows(ctx)).length, 0);
    });
  });

  describe("other records", () => {
    test("NS and NE flag the night audit", async () => {
      await feed(ingest, "NS|DA261122|TI030000|");
      assert.equal(await ctx.store.read((db) => getMeta(db, "pms.nightAudit")), "1");
      await feed(ingest, "NE|DA261122|TI033000|");
      assert.equal(await ctx.store.read((db) => getMeta(db, "pms.nightAudit")), "0");
      const actions = (await ctx.store.read((db) => db.select().from(audit))).map((a) => a.action);
      assert.deepEqual(actions, ["night-audit-start", "night-audit-end"]);
    });

    test("an unknown record type is marked with an error and the next record still applies", async () => {
      await feed(ingest, "ZZ|RN101|", "GI|RN101|G#1|GNSmith|");
      const rows = await inbox(ctx);
      assert.deepEqual(
        rows.map((r) => r.type),
        ["ZZ", "GI"],
      );
      assert.match(rows[0].error ?? "", /record type ZZ is not handled/);
      assert.ok(rows[0].appliedAt);
      assert.equal(rows[1].error, null);
      assert.equal((await room(ctx, "101")).occupied, true);
      assert.equal(ingest.applied, 1);
      assert.equal(ingest.failed, 1);
    });

    test("a guest record without RN is an error row", async () => {
      await feed(ingest, "GI|G#1|GNSmith|");
      assert.match((await inbox(ctx))[0].error ?? "", /without a room number/);
    });
  });

  describe("resync", () => {
    test("DE checks out the guests the resync did not list", async () => {
      await feed(
        ingest,
        "GI|RN101|G#1|GNSmith|",
        "GI|RN102|G#2|GNJones|",
        "GI|RN103|G#3|GNBrown|",
        "GI|RN103|G#4|GNWhite|GSY|",
        "WR|RN102|DA261123|TI070000|",
      );
      await feed(ingest, "DS|DA261122|TI100000|");
      assert.equal(ingest.resyncActive, true);
      await feed(ingest, "GI|RN101|G#1|GNSmith|SF|", "GI|RN103|G#4|GNWhite|GSY|SF|", "GI|RN105|G#5|GNGreen|SF|");
      await feed(ingest, "DE|DA261122|TI100500|");
      assert.equal(ingest.resyncActive, false);
      assert.deepEqual(reservations(await room(ctx, "101")), ["1"]);
      assert.equal((await room(ctx, "102")).occupied, false);
      assert.deepEqual(
        (await room(ctx, "103")).guests.map((g) => [g.reservation, g.sharer]),
        [["4", false]],
      );
      assert.deepEqual(reservations(await room(ctx, "105")), ["5"]);
      assert.deepEqual(
        (await activeStays(ctx)).map((s) => s.reservation),
        ["1", "4", "5"],
      );
      assert.equal((await wakeupRows(ctx))[0].state, "cancelled");
      assert.equal(await ctx.store.read((db) => getMeta(db, "resync.active")), "0");
    });

    test("a real-time GI between DS and DE counts as listed", async () => {
      await feed(ingest, "GI|RN101|G#1|GNSmith|", "GI|RN102|G#2|GNJones|");
      await feed(ingest, "DS|", "GI|RN101|G#1|GNSmith|SF|");
      await feed(ingest, "GI|RN102|G#2|GNJones|", "GI|RN104|G#9|GNNew|");
      await feed(ingest, "DE|");
      assert.deepEqual(reservations(await room(ctx, "101")), ["1"]);
      assert.deepEqual(reservations(await room(ctx, "102")), ["2"]);
      assert.deepEqual(reservations(await room(ctx, "104")), ["9"]);
    });

    test("a resync with SF keeps the room statuses and does not double guests", async () => {
      await feed(ingest, "GI|RN101|G#1|GNSmith|CS2|", "RE|RN101|DNY|", "GI|RN101|G#2|GNJones|GSY|");
      await feed(ingest, "DS|", "GI|RN101|G#1|GNSmith|SF|", "GI|RN101|G#2|GNJones|GSY|SF|", "DE|");
      const r = await room(ctx, "101");
      assert.deepEqual(reservations(r), ["1", "2"]);
      assert.equal(r.dnd, true);
      assert.equal(r.classOfService, 2);
      assert.equal((await allStays(ctx)).length, 2);
      assert.equal((await activeStays(ctx)).length, 2);
    });

    test("a second identical resync changes nothing and queues no PBX jobs", async () => {
      ctx = testContext(t.store, { links: ["a"] });
      ingest = new PmsIngest(ctx, "latin1");
      await ingest.init();
      await feed(ingest, "GI|RN101|G#1|GNSmith|", "GI|RN102|G#2|GNJones|", "GI|RN103|G#3|GNBrown|");
      const resync = ["DS|", "GI|RN101|G#1|GNSmith|SF|", "GI|RN102|G#2|GNJones|SF|", "DE|"];
      await feed(ingest, ...resync);
      const afterFirst = await jobs(ctx);
      assert.equal((await room(ctx, "103")).occupied, false);
      const staysAfterFirst = await allStays(ctx);
      await feed(ingest, ...resync);
      assert.deepEqual(await jobs(ctx), afterFirst);
      assert.equal((await allStays(ctx)).length, staysAfterFirst.length);
      assert.deepEqual(reservations(await room(ctx, "101")), ["1"]);
      assert.deepEqual(reservations(await room(ctx, "102")), ["2"]);
    });

    test("a room move inside a resync lists the guest in the new room", async () => {
      await feed(ingest, "GI|RN101|G#1|GNSmith|");
      await feed(ingest, "DS|", "GC|RN202|G#1|GNSmith|RO101|SF|", "DE|");
      assert.equal((await room(ctx, "101")).occupied, false);
      assert.deepEqual(reservations(await room(ctx, "202")), ["1"]);
    });

    test("a resync interrupted by a restart resumes: DE after init still checks out", async () => {
      await feed(ingest, "GI|RN101|G#1|GNSmith|", "GI|RN102|G#2|GNJones|");
      await feed(ingest, "DS|", "GI|RN101|G#1|GNSmith|SF|");
      const again = new PmsIngest(ctx, "latin1");
      await again.init();
      assert.equal(again.resyncActive, true);
      await feed(again, "DE|");
      assert.equal((await room(ctx, "101")).occupied, true);
      assert.equal((await room(ctx, "102")).occupied, false);
    });
  });

  describe("durability and idempotency", () => {
    test("rows stored but not applied before a crash are applied exactly once at init", async () => {
      await t.store.tx((tx) =>
        insertInbox(tx, [
          { type: "GI", raw: "GI|RN101|G#1|GNSmith|", receivedAt: ctx.clock.now() },
          { type: "GI", raw: "GI|RN101|G#2|GNJones|GSY|", receivedAt: ctx.clock.now() },
          { type: "XL", raw: "XL|RN101|G#1|MI1|MThi|", receivedAt: ctx.clock.now() },
        ]),
      );
      const fresh = new PmsIngest(ctx, "latin1");
      assert.equal(await fresh.init(), 3);
      assert.equal(fresh.applied, 3);
      const r = await room(ctx, "101");
      assert.deepEqual(reservations(r), ["1", "2"]);
      assert.equal(r.messageLamp, 1);
      assert.ok((await inbox(ctx)).every((row) => row.appliedAt !== null && row.error === null));

      assert.equal(await fresh.init(), 0);
      assert.equal(await new PmsIngest(ctx, "latin1").init(), 0);
      assert.equal((await room(ctx, "101")).messageLamp, 1);
      assert.equal((await allStays(ctx)).length, 2);
    });

    test("a stored row that is not a valid record is marked with the reason at init", async () => {
      await t.store.tx((tx) =>
        insertInbox(tx, [
          { type: "G", raw: "G", receivedAt: ctx.clock.now() },
          { type: "GI", raw: "GI|RN101|G#1|", receivedAt: ctx.clock.now() },
        ]),
      );
      assert.equal(await new PmsIngest(ctx, "latin1").init(), 2);
      const rows = await inbox(ctx);
      assert.match(rows[0].error ?? "", /shorter/);
      assert.equal(rows[1].error, null);
      assert.equal((await room(ctx, "101")).occupied, true);
    });

    test("init replays stored rows in the charset of the link", async () => {
      const bytes = Uint8Array.of(
        ...new TextEncoder().encode("GI|RN101|G#1|GNM"),
        0x81,
        ...new TextEncoder().encode("ller|"),
      );
      const raw = String.fromCharCode(...bytes);
      await t.store.tx((tx) => insertInbox(tx, [{ type: "GI", raw, receivedAt: ctx.clock.now() }]));
      assert.equal(await new PmsIngest(ctx, "cp850").init(), 1);
      assert.equal((await room(ctx, "101")).guests[0].lastName, "Müller");
    });

    test("records received again or replayed are not doubled", async () => {
      const records = [
        "GI|RN101|G#1|GNSmith|",
        "GI|RN101|G#2|GNJones|GSY|",
        "RE|RN101|DNY|",
        "WR|RN101|DA261123|TI070000|",
      ];
      await feed(ingest, ...records);
      const before = { stays: await allStays(ctx), room: await room(ctx, "101"), wakeups: await wakeupRows(ctx) };
      assert.equal(before.stays.length, 2);
      await feed(ingest, ...records);
      await t.store.tx((tx) => tx.update(pmsInbox).set({ appliedAt: null, error: null }));
      assert.equal(await new PmsIngest(ctx, "latin1").init(), 8);
      assert.deepEqual(await allStays(ctx), before.stays);
      assert.deepEqual(await room(ctx, "101"), before.room);
      assert.deepEqual(await wakeupRows(ctx), before.wakeups);
    });

    test("a replayed room move ends where the first one did", async () => {
      const records = ["GI|RN101|G#1|GNSmith|", "GI|RN101|G#2|GNJones|GSY|", "GC|RN202|G#2|RO101|"];
      await feed(ingest, ...records);
      const before = { active: await activeStays(ctx), r101: await room(ctx, "101"), r202: await room(ctx, "202") };
      await t.store.tx((tx) => tx.update(pmsInbox).set({ appliedAt: null, error: null }));
      assert.equal(await new PmsIngest(ctx, "latin1").init(), 3);
      assert.deepEqual(
        (await activeStays(ctx)).map((s) => [s.room, s.reservation]),
        before.active.map((s) => [s.room, s.reservation]),
      );
      assert.deepEqual(await room(ctx, "101"), before.r101);
      assert.deepEqual(await room(ctx, "202"), before.r202);
    });
  });

  describe("PBX jobs", () => {
    beforeEach(async () => {
      ctx = testContext(t.store, { links: ["a", "b"], config: { rooms: { extensionTemplate: "2${room}" } } });
      ingest = new PmsIngest(ctx, "latin1");
      await ingest.init();
    });

    test("every change queues the same jobs for every link, committed with the room", async () => {
      await feed(ingest, "GI|RN101|G#1|GNSmith|GFAnn|");
      const rows = await jobs(ctx);
      const perLink = (link: string) => rows.filter((j) => j.link === link);
      assert.deepEqual(
        perLink("a").map((j) => j.op),
        ["checkin", "cos"],
      );
      assert.deepEqual(
        perLink("b").map((j) => j.op),
        ["checkin", "cos"],
      );
      assert.deepEqual(
        perLink("a").map((j) => j.payload),
        perLink("b").map((j) => j.payload),
      );
      assert.ok(rows.every((j) => j.room === "101" && j.state === "pending" && j.attempts === 0));
      const checkin = rows.find((j) => j.op === "checkin");
      assert.ok(checkin);
      assert.equal((checkin.payload as { name: string }).name, "Ann Smith 2101", "the check-in carries the name");
      const stored = await t.store.read((db) => loadRoom(db, "101"));
      assert.ok(stored?.room.occupied);
      assert.equal(ctx.counters.pbx, 1);

      await feed(ingest, "RE|RN101|DNY|");
      const dnd = (await jobs(ctx)).filter((j) => j.op === "dnd");
      assert.deepEqual(
        dnd.map((j) => [j.link, j.payload]),
        [
          ["a", { op: "dnd", room: "101", extension: "2101", dnd: true }],
          ["b", { op: "dnd", room: "101", extension: "2101", dnd: true }],
        ],
      );
    });

    test("a record that changes nothing queues nothing", async () => {
      await feed(ingest, "GI|RN101|G#1|GNSmith|");
      const n = (await jobs(ctx)).length;
      await feed(ingest, "GI|RN101|G#1|GNSmith|", "RE|RN101|DNN|", "GC|RN101|G#1|GTMr.|");
      assert.equal((await jobs(ctx)).length, n);
    });

    test("jobs of a batch that is rolled back are not queued twice", async () => {
      await feed(ingest, "GI|RN101|G#1|GNSmith|", "ZZ|RN101|", "GO|RN102|G#7|");
      const rows = await jobs(ctx);
      const room101 = rows.filter((j) => j.room === "101");
      assert.deepEqual(
        room101.map((j) => `${j.link}:${j.op}`),
        ["a:checkin", "a:cos", "b:checkin", "b:cos"],
      );
      const room102 = rows.filter((j) => j.room === "102");
      assert.equal(room102.length, 2, "one name op per link for the room the GO created");
    });

    test("a failed record leaves no jobs behind", async () => {
      await feed(ingest, "GI|RN101|G#1|GNSmith|CS9|");
      assert.deepEqual(await jobs(ctx), []);
      assert.equal(await t.store.read((db) => loadRoom(db, "101")), undefined);
    });

    test("a room move queues the check-out of the old room and the check-in of the new one", async () => {
      await feed(ingest, "GI|RN101|G#1|GNSmith|");
      const n = (await jobs(ctx)).length;
      await feed(ingest, "GC|RN202|G#1|RO101|");
      const moved = (await jobs(ctx)).slice(n).filter((j) => j.link === "a");
      assert.deepEqual(
        moved.map((j) => `${j.room}:${j.op}`),
        ["101:checkout", "101:voicemail-cleanup", "101:cos", "202:checkin", "202:cos"],
      );
    });
  });
});
