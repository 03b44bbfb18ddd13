import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import {
  type CallFacts,
  completeCall,
  countCalls,
  deleteCall,
  dueCalls,
  findCall,
  insertPendingCall,
  listCalls,
  nextCallDueAt,
  postponeCall,
} from "../../src/store/call-records.ts";
import { tempStore } from "../helpers/store.ts";

type Temp = Awaited<ReturnType<typeof tempStore>>;

const T0 = Date.UTC(2026, 10, 22, 9, 0);
const H = 3_600_000;
const hint = { family: "ssn", event: "call_terminated" };

function facts(room: string, startAt: number, more: Partial<CallFacts> = {}): CallFacts {
  return {
    room,
    extension: `2${room}`,
    direction: "out",
    number: "0612345",
    internal: false,
    startAt,
    answerAt: startAt + 5000,
    talkSeconds: 30,
    outcome: 1,
    trunk: "3",
    ...more,
  };
}

describe("store/call-records", () => {
  let t: Temp;
  beforeEach(async () => {
    t = await tempStore();
  });
  afterEach(() => t.cleanup());

  const pending = (callId: string, at = T0, link = "vs1") =>
    t.store.tx((tx) => insertPendingCall(tx, { link, callId, hint }, at));
  const row = async (callId: string, link = "vs1") => {
    const r = await t.store.read((db) => findCall(db, link, callId));
    if (!r) throw new Error(`no row ${callId}`);
    return r;
  };

  test("one row per link and call id: a second insert changes nothing", async () => {
    assert.equal(await pending("10"), true);
    assert.equal(await pending("10", T0 + 1000), false);
    assert.equal(await pending("10", T0, "vs2"), true, "another link's call 10 is another call");
    const r = await row("10");
    assert.deepEqual([r.state, r.attempts, r.nextAttemptAt, r.createdAt, r.hint], ["pending", 0, T0, T0, hint]);
    assert.equal(await t.store.read((db) => countCalls(db, "pending")), 2);
  });

  test("due rows oldest first; the next due time", async () => {
    await pending("a", T0 + 2000);
    await pending("b", T0);
    await pending("c", T0 + 60_000);
    assert.deepEqual(
      (await t.store.read((db) => dueCalls(db, T0 + 2000, 10))).map((r) => r.callId),
      ["b", "a"],
    );
    assert.equal(await t.store.read((db) => nextCallDueAt(db)), T0);
    const b = await row("b");
    await t.store.tx((tx) => postponeCall(tx, b.id, { attempts: 1, nextAttemptAt: T0 + 90_000, lastError: "x" }, T0));
    assert.deepEqual(
      (await t.store.read((db) => dueCalls(db, T0 + 60_000, 10))).map((r) => r.callId),
      ["a", "c"],
    );
    assert.equal(await t.store.read((db) => nextCallDueAt(db)), T0 + 2000);
  });

  test("postpone without a next attempt fails the row: no longer due, never listed", async () => {
    await pending("x");
    const x = await row("x");
    await t.store.tx((tx) => postponeCall(tx, x.id, { attempts: 6, lastError: "no report" }, T0 + 5));
    const r = await row("x");
    assert.deepEqual([r.state, r.attempts, r.lastError, r.updatedAt], ["failed", 6, "no report", T0 + 5]);
    assert.deepEqual(await t.store.read((db) => dueCalls(db, T0 + H, 10)), []);
    assert.equal(await t.store.read((db) => nextCallDueAt(db)), undefined);
    assert.deepEqual(await t.store.read((db) => listCalls(db, { limit: 10 })), []);
  });

  test("complete under the report's call id; a row for that id already there → this one is dropped", async () => {
    await pending("local-77");
    const first = await row("local-77");
    assert.equal(await t.store.tx((tx) => completeCall(tx, first, "555", facts("101", T0), T0 + 10)), "done");
    const done = await row("555");
    assert.deepEqual(
      [done.id, done.state, done.room, done.attempts, done.lastError, done.talkSeconds],
      [first.id, "done", "101", 1, null, 30],
    );
    await pending("local-77-again");
    const copy = await row("local-77-again");
    assert.equal(await t.store.tx((tx) => completeCall(tx, copy, "555", facts("101", T0), T0 + 20)), "duplicate");
    assert.equal(await t.store.read((db) => findCall(db, "vs1", "local-77-again")), undefined);
    assert.equal((await t.store.read((db) => listCalls(db, { limit: 10 }))).length, 1);
  });

  test("listCalls: done only, latest start first, by room and since, limited", async () => {
    const starts: [string, string, number][] = [
      ["1", "101", T0],
      ["2", "102", T0 + H],
      ["3", "101", T0 + 2 * H],
      ["4", "101", T0 + 2 * H],
    ];
    for (const [id, room, at] of starts) {
      await pending(id);
      const r = await row(id);
      await t.store.tx((tx) => completeCall(tx, r, id, facts(room, at), at));
    }
    await pending("5");
    const list = (q: Parameters<typeof listCalls>[1]) =>
      t.store.read((db) => listCalls(db, q)).then((rows) => rows.map((r) => r.callId));
    assert.deepEqual(await list({ limit: 10 }), ["4", "3", "2", "1"]);
    assert.deepEqual(await list({ limit: 10, room: "101" }), ["4", "3", "1"]);
    assert.deepEqual(await list({ limit: 10, since: T0 + H }), ["4", "3", "2"]);
    assert.deepEqual(await list({ limit: 10, room: "101", since: T0 + 1 }), ["4", "3"]);
    assert.deepEqual(await list({ limit: 1 }), ["4"]);
    const five = await row("5");
    await t.store.tx((tx) => deleteCall(tx, five.id));
    assert.equal(await t.store.read((db) => countCalls(db, "pending")), 0);
    assert.equal(await t.store.read((db) => countCalls(db, "done")), 4);
  });
});
