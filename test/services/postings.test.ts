/** The postings service: one posting per source, for the room's current guest, checked input. */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import {
  applyPostingAnswer,
  createPosting,
  listPostings,
  renderPosting,
  submitPosting,
} from "../../src/services/postings.ts";
import { checkInRoom, checkOutRoom, defineRoom } from "../../src/services/rooms.ts";
import { setMeta } from "../../src/store/meta.ts";
import {
  getPosting as getRow,
  postingForAnswer,
  takePostingSequence,
  updatePosting,
} from "../../src/store/postings.ts";
import { type TestContext, tempStore, testContext } from "../helpers/store.ts";

type Temp = Awaited<ReturnType<typeof tempStore>>;

describe("postings service", () => {
  let t: Temp;
  let ctx: TestContext;
  let kicks = 0;

  beforeEach(async () => {
    t = await tempStore();
    ctx = testContext(t.store);
    kicks = 0;
    ctx.hooks.postingsQueued = () => {
      kicks++;
    };
    await checkInRoom(ctx, "api:desk", "101", { reservation: "42", lastName: "Rossi", firstName: "Anna" });
    await defineRoom(ctx, "api:tech", "102", {});
  });

  afterEach(() => t.cleanup());

  const call = {
    room: "101",
    kind: "call" as const,
    amount: 235,
    dialled: "+390511234567",
    callType: "N",
    at: Date.UTC(2026, 10, 22, 8, 15, 30),
    source: { type: "call-record" as const, ref: "voispeed:123" },
    tariff: { prefix: "0039", perMinute: 45, connection: 10 },
  };

  test("a call record makes one posting, however often it is submitted", async () => {
    const a = await submitPosting(ctx, call);
    const b = await submitPosting(ctx, { ...call, amount: 999 });
    assert.deepEqual([a.created, b.created], [true, false]);
    assert.equal(b.posting.id, a.posting.id);
    assert.equal(b.posting.amount, 235, "the first one stands");
    assert.equal(kicks, 1);
    const p = a.posting;
    assert.deepEqual(
      [p.room, p.reservation, p.guestName, p.state, p.actor],
      ["101", "42", "Anna Rossi", "pending", "system"],
    );
    assert.deepEqual(p.source, { type: "call-record", ref: "voispeed:123" });
    assert.deepEqual(p.tariff, call.tariff);
    assert.equal(p.chargedAt, "2026-11-22T09:15:30+01:00");
    assert.equal(p.sequence, null);
    // The posting stays with its source after check-out: a replay is not refused as vacant.
    await checkOutRoom(ctx, "api:desk", "101");
    assert.equal((await createPosting(ctx, call)).id, p.id);
  });

  test("a vacant or unknown room is refused; nothing is stored", async () => {
    await assert.rejects(createPosting(ctx, { ...call, room: "102" }), (e: Error & { code?: string }) => {
      assert.equal(e.code, "CONFLICT");
      assert.match(e.message, /room 102 is vacant/);
      return true;
    });
    await assert.rejects(createPosting(ctx, { ...call, room: "999" }), { code: "NOT_FOUND" });
    assert.deepEqual(await listPostings(ctx), []);
  });

  test("input is checked here too (the call-charging code and the IVR call without the API)", async () => {
    const src = { type: "minibar-phone" as const, ref: "x" };
    const bad: [Parameters<typeof createPosting>[1], RegExp][] = [
      [{ room: "1|1", kind: "charge", amount: 1, source: src }, /not a room number/],
      [{ room: "101", kind: "call", source: src }, /a call needs amount/],
      [{ room: "101", kind: "call", durationSeconds: 60, source: src }, /a call needs amount/],
      [{ room: "101", kind: "minibar", source: src }, /needs article/],
      [{ room: "101", kind: "minibar", article: "A1", source: src }, /article must be 1-4 digits/],
      [{ room: "101", kind: "minibar", article: "1", quantity: 100, source: src }, /quantity/],
      [{ room: "101", kind: "charge", source: src }, /a charge needs amount/],
      [{ room: "101", kind: "charge", amount: 1.5, source: src }, /amount must be a whole number/],
      [{ room: "101", kind: "charge", amount: 1, pulses: 3, source: src }, /only amount and text/],
      [{ room: "101", kind: "charge", amount: 1, text: "a\nb", source: src }, /printable/],
      [{ room: "101", kind: "charge", amount: 1, source: { type: "staff", ref: "" } }, /source.ref/],
      // biome-ignore lint/suspicious/noExplicitAny: a caller outside the type system
      [{ room: "101", kind: "refund" as any, amount: 1, source: src }, /kind "refund"/],
    ];
    for (const [input, message] of bad) await assert.rejects(createPosting(ctx, input), message, JSON.stringify(input));
    assert.deepEqual(await listPostings(ctx), []);
  });

  test("PMS-costed calls and minibar render as FIAS PS (PT T with DU/DD or MP, PT M with MA/M#)", async () => {
    const pulses = await createPosting(ctx, {
      ...call,
      amount: undefined,
      pulses: 8,
      source: { type: "call-record", ref: "1" },
    });
    const timed = await createPosting(ctx, {
      ...call,
      amount: undefined,
      durationSeconds: 225,
      source: { type: "call-record", ref: "2" },
    });
    const minibar = await createPosting(ctx, {
      room: "101",
      kind: "minibar",
      article: "12",
      source: { type: "minibar-phone", ref: "m1" },
    });
    const rows = await t.store.read(async (db) => [
      await getRow(db, pulses.id),
      await getRow(db, timed.id),
      await getRow(db, minibar.id),
    ]);
    const text = rows.map((r, i) => renderPosting(ctx, r ?? assert.fail(), 10 + i));
    assert.deepEqual(text, [
      "PS|RN101|PTT|MP8|DD00390511234567|PCN|DA261122|TI091530|P#10|",
      "PS|RN101|PTT|DU000345|DD00390511234567|PCN|DA261122|TI091530|P#11|",
      "PS|RN101|PTM|MA12|M#1|DA261122|TI100000|P#12|",
    ]);
  });

  test("lists filter by room, state and time; newest first", async () => {
    await checkInRoom(ctx, "api:desk", "103", { reservation: "7", lastName: "Verdi" });
    const a = await createPosting(ctx, { ...call });
    ctx.clock.advance(60_000);
    const b = await createPosting(ctx, { room: "103", kind: "charge", amount: 5, source: { type: "staff", ref: "s" } });
    assert.deepEqual(
      (await listPostings(ctx)).map((p) => p.id),
      [b.id, a.id],
    );
    assert.deepEqual(
      (await listPostings(ctx, { room: "101" })).map((p) => p.id),
      [a.id],
    );
    assert.deepEqual(
      (await listPostings(ctx, { since: ctx.clock.now() })).map((p) => p.id),
      [b.id],
    );
    assert.deepEqual(await listPostings(ctx, { state: "accepted" }), []);
  });

  test("answers: to the open posting with the P#, never to a settled one", async () => {
    const p = await createPosting(ctx, call);
    await t.store.tx((tx) => updatePosting(tx, p.id, { state: "sending", sequence: 5 }, ctx.clock.now()));
    await t.store.tx((tx) => applyPostingAnswer(ctx, tx, { sequence: 5, status: "accepted", code: "OK", text: "" }));
    await assert.rejects(
      t.store.tx((tx) => applyPostingAnswer(ctx, tx, { sequence: 5, status: "accepted", code: "OK", text: "" })),
      /P#5 \(AS OK\) fits no posting waiting for one/,
    );
    assert.equal(await t.store.read((db) => postingForAnswer(db, undefined)), undefined);
  });

  test("retry-later answers hold the posting, five at most, then it fails", async () => {
    const p = await createPosting(ctx, call);
    for (let i = 1; i <= 6; i++) {
      await t.store.tx((tx) => updatePosting(tx, p.id, { state: "sending", sequence: i }, ctx.clock.now()));
      const row = await t.store.tx((tx) =>
        applyPostingAnswer(ctx, tx, { sequence: i, status: "retry", code: i === 1 ? "NA" : "RY", text: "" }),
      );
      if (i === 1) assert.equal(row.nextAttemptAt, ctx.clock.now() + 5 * 60_000, "night audit: wait longer");
      if (i < 6) assert.deepEqual([row.state, row.sequence], ["pending", null]);
      else assert.deepEqual([row.state, row.answerText], ["failed", "the PMS asked 6 times to retry later"]);
    }
  });

  test("the P# counter is persisted, 1-99999999, and wraps to 1", async () => {
    assert.deepEqual(
      await t.store.tx(async (tx) => [await takePostingSequence(tx), await takePostingSequence(tx)]),
      [1, 2],
    );
    await t.store.tx((tx) => setMeta(tx, "pms.postingSequence", "99999999"));
    assert.equal(await t.store.tx((tx) => takePostingSequence(tx)), 1);
  });
});
