/** The guest mailbox follows the stay, driven by FIAS records (issue 12 §4). */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { afterEach, beforeEach, describe, test } from "node:test";
import { PmsIngest } from "../../src/services/pms-ingest.ts";
import { checkInRoom, checkOutRoom, moveRoom } from "../../src/services/rooms.ts";
import { checkPin, mailboxOf, saveMessage, setPin } from "../../src/services/voicemail.ts";
import { messageFile, newMessageId } from "../../src/services/voicemail-files.ts";
import { insertVoicemail } from "../../src/store/voicemail.ts";
import { type TestContext, tempStore, testContext } from "../helpers/store.ts";
import { deposit, feed, lampJobs, messageRows, roomOf, voiceReports, writeMessageFile } from "./voicemail-fixture.ts";

type Temp = Awaited<ReturnType<typeof tempStore>>;

const counts = async (ctx: TestContext, room: string) => {
  const r = await roomOf(ctx, room);
  return [r.voiceNew, r.voiceSaved];
};

/** A current-stay message left in a room (as a missed check-out would leave it). */
async function leftover(ctx: TestContext, room: string): Promise<string> {
  const id = newMessageId();
  await ctx.store.tx((tx) =>
    insertVoicemail(tx, {
      id,
      room,
      state: "new",
      receivedAt: ctx.clock.now(),
      durationMs: 3000,
      soundMs: 3000,
      file: messageFile(id),
    }),
  );
  writeMessageFile(`${ctx.voicemailDir}/${messageFile(id)}`, 3);
  return id;
}

describe("the mailbox follows the stay (PMS records)", () => {
  let t: Temp;
  let ctx: TestContext;
  let ingest: PmsIngest;

  beforeEach(async () => {
    t = await tempStore();
    ctx = testContext(t.store, { links: ["sip-mwi", "zoom"] });
    ingest = new PmsIngest(ctx, "latin1");
    await ingest.init();
  });
  afterEach(() => t.cleanup());

  test("an online GI into a vacant room opens a clean box: leftovers archived, PIN reset", async () => {
    await feed(ingest, "GI|RN101|G#1|GNOld|GSN|");
    await setPin(ctx, "101", "1111");
    await feed(ingest, "GO|RN101|G#1|");
    const id = await leftover(ctx, "101");
    await feed(ingest, "GI|RN101|G#2|GNNew|GSN|");
    const [row] = await messageRows(ctx);
    assert.equal(row.id, id);
    assert.notEqual(row.archivedAt, null, "the leftover went to the archive");
    assert.deepEqual((await mailboxOf(ctx, "101")).messages, []);
    assert.equal(await checkPin(ctx, "101", "1111"), "no-pin");
    assert.deepEqual(await counts(ctx, "101"), [0, 0]);
  });

  test("GI with SF (resync) and GC never purge or archive", async () => {
    await feed(ingest, "GI|RN101|G#1|GNSmith|GSN|");
    const a = await deposit(ctx, "101");
    await setPin(ctx, "101", "2222");
    await feed(ingest, "DS|", "GI|RN101|G#1|GNSmith|GSN|SF|", "DE|");
    await feed(ingest, "GC|RN101|G#1|GNSmith-Jones|GLFR|");
    // A resync GI for another reservation replaces the guest without a check-out: still no archive.
    await feed(ingest, "GI|RN101|G#9|GNOther|GSN|SF|");
    const box = await mailboxOf(ctx, "101");
    assert.deepEqual(
      box.messages.map((m) => m.id),
      [a],
    );
    assert.equal(await checkPin(ctx, "101", "2222"), "ok");
    assert.deepEqual(await counts(ctx, "101"), [1, 0]);
    assert.deepEqual(await voiceReports(ctx), ["RE|RN101|VM0100|"]);
  });

  test("a sharer's GO leaves the box; the last GO archives it, lamp off, RE VM0000", async () => {
    await feed(ingest, "GI|RN101|G#1|GNSmith|GSN|", "GI|RN101|G#2|GNJones|GSY|");
    const a = await deposit(ctx, "101");
    ctx.clock.advance(1000);
    const b = await deposit(ctx, "101");
    await saveMessage(ctx, "101", a);
    await setPin(ctx, "101", "3333");
    await feed(ingest, "GO|RN101|G#2|");
    assert.deepEqual(await counts(ctx, "101"), [1, 1]);
    assert.equal((await mailboxOf(ctx, "101")).messages.length, 2);
    assert.equal((await voiceReports(ctx)).length, 3, "a sharer's check-out changes no count");

    const goAt = ctx.clock.now();
    await feed(ingest, "GO|RN101|G#1|");
    const rows = await messageRows(ctx);
    assert.deepEqual(
      rows.map((m) => [m.id, m.state, m.archivedAt, m.reservation]),
      [
        [a, "saved", goAt, "1,2"],
        [b, "new", goAt, "1,2"],
      ],
    );
    assert.deepEqual(await counts(ctx, "101"), [0, 0]);
    assert.deepEqual((await lampJobs(ctx)).at(-1), ["101", 0, 0]);
    assert.deepEqual((await lampJobs(ctx, "zoom")).at(-1), ["101", 0, 0], "PBX links with lamps get it too");
    assert.equal((await voiceReports(ctx)).at(-1), "RE|RN101|VM0000|");
    assert.equal(await checkPin(ctx, "101", "3333"), "no-pin");
    assert.deepEqual((await mailboxOf(ctx, "101")).messages, []);
    for (const m of rows) assert.ok(existsSync(`${ctx.voicemailDir}/${m.file}`), "archived files stay in place");
  });

  test("a check-out with an empty box sends no RE VM", async () => {
    await feed(ingest, "GI|RN101|G#1|GNSmith|GSN|", "GO|RN101|G#1|");
    assert.deepEqual(await voiceReports(ctx), []);
  });

  test("a resync that no longer lists the room archives its box", async () => {
    await feed(ingest, "GI|RN101|G#1|GNSmith|GSN|", "GI|RN102|G#2|GNJones|GSN|");
    await deposit(ctx, "101");
    await deposit(ctx, "102");
    await feed(ingest, "DS|", "GI|RN102|G#2|GNJones|GSN|SF|", "DE|");
    const rows = await messageRows(ctx);
    assert.deepEqual(
      rows.map((m) => [m.room, m.archivedAt !== null]),
      [
        ["101", true],
        ["102", false],
      ],
    );
    assert.deepEqual(await counts(ctx, "101"), [0, 0]);
    assert.deepEqual(await counts(ctx, "102"), [1, 0]);
    assert.equal((await voiceReports(ctx)).at(-1), "RE|RN101|VM0000|");
  });

  test("a resync GO (RN + SF) archives too", async () => {
    await feed(ingest, "GI|RN101|G#1|GNSmith|GSN|");
    await deposit(ctx, "101");
    await feed(ingest, "DS|", "GO|RN101|SF|", "DE|");
    assert.notEqual((await messageRows(ctx))[0].archivedAt, null);
  });

  test("GC with RO moves messages, PIN and counts; both lamps and both RE VM", async () => {
    await feed(ingest, "GI|RN101|G#1|GNSmith|GLIT|GSN|");
    const a = await deposit(ctx, "101");
    ctx.clock.advance(1000);
    const b = await deposit(ctx, "101");
    await saveMessage(ctx, "101", a);
    await setPin(ctx, "101", "4444");
    const before = (await voiceReports(ctx)).length;
    await feed(ingest, "GC|RN102|G#1|RO101|");
    assert.deepEqual(
      (await messageRows(ctx)).map((m) => [m.id, m.room, m.archivedAt]),
      [
        [a, "102", null],
        [b, "102", null],
      ],
    );
    assert.deepEqual(await counts(ctx, "101"), [0, 0]);
    assert.deepEqual(await counts(ctx, "102"), [1, 1]);
    const box = await mailboxOf(ctx, "102");
    assert.equal(box.language, "IT");
    assert.deepEqual(
      box.messages.map((m) => [m.id, m.state]),
      [
        [b, "new"],
        [a, "saved"],
      ],
    );
    assert.equal(await checkPin(ctx, "102", "4444"), "ok");
    assert.equal(await checkPin(ctx, "101", "4444"), "no-pin");
    const lamps = await lampJobs(ctx);
    assert.deepEqual(lamps.slice(-2), [
      ["101", 0, 0],
      ["102", 1, 1],
    ]);
    assert.deepEqual((await voiceReports(ctx)).slice(before), ["RE|RN101|VM0000|", "RE|RN102|VM0101|"]);
  });

  test("a move into a vacant room archives what was left there rather than merging it", async () => {
    await feed(ingest, "GI|RN101|G#1|GNSmith|GSN|");
    const mine = await deposit(ctx, "101");
    const stale = await leftover(ctx, "102");
    await feed(ingest, "GC|RN102|G#1|RO101|");
    const rows = new Map((await messageRows(ctx)).map((m) => [m.id, m]));
    assert.equal(rows.get(mine)?.archivedAt, null);
    assert.equal(rows.get(mine)?.room, "102");
    assert.notEqual(rows.get(stale)?.archivedAt, null);
    assert.deepEqual(await counts(ctx, "102"), [1, 0]);
  });

  test("a sharer moving out leaves the box with the room", async () => {
    await feed(ingest, "GI|RN101|G#1|GNSmith|GSN|", "GI|RN101|G#2|GNJones|GSY|");
    const a = await deposit(ctx, "101");
    await feed(ingest, "GC|RN102|G#2|RO101|");
    assert.deepEqual(
      (await messageRows(ctx)).map((m) => [m.id, m.room]),
      [[a, "101"]],
    );
    assert.deepEqual(await counts(ctx, "101"), [1, 0]);
    assert.deepEqual(await counts(ctx, "102"), [0, 0]);
  });

  test("an online GI replacing guests whose check-out never came archives their box", async () => {
    await feed(ingest, "GI|RN101|G#1|GNSmith|GSN|");
    await deposit(ctx, "101");
    await feed(ingest, "GI|RN101|G#7|GNNext|GSN|");
    assert.notEqual((await messageRows(ctx))[0].archivedAt, null);
    assert.deepEqual(await counts(ctx, "101"), [0, 0]);
    assert.equal((await voiceReports(ctx)).at(-1), "RE|RN101|VM0000|");
  });

  test("the staff API's check-in, check-out and move do the same", async () => {
    await checkInRoom(ctx, "api:desk", "101", { reservation: "1", lastName: "Smith" });
    const a = await deposit(ctx, "101");
    await moveRoom(ctx, "api:desk", "101", "102");
    assert.deepEqual(
      (await mailboxOf(ctx, "102")).messages.map((m) => m.id),
      [a],
    );
    await checkOutRoom(ctx, "api:desk", "102");
    assert.notEqual((await messageRows(ctx))[0].archivedAt, null);
    assert.deepEqual(await voiceReports(ctx), [
      "RE|RN101|VM0100|",
      "RE|RN101|VM0000|",
      "RE|RN102|VM0100|",
      "RE|RN102|VM0000|",
    ]);
  });
});
