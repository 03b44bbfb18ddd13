import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { eq } from "drizzle-orm";
import { parseConfig } from "../../src/config/load.ts";
import { type ChargeContext, chargeCompletedCall, chargePendingCalls } from "../../src/services/call-charges.ts";
import { CallRecorder, type CallReportSource } from "../../src/services/call-records.ts";
import { listPostings } from "../../src/services/postings.ts";
import { checkInRoom, checkOutRoom, defineRoom } from "../../src/services/rooms.ts";
import { findCallCharge } from "../../src/store/call-charges.ts";
import { type CallFacts, completeCall, findCall, insertPendingCall } from "../../src/store/call-records.ts";
import { callCharges } from "../../src/store/schema/index.ts";
import { type TestContext, tempStore, testContext } from "../helpers/store.ts";

type Temp = Awaited<ReturnType<typeof tempStore>>;

const POSTINGS = {
  enabled: true,
  tariffs: {
    freePrefixes: ["112", "0800"],
    lines: [
      { prefix: "0", name: "National", ratePerMinute: 0.1 },
      { prefix: "00", name: "International", setupFee: 0.5, ratePerMinute: 1.2, incrementSeconds: 6, callType: "I" },
    ],
  },
};

function chargeContext(ctx: TestContext, postings: unknown = POSTINGS): TestContext & ChargeContext {
  return { ...ctx, postings: parseConfig({ postings }).postings };
}

let seq = 0;

/** A completed call record of the link `vs` (store level: what the call recorder commits). */
async function callRecord(ctx: TestContext, over: Partial<CallFacts> = {}, state: "done" | "pending" = "done") {
  const callId = `c${++seq}`;
  const now = ctx.clock.now();
  const facts: CallFacts = {
    room: "101",
    extension: "2101",
    direction: "out",
    number: "0049301234567",
    internal: false,
    startAt: now - 120_000,
    answerAt: now - 110_000,
    talkSeconds: 100,
    outcome: 1,
    trunk: "gw1",
    ...over,
  };
  return ctx.store.tx(async (tx) => {
    await insertPendingCall(tx, { link: "vs", callId, hint: null }, now);
    const row = await findCall(tx, "vs", callId);
    if (!row) throw new Error("no row");
    if (state === "done") await completeCall(tx, row, callId, facts, now);
    return row.id;
  });
}

describe("call charges", () => {
  let t: Temp;
  let ctx: TestContext & ChargeContext;
  beforeEach(async () => {
    t = await tempStore();
    ctx = chargeContext(testContext(t.store));
    await defineRoom(ctx, "api:installer", "101", { extension: "2101" });
    await defineRoom(ctx, "api:installer", "102", { extension: "2102" });
    await checkInRoom(ctx, "api:frontdesk", "101", { reservation: "R1", firstName: "Élise", lastName: "Dupont" });
    ctx.clock.advance(3_600_000);
  });
  afterEach(() => t.cleanup());

  const postings = () => listPostings(ctx);

  test("an answered outside call of an occupied room → one posting with the tariff amount", async () => {
    const id = await callRecord(ctx, { talkSeconds: 100 });
    const r = await chargeCompletedCall(ctx, id);
    assert.equal(r.outcome, "posted");
    const [p, ...more] = await postings();
    assert.equal(more.length, 0);
    // 0.50 setup + 1.20/min × 102 s (17 increments of 6 s) = 50 + 204
    assert.equal(p.amount, 254);
    assert.equal(p.kind, "call");
    assert.equal(p.room, "101");
    assert.equal(p.reservation, "R1");
    assert.equal(p.dialled, "0049301234567");
    assert.equal(p.callType, "I");
    assert.equal(p.text, "International");
    assert.equal(p.durationSeconds, null, "pre-costed: the amount alone costs it");
    assert.deepEqual(p.source, { type: "call-record", ref: String(id) });
    const tariff = p.tariff as { line: { prefix: string; setupFee: number }; billedSeconds: number };
    assert.equal(tariff.line.prefix, "00");
    assert.equal(tariff.line.setupFee, 50, "in minor units");
    assert.equal(tariff.billedSeconds, 102);
    assert.equal(p.chargedAt.slice(11, 16), "10:58", "charged at the call's start, hotel time");
    assert.deepEqual(await t.store.read((db) => findCallCharge(db, id)), {
      callRecordId: id,
      outcome: "posted",
      reason: null,
      postingId: p.id,
      decidedAt: ctx.clock.now(),
    });
  });

  test("internal, free, unanswered, incoming, unlisted and vacant calls post nothing, each with its reason", async () => {
    const cases: [Partial<CallFacts>, string, string][] = [
      [{ internal: true, number: "2102", trunk: null }, "free", "internal"],
      [{ number: "112" }, "free", "free-prefix"],
      [{ number: "0800123456" }, "free", "free-prefix"],
      [{ outcome: 5, answerAt: null, talkSeconds: 0 }, "free", "unanswered"],
      [{ talkSeconds: 0 }, "free", "no-duration"],
      [{ direction: "in", number: "0612345" }, "free", "incoming"],
      [{ number: "4711" }, "free", "no-tariff-line"],
      [{ room: "102", extension: "2102" }, "skipped", "vacant"],
    ];
    for (const [over, outcome, reason] of cases) {
      const id = await callRecord(ctx, over);
      assert.deepEqual(await chargeCompletedCall(ctx, id), { outcome, reason }, JSON.stringify(over));
    }
    assert.deepEqual(await postings(), []);
  });

  test("a call made before the current guest checked in is not charged to them", async () => {
    await checkOutRoom(ctx, "api:frontdesk", "101");
    ctx.clock.advance(60_000);
    await checkInRoom(ctx, "api:frontdesk", "101", { reservation: "R2", lastName: "Next" });
    ctx.clock.advance(60_000);
    const id = await callRecord(ctx, { startAt: ctx.clock.now() - 10 * 60_000 });
    assert.deepEqual(await chargeCompletedCall(ctx, id), { outcome: "skipped", reason: "previous-stay" });
    assert.deepEqual(await postings(), []);
  });

  test("the same record twice, in turn or at once → one posting", async () => {
    const id = await callRecord(ctx);
    const a = await chargeCompletedCall(ctx, id);
    const b = await chargeCompletedCall(ctx, id);
    assert.equal(a.outcome, "posted");
    assert.deepEqual(b, a.outcome === "posted" ? { ...a, created: false } : a);
    const id2 = await callRecord(ctx);
    const both = await Promise.all([chargeCompletedCall(ctx, id2), chargeCompletedCall(ctx, id2)]);
    assert.deepEqual(
      both.map((r) => r.outcome),
      ["posted", "posted"],
    );
    assert.equal((await postings()).length, 2);
  });

  test("a record not complete yet, or unknown, is left undecided", async () => {
    const id = await callRecord(ctx, {}, "pending");
    assert.equal((await chargeCompletedCall(ctx, id)).outcome, "undecided");
    assert.equal((await chargeCompletedCall(ctx, 9999)).outcome, "undecided");
    assert.equal(await t.store.read((db) => findCallCharge(db, id)), undefined);
  });

  test("restart: the sweep takes what the hook missed, once; a second sweep finds nothing", async () => {
    const charged = await callRecord(ctx);
    await chargeCompletedCall(ctx, charged);
    // Completed while nobody listened (a crash between completion and the hook).
    const missed = await callRecord(ctx, { number: "0612345678" });
    const internal = await callRecord(ctx, { internal: true, number: "2102" });
    // A crash after the posting, before its decision: the posting is there, the decision is not.
    const half = await callRecord(ctx, { number: "0039061234" });
    await chargeCompletedCall(ctx, half);
    await t.store.tx((tx) => tx.delete(callCharges).where(eq(callCharges.callRecordId, half)));
    const pending = await callRecord(ctx, {}, "pending");

    assert.deepEqual(await chargePendingCalls(ctx), { posted: 2, free: 1, skipped: 0, undecided: 0 });
    assert.deepEqual(await chargePendingCalls(ctx), { posted: 0, free: 0, skipped: 0, undecided: 0 });
    const refs = (await postings()).map((p) => p.source.ref).sort();
    assert.deepEqual(refs, [charged, missed, half].map(String).sort());
    assert.equal((await t.store.read((db) => findCallCharge(db, internal)))?.reason, "internal");
    assert.equal(await t.store.read((db) => findCallCharge(db, pending)), undefined, "pending: not decided");
  });

  test("postings off: calls are decided as not charged, and switching on later does not charge them", async () => {
    const off = chargeContext(ctx, { ...POSTINGS, enabled: false });
    const id = await callRecord(ctx);
    assert.deepEqual(await chargeCompletedCall(off, id), { outcome: "skipped", reason: "postings-disabled" });
    const swept = await callRecord(ctx);
    assert.deepEqual(await chargePendingCalls(off), { posted: 0, free: 0, skipped: 1, undecided: 0 });
    const on = chargeContext(ctx);
    assert.deepEqual(await chargePendingCalls(on), { posted: 0, free: 0, skipped: 0, undecided: 0 });
    assert.equal((await chargeCompletedCall(on, swept)).outcome, "skipped");
    assert.deepEqual(await postings(), []);
  });

  test("no postings section in the context = off", async () => {
    const bare = testContext(t.store);
    const id = await callRecord(bare);
    assert.deepEqual(await chargeCompletedCall(bare, id), { outcome: "skipped", reason: "postings-disabled" });
  });

  test("pms-costed: dialled number and talk time (DU+DD), or meter pulses", async () => {
    const byDuration = chargeContext(ctx, { ...POSTINGS, mode: "pms-costed" });
    const id = await callRecord(ctx, { talkSeconds: 225, number: "00 49 30 1234" });
    assert.equal((await chargeCompletedCall(byDuration, id)).outcome, "posted");
    const [p] = await postings();
    assert.deepEqual([p.amount, p.durationSeconds, p.pulses, p.dialled], [null, 225, null, "0049301234"]);

    const byPulses = chargeContext(ctx, {
      ...POSTINGS,
      mode: "pms-costed",
      pulses: true,
      tariffs: { lines: [{ prefix: "0", name: "Outside", ratePerMinute: 0, incrementSeconds: 30 }] },
    });
    const id2 = await callRecord(ctx, { talkSeconds: 61 });
    assert.equal((await chargeCompletedCall(byPulses, id2)).outcome, "posted");
    const q = (await postings()).find((x) => x.source.ref === String(id2));
    assert.deepEqual([q?.amount, q?.durationSeconds, q?.pulses], [null, null, 3]);
  });

  test("callTrunks: only calls over the listed trunks", async () => {
    const trunked = chargeContext(ctx, { ...POSTINGS, callTrunks: ["gw2"] });
    const id = await callRecord(ctx, { trunk: "gw1" });
    assert.deepEqual(await chargeCompletedCall(trunked, id), { outcome: "free", reason: "trunk-not-charged" });
    const id2 = await callRecord(ctx, { trunk: "gw2" });
    assert.equal((await chargeCompletedCall(trunked, id2)).outcome, "posted");
  });

  test("the call recorder fires callRecordCompleted with the completed record's id", async () => {
    const completed: number[] = [];
    ctx.hooks.callRecordCompleted = (id) => {
      completed.push(id);
    };
    const reports: CallReportSource = {
      callReport: async (_link, callId) => [
        {
          id: callId,
          startTime: "2026-11-22 10:55:00",
          duration: 40,
          outcome: 1,
          callingType: 0,
          callingNumber: "2101",
          calledType: undefined,
          calledNumber: "0041441234567",
          connectedType: undefined,
          connectedNumber: "",
          ringTime: 10,
          ivrTime: undefined,
          talkTime: 30,
          queueTime: undefined,
          gatewayIn: "",
          gatewayOut: "gw1",
          internal: false,
        },
      ],
      userCallReport: async () => [],
    };
    const rec = new CallRecorder(ctx, { reports });
    rec.start();
    await rec.noteCallEnded("vs", { family: "ssn", event: "call_terminated", callId: "77" });
    await rec.idle();
    await rec.stop();
    const row = await t.store.read((db) => findCall(db, "vs", "77"));
    assert.deepEqual(completed, [row?.id]);
    assert.equal((await chargeCompletedCall(ctx, completed[0])).outcome, "posted");
    assert.equal((await postings())[0].amount, 50 + 60);
  });
});
