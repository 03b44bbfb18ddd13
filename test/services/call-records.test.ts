import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import {
  CallRecorder,
  type CallReportFacts,
  type CallReportSource,
  reportTime,
} from "../../src/services/call-records.ts";
import { defineRoom } from "../../src/services/rooms.ts";
import { keyMatches } from "../../src/services/voispeed-events.ts";
import { countCalls, findCall } from "../../src/store/call-records.ts";
import { ssnRow } from "../api/voispeed-fixture.ts";
import { type TestContext, tempStore, testContext } from "../helpers/store.ts";

type Temp = Awaited<ReturnType<typeof tempStore>>;

const ROME = "Europe/Rome";

describe("reportTime", () => {
  test("hotel wall time, ISO 8601 with an offset, epoch seconds or ms; else null", () => {
    assert.equal(reportTime("2026-11-22 09:58:00", ROME), Date.UTC(2026, 10, 22, 8, 58));
    assert.equal(reportTime(" 2026-07-01 09:58 ", ROME), Date.UTC(2026, 6, 1, 7, 58), "summer time, no seconds");
    assert.equal(reportTime("2026-11-22T09:58:00+01:00", ROME), Date.UTC(2026, 10, 22, 8, 58));
    assert.equal(reportTime("2026-11-22T08:58:00Z", ROME), Date.UTC(2026, 10, 22, 8, 58));
    assert.equal(reportTime("1795337000", ROME), 1795337000_000);
    assert.equal(reportTime("1795337000123", ROME), 1795337000123);
    for (const bad of [undefined, "", "0", "yesterday", "2026-13-01 00:00:00", "2026-11-22 25:00:00", "12345"]) {
      assert.equal(reportTime(bad, ROME), null, String(bad));
    }
  });
});

describe("keyMatches", () => {
  test("only the configured key, whatever the length; an empty configured key matches nothing", () => {
    assert.equal(keyMatches("abc", "abc"), true);
    assert.equal(keyMatches("abd", "abc"), false);
    assert.equal(keyMatches("abcd", "abc"), false);
    assert.equal(keyMatches("", "abc"), false);
    assert.equal(keyMatches(undefined, "abc"), false);
    assert.equal(keyMatches("", ""), false);
  });
});

class Reports implements CallReportSource {
  rows: CallReportFacts[] = [];
  asked = 0;
  async callReport(_link: string, callId: string) {
    this.asked++;
    return this.rows.filter((r) => r.id === callId);
  }
  async userCallReport() {
    this.asked++;
    return [];
  }
}

const row = (id: string): CallReportFacts =>
  ssnRow({
    id,
    startTime: "2026-11-22 09:00:00",
    outcome: 1,
    callingType: 0,
    callingNumber: "2101",
    calledNumber: "2102",
    calledType: 0,
    talkTime: 20,
  });

describe("CallRecorder", () => {
  let t: Temp;
  let ctx: TestContext;
  beforeEach(async () => {
    t = await tempStore();
    ctx = testContext(t.store);
    await defineRoom(ctx, "api:installer", "101", { extension: "2101" });
    await defineRoom(ctx, "api:installer", "102", { extension: "2102" });
  });
  afterEach(() => t.cleanup());

  test("the same event twice at once → one row, one report read", async () => {
    const reports = new Reports();
    reports.rows.push(row("42"));
    const rec = new CallRecorder(ctx, { reports });
    rec.start();
    const hint = { family: "ssn", event: "call_terminated", callId: "42" } as const;
    const results = await Promise.all([rec.noteCallEnded("vs1", hint), rec.noteCallEnded("vs1", hint)]);
    assert.deepEqual(results.sort(), ["duplicate", "pending"]);
    await rec.idle();
    const r = await t.store.read((db) => findCall(db, "vs1", "42"));
    // Room to room: recorded once, for the calling room.
    assert.deepEqual(
      [r?.state, r?.room, r?.direction, r?.number, r?.internal, r?.trunk],
      ["done", "101", "out", "2102", true, null],
    );
    assert.equal(reports.asked, 1);
    await rec.stop();
  });

  test("rows left pending by a stop are completed by the next run's start", async () => {
    const first = new CallRecorder(ctx, {});
    first.start();
    await first.noteCallEnded("vs1", { family: "ssn", event: "call_terminated", callId: "43" });
    await first.stop();
    assert.equal(await t.store.read((db) => countCalls(db, "pending")), 1);

    const reports = new Reports();
    reports.rows.push(row("43"));
    const second = new CallRecorder(ctx, { reports });
    ctx.clock.advance(5_000);
    second.start();
    await second.idle();
    assert.equal(await t.store.read((db) => countCalls(db, "done")), 1);
    assert.equal(second.counters.recorded, 1);
    await second.stop();
  });

  test("a stopped recorder sets no timer and reads nothing", async () => {
    const reports = new Reports();
    const rec = new CallRecorder(ctx, { reports });
    await rec.stop();
    await rec.noteCallEnded("vs1", { family: "ssn", event: "call_terminated", callId: "44" });
    ctx.clock.advance(3_600_000);
    await rec.idle();
    assert.equal(reports.asked, 0);
    assert.equal(await rec.pendingCount(), 1);
  });
});
