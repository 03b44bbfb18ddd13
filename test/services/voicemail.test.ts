import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { afterEach, beforeEach, describe, test } from "node:test";
import { AppError } from "../../src/lib/errors.ts";
import { PmsIngest } from "../../src/services/pms-ingest.ts";
import {
  checkPin,
  deleteMessage,
  finishDeposit,
  mailboxOf,
  messageAudio,
  openDeposit,
  saveMessage,
  setPin,
} from "../../src/services/voicemail.ts";
import { eraseVoicemail, purgeExpiredVoicemail } from "../../src/services/voicemail-staff.ts";
import { voicemailBoxes } from "../../src/store/schema/index.ts";
import { type TestContext, tempStore, testContext } from "../helpers/store.ts";
import { deposit, feed, lampJobs, messageRows, roomOf, voiceReports, writeMessageFile } from "./voicemail-fixture.ts";

type Temp = Awaited<ReturnType<typeof tempStore>>;

const code = (c: string) => (err: unknown) => err instanceof AppError && err.code === c;

describe("guest voicemail: deposit and retrieval", () => {
  let t: Temp;
  let ctx: TestContext;
  let ingest: PmsIngest;

  beforeEach(async () => {
    t = await tempStore();
    ctx = testContext(t.store, { links: ["sip-mwi"] });
    ingest = new PmsIngest(ctx, "latin1");
    await ingest.init();
    await feed(ingest, "GI|RN101|G#5|GNSmith|GLDE|GSN|", "GI|RN101|G#6|GNJones|GSY|");
  });
  afterEach(() => t.cleanup());

  test("no deposit for a vacant or unknown room: nothing recorded, no row", async () => {
    await feed(ingest, "GO|RN102|");
    assert.deepEqual(await openDeposit(ctx, "102", { caller: "" }), { ok: false, reason: "vacant" });
    assert.deepEqual(await openDeposit(ctx, "999", { caller: "" }), { ok: false, reason: "vacant" });
    assert.deepEqual(await messageRows(ctx), []);
  });

  test("below voicemail.minFreeMb free, deposits are refused (nothing evicted)", async () => {
    ctx.voicemail = { ...ctx.voicemail, minFreeMb: 1e12 };
    assert.deepEqual(await openDeposit(ctx, "101", { caller: "" }), { ok: false, reason: "disk-full" });
    assert.deepEqual(await messageRows(ctx), []);
  });

  test("a deposit: a recording row at once, a new message once finished; lamp and RE VM follow", async () => {
    const opened = await openDeposit(ctx, "101", { caller: "+39061234" });
    assert.ok(opened.ok);
    assert.equal(opened.path, `${ctx.voicemailDir}/msgs/${opened.messageId}.wav`);
    const [rec] = await messageRows(ctx);
    assert.deepEqual([rec.state, rec.room, rec.reservation, rec.caller], ["recording", "101", "5,6", "+39061234"]);
    assert.equal((await mailboxOf(ctx, "101")).messages.length, 0, "a recording is not a message yet");
    assert.deepEqual(await voiceReports(ctx), []);

    writeMessageFile(opened.path, 4, "PCMA");
    const done = await finishDeposit(ctx, opened.messageId, { durationMs: 4000, soundMs: 3500, codec: "PCMA" });
    assert.deepEqual(done, { kept: true });
    const [row] = await messageRows(ctx);
    assert.deepEqual([row.state, row.durationMs, row.soundMs, row.codec], ["new", 4000, 3500, "PCMA"]);
    const r = await roomOf(ctx, "101");
    assert.deepEqual([r.voiceNew, r.voiceSaved], [1, 0]);
    assert.deepEqual((await lampJobs(ctx)).at(-1), ["101", 1, 0]);
    assert.deepEqual(await voiceReports(ctx), ["RE|RN101|VM0100|"]);
    assert.deepEqual(await messageAudio(ctx, "101", opened.messageId), { codec: "PCMA", path: opened.path });
    // Finishing twice (a retry by the flow) changes nothing.
    assert.deepEqual(await finishDeposit(ctx, opened.messageId, { durationMs: 1, soundMs: 0, codec: "PCMU" }), {
      kept: true,
    });
    assert.deepEqual(await voiceReports(ctx), ["RE|RN101|VM0100|"]);
  });

  test("less than minSeconds of sound: row and file go, no lamp, no RE VM", async () => {
    const opened = await openDeposit(ctx, "101", { caller: "" });
    assert.ok(opened.ok);
    writeMessageFile(opened.path, 6);
    const lampsBefore = (await lampJobs(ctx)).length;
    assert.deepEqual(await finishDeposit(ctx, opened.messageId, { durationMs: 6000, soundMs: 1999, codec: "PCMU" }), {
      kept: false,
    });
    assert.deepEqual(await messageRows(ctx), []);
    assert.equal(existsSync(opened.path), false);
    assert.equal((await lampJobs(ctx)).length, lampsBefore);
    assert.deepEqual(await voiceReports(ctx), []);
  });

  test("the mailbox: language of the first guest, new first then saved, oldest first within", async () => {
    const a = await deposit(ctx, "101", { caller: "100" });
    ctx.clock.advance(60_000);
    const b = await deposit(ctx, "101", { caller: "200", seconds: 3 });
    ctx.clock.advance(60_000);
    const c = await deposit(ctx, "101", { caller: "300" });
    await saveMessage(ctx, "101", a);
    const box = await mailboxOf(ctx, "101");
    assert.equal(box.language, "DE");
    assert.deepEqual([box.occupied, box.new, box.saved, box.textWaiting, box.hasPin], [true, 2, 1, false, false]);
    assert.deepEqual(
      box.messages.map((m) => [m.id, m.state, m.caller, m.durationMs]),
      [
        [b, "new", "200", 3000],
        [c, "new", "300", 5000],
        [a, "saved", "100", 5000],
      ],
    );
    assert.equal(box.messages[0].receivedAt, ctx.clock.now() - 60_000);
    await feed(ingest, "XL|RN101|G#5|MI9|MTCall the desk|");
    assert.equal((await mailboxOf(ctx, "101")).textWaiting, true);
    await assert.rejects(mailboxOf(ctx, "999"), code("NOT_FOUND"));
    await feed(ingest, "GO|RN101|");
    const vacant = await mailboxOf(ctx, "101");
    assert.deepEqual([vacant.occupied, vacant.language, vacant.messages], [false, "", []]);
  });

  test("save and delete: counts, lamp (text messages count too) and RE VM after each", async () => {
    await feed(ingest, "XL|RN101|G#5|MI9|");
    const a = await deposit(ctx, "101");
    ctx.clock.advance(1000);
    const b = await deposit(ctx, "101");
    assert.deepEqual((await lampJobs(ctx)).at(-1), ["101", 3, 0], "one text + two voice messages");
    await saveMessage(ctx, "101", a);
    await saveMessage(ctx, "101", a);
    assert.deepEqual((await lampJobs(ctx)).at(-1), ["101", 2, 1]);
    await deleteMessage(ctx, "101", b);
    assert.deepEqual((await lampJobs(ctx)).at(-1), ["101", 1, 1]);
    await deleteMessage(ctx, "101", a);
    assert.deepEqual(await voiceReports(ctx), [
      "RE|RN101|VM0100|",
      "RE|RN101|VM0200|",
      "RE|RN101|VM0101|",
      "RE|RN101|VM0001|",
      "RE|RN101|VM0000|",
    ]);
    const r = await roomOf(ctx, "101");
    assert.deepEqual([r.messageLamp, r.voiceNew, r.voiceSaved], [1, 0, 0]);
    // A guest-deleted message stays a row (archived with the stay) but is out of the guest's reach.
    assert.deepEqual(
      (await messageRows(ctx)).map((m) => m.state),
      ["deleted", "deleted"],
    );
    assert.deepEqual((await mailboxOf(ctx, "101")).messages, []);
    await assert.rejects(messageAudio(ctx, "101", a), code("NOT_FOUND"));
    await assert.rejects(saveMessage(ctx, "101", a), code("NOT_FOUND"));
  });

  test("a message is reachable only from its own room", async () => {
    await feed(ingest, "GI|RN102|G#8|GNOther|GSN|");
    const a = await deposit(ctx, "101");
    await assert.rejects(messageAudio(ctx, "102", a), code("NOT_FOUND"));
    await assert.rejects(saveMessage(ctx, "102", a), code("NOT_FOUND"));
    await assert.rejects(deleteMessage(ctx, "102", a), code("NOT_FOUND"));
    await assert.rejects(messageAudio(ctx, "101", "0123456789abcdef01234567"), code("NOT_FOUND"));
  });

  test("PIN: refused until set, salted hash only, checked", async () => {
    assert.equal(await checkPin(ctx, "101", "1234"), "no-pin");
    await assert.rejects(setPin(ctx, "101", "12"), code("INVALID"));
    await assert.rejects(setPin(ctx, "101", "12a4"), code("INVALID"));
    await setPin(ctx, "101", "4711");
    assert.equal(await checkPin(ctx, "101", "4711"), "ok");
    assert.equal(await checkPin(ctx, "101", "4712"), "wrong");
    assert.equal(await checkPin(ctx, "102", "4711"), "no-pin");
    assert.equal((await mailboxOf(ctx, "101")).hasPin, true);
    const [box] = await t.store.read((db) => db.select().from(voicemailBoxes));
    assert.ok(box.pinHash?.startsWith("scrypt$"));
    assert.ok(!box.pinHash?.includes("4711"));
    // The same PIN set again hashes with a new salt.
    await setPin(ctx, "101", "4711");
    const [again] = await t.store.read((db) => db.select().from(voicemailBoxes));
    assert.notEqual(again.pinHash, box.pinHash);
    await feed(ingest, "GO|RN103|");
    await assert.rejects(setPin(ctx, "103", "1234"), code("CONFLICT"));
    await assert.rejects(setPin(ctx, "999", "1234"), code("NOT_FOUND"));
  });

  test("a recording that ends after the check-out stays with the stay it was left for, in the archive", async () => {
    const opened = await openDeposit(ctx, "101", { caller: "" });
    assert.ok(opened.ok);
    await feed(ingest, "GO|RN101|");
    writeMessageFile(opened.path, 5);
    assert.deepEqual(await finishDeposit(ctx, opened.messageId, { durationMs: 5000, soundMs: 5000, codec: "PCMU" }), {
      kept: true,
    });
    const [row] = await messageRows(ctx);
    assert.equal(row.state, "new");
    assert.notEqual(row.archivedAt, null);
    const r = await roomOf(ctx, "101");
    assert.deepEqual([r.voiceNew, r.voiceSaved], [0, 0], "an archived message is not counted");
    assert.deepEqual(await voiceReports(ctx), []);
  });

  test("a recording erased by staff before it ended stays gone; its file too", async () => {
    const opened = await openDeposit(ctx, "101", { caller: "" });
    assert.ok(opened.ok);
    await assert.rejects(eraseVoicemail(ctx, "api:desk", opened.messageId), code("CONFLICT"));
    await feed(ingest, "GO|RN101|");
    ctx.voicemail = { ...ctx.voicemail, archiveDays: 0 };
    assert.equal(await purgeExpiredVoicemail(ctx), 1);
    writeMessageFile(opened.path, 5);
    assert.deepEqual(await finishDeposit(ctx, opened.messageId, { durationMs: 5000, soundMs: 5000, codec: "PCMU" }), {
      kept: false,
    });
    assert.equal(existsSync(opened.path), false);
    assert.deepEqual(await messageRows(ctx), []);
  });
});
