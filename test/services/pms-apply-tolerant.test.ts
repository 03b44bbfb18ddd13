/**
 * Records as PMSs in the field send them (issue 9): yes/no as 1/0 or T/F, GV N for "no VIP", names as
 * "Last, First", wake-ups with a time and no date. Fed through PmsIngest like the link does.
 */
import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import { asc } from "drizzle-orm";
import { memoryLogger } from "../../src/lib/logger.ts";
import { recordFromText, serializeRecord } from "../../src/pms/fias/record.ts";
import { PmsIngest } from "../../src/services/pms-ingest.ts";
import { recordWakeupResult } from "../../src/services/wakeups.ts";
import { loadRoom } from "../../src/store/rooms.ts";
import { pbxJobs, pmsInbox, pmsOutbox, wakeups } from "../../src/store/schema/index.ts";
import { type TestContext, tempStore, testContext } from "../helpers/store.ts";

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

/** Clock: 2026-11-22 10:00 in Rome (09:00 UTC). */
async function setup(config: unknown = {}) {
  const t = await tempStore();
  cleanup = t.cleanup;
  const ctx: TestContext = testContext(t.store, { links: ["pbx1"], config });
  const logger = memoryLogger();
  ctx.logger = logger;
  const ingest = new PmsIngest(ctx, "latin1");
  await ingest.init();
  const feed = async (...texts: string[]) => {
    for (const text of texts) {
      const rec = recordFromText(text);
      ingest.receive(rec, serializeRecord(rec));
    }
    await ingest.idle();
  };
  const room = async (n: string) => {
    const r = await ctx.store.read((db) => loadRoom(db, n));
    assert.ok(r, `room ${n}`);
    return r.room;
  };
  const names = async () =>
    (await ctx.store.read((db) => db.select().from(pbxJobs).orderBy(asc(pbxJobs.id))))
      .map((j) => (j.payload as { name?: string }).name)
      .filter((n) => n !== undefined);
  const inbox = () => ctx.store.read((db) => db.select().from(pmsInbox).orderBy(asc(pmsInbox.seq)));
  const wakes = () => ctx.store.read((db) => db.select().from(wakeups).orderBy(asc(wakeups.id)));
  return { ctx, logger, ingest, feed, room, names, inbox, wakes };
}

const UTC = (mo: number, d: number, h: number, mi = 0, s = 0) => Date.UTC(2026, mo - 1, d, h, mi, s);

describe("yes/no fields", () => {
  test("RE DN/ML take Y/N, 1/0, T/F, YES/NO in any case", async () => {
    const h = await setup();
    await h.feed("RE|RN101|DN1|ML1|");
    assert.deepEqual([(await h.room("101")).dnd, (await h.room("101")).messageLamp], [true, 1]);
    await h.feed("RE|RN101|DNf|MLno|");
    assert.deepEqual([(await h.room("101")).dnd, (await h.room("101")).messageLamp], [false, 0]);
    await h.feed("RE|RN101|DN TRUE |MLT|");
    assert.deepEqual([(await h.room("101")).dnd, (await h.room("101")).messageLamp], [true, 1]);
    assert.ok((await h.inbox()).every((r) => r.error === null));
  });

  test("an empty DN or ML carries no value: nothing changes", async () => {
    const h = await setup();
    await h.feed("RE|RN101|DNY|MLY|", "RE|RN101|DN|ML|CS2|");
    const r = await h.room("101");
    assert.deepEqual([r.dnd, r.messageLamp, r.classOfService], [true, 1, 2]);
  });

  test("anything else is rejected with the reason, logged once with the frame", async () => {
    const h = await setup();
    await h.feed("RE|RN101|DNX|", "GI|RN102|G#1|GNSmith|GSmaybe|");
    const rows = await h.inbox();
    assert.equal(rows[0].error, 'DN "X" is not a yes/no value (Y/N, 1/0 or T/F)');
    assert.match(rows[1].error ?? "", /^GS "maybe" is not a yes\/no value/);
    // The log gets the first with its frame; the rest of the minute is counted (no PMS floods the log).
    const warns = h.logger.lines.filter((l) => String(l.msg).startsWith("PMS record not applied"));
    assert.deepEqual(
      warns.map((w) => w.frame),
      ["RE|RN101|DNX|"],
    );
  });

  test("GS 1 joins as a sharer; an empty GS is not a sharer", async () => {
    const h = await setup();
    await h.feed("GI|RN101|G#1|GNSmith|GS|", "GI|RN101|G#2|GNJones|GS1|");
    const r = await h.room("101");
    assert.deepEqual(
      r.guests.map((g) => [g.reservation, g.sharer]),
      [
        ["1", false],
        ["2", true],
      ],
    );
  });
});

describe("VIP", () => {
  test("GVN gives no VIP in the name (nor GV0, nor an empty GV)", async () => {
    const h = await setup();
    await h.feed("GI|RN101|G#1|GNRossi|GFMario|GVN|", "GI|RN102|G#2|GNBianchi|GV0|", "GI|RN103|G#3|GNVerdi|GV|");
    assert.deepEqual(await h.names(), ["Mario Rossi 101", "Bianchi 102", "Verdi 103"]);
    assert.equal((await h.room("101")).guests[0].vip, "", "stored as no VIP");
  });

  test("GV1 with vipLabels {1: 'VIP'} shows VIP; an unlisted level shows as itself", async () => {
    const h = await setup({ rooms: { vipLabels: { "1": "VIP", "2": "VVIP" } } });
    await h.feed("GI|RN101|G#1|GNRossi|GFMario|GV1|", "GI|RN102|G#2|GNBianchi|GV7|");
    assert.deepEqual(await h.names(), ["VIP Mario Rossi 101", "7 Bianchi 102"]);
    assert.equal((await h.room("101")).guests[0].vip, "1", "the level is stored, the label only shown");
    await h.feed("GC|RN101|G#1|GV2|");
    assert.equal((await h.names()).at(-1), "VVIP Mario Rossi 101");
  });
});

describe("names", () => {
  test('"Dupont, Élise": last name Dupont, first name Élise', async () => {
    const h = await setup();
    await h.feed("GI|RN101|G#1|GNDupont, Élise|GSN|");
    const g = (await h.room("101")).guests[0];
    assert.deepEqual([g.lastName, g.firstName, g.title, g.fullName], ["Dupont", "Élise", "", "Élise Dupont"]);
    assert.deepEqual(await h.names(), ["Élise Dupont 101"]);
  });

  test('"Guest, Mr." without GT: Mr. is the title, not the first name', async () => {
    const h = await setup({ rooms: { nameTemplate: "${title} ${first} ${last} ${extension}" } });
    await h.feed("GI|RN2781|G#12345|GNGuest, Mr.|GLEA|GV3|GGA123|GSN|");
    const g = (await h.room("2781")).guests[0];
    assert.deepEqual([g.title, g.firstName, g.lastName], ["Mr.", "", "Guest"]);
    assert.deepEqual(await h.names(), ["Mr. Guest 2781"]);
  });

  test("pms.splitGuestName false: GN is the last name as sent", async () => {
    const h = await setup({ pms: { splitGuestName: false } });
    await h.feed("GI|RN101|G#1|GNDupont, Élise|");
    const g = (await h.room("101")).guests[0];
    assert.deepEqual([g.lastName, g.firstName], ["Dupont, Élise", ""]);
  });
});

describe("wake-ups with a time and no date", () => {
  test("WR TI later today is due today; earlier than now, tomorrow; DA is the date it falls on", async () => {
    const h = await setup();
    await h.feed("WR|RN101|TI1130|", "WR|RN102|TI070000|", "WR|RN103|TI100000|");
    const [today, tomorrow, now] = await h.wakes();
    assert.deepEqual([today.dueAt, today.fiasDate, today.fiasTime], [UTC(11, 22, 10, 30), "261122", "1130"]);
    assert.deepEqual([tomorrow.dueAt, tomorrow.fiasDate, tomorrow.fiasTime], [UTC(11, 23, 6), "261123", "070000"]);
    assert.equal(now.dueAt, h.ctx.clock.now(), "exactly now is due now (at or after)");
  });

  test("a repeated identical WR is one wake-up", async () => {
    const h = await setup();
    await h.feed("WR|RN101|TI0700|", "WR|RN101|TI0700|");
    h.ctx.clock.advance(60 * 60_000);
    await h.feed("WR|RN101|TI0700|", "WR|RN101|DA261123|TI0700|");
    assert.equal((await h.wakes()).length, 1);
  });

  test("its WA carries the computed DA and the TI exactly as received", async () => {
    const h = await setup();
    await h.feed("WR|RN101|TI0700|");
    const [w] = await h.wakes();
    await recordWakeupResult(h.ctx, w.id, "OK", 1);
    const out = await h.ctx.store.read((db) => db.select().from(pmsOutbox));
    assert.deepEqual(
      out.map((r) => r.record),
      ["WA|RN101|DA261123|TI0700|ASOK|"],
    );
  });

  test("WC with a time only cancels the room's open wake-ups at that time of day", async () => {
    const h = await setup();
    await h.feed(
      "WR|RN101|DA261123|TI070000|",
      "WR|RN101|DA261124|TI0700|",
      "WR|RN101|DA261123|TI073000|",
      "WR|RN101|DA261125|TI070015|",
      "WR|RN102|DA261123|TI070000|",
    );
    await h.feed("WC|RN101|TI0700|");
    assert.deepEqual(
      (await h.wakes()).map((w) => w.state),
      ["cancelled", "cancelled", "pending", "cancelled", "pending"],
    );
  });

  test("WC with seconds compares the seconds", async () => {
    const h = await setup();
    await h.feed("WR|RN101|DA261123|TI070000|", "WR|RN101|DA261124|TI070015|");
    await h.feed("WC|RN101|TI070015|");
    assert.deepEqual(
      (await h.wakes()).map((w) => w.state),
      ["pending", "cancelled"],
    );
  });

  test("WC with DA and TI still finds a date-less WR; WC with DA only clears that day", async () => {
    const h = await setup();
    await h.feed("WR|RN101|TI0700|", "WR|RN101|DA261124|TI0800|", "WR|RN101|DA261124|TI0900|");
    await h.feed("WC|RN101|DA261123|TI0700|");
    assert.equal((await h.wakes())[0].state, "cancelled");
    await h.feed("WC|RN101|DA261124|");
    assert.deepEqual(
      (await h.wakes()).map((w) => w.state),
      ["cancelled", "cancelled", "cancelled"],
    );
  });

  test("a bad TI, or a WR without TI, is rejected with a clear reason", async () => {
    const h = await setup();
    await h.feed("WR|RN101|TI2500|", "WC|RN101|TI7|", "WR|RN101|DA261123|", "WR|RN101|TI07:00|", "WC|RN101|DA2611|");
    assert.deepEqual(
      (await h.inbox()).map((r) => r.error),
      [
        'WR with TI "2500": not a time HHMM or HHMMSS',
        'WC with TI "7": not a time HHMM or HHMMSS',
        "WR without a time (TI)",
        'WR with TI "07:00": not a time HHMM or HHMMSS',
        'WC with invalid DA "2611"',
      ],
    );
    assert.equal((await h.wakes()).length, 0);
  });
});
