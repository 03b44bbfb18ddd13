import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as v from "valibot";
import { CallList } from "../../src/api/routes/calls.ts";
import { type CallFacts, completeCall, insertPendingCall } from "../../src/store/call-records.ts";
import { type ApiFixture, withApi } from "./fixture.ts";

const H = 3_600_000;
/** 2026-11-22 00:00 in Rome (UTC+1). */
const DAY = Date.UTC(2026, 10, 21, 23, 0);

async function seed(f: ApiFixture) {
  const calls: [string, string, number, Partial<CallFacts>][] = [
    ["1", "101", DAY - 2 * H, { number: "0612345678", talkSeconds: 40 }],
    ["2", "101", DAY + 8 * H, { number: "3471234567", talkSeconds: 61, trunk: "3" }],
    ["3", "102", DAY + 9 * H, { direction: "in", number: "0733123123", outcome: 5, talkSeconds: 0 }],
    ["4", "101", DAY + 10 * H, { number: "102", internal: true, talkSeconds: 5 }],
  ];
  for (const [callId, room, startAt, facts] of calls) {
    await f.store.tx(async (tx) => {
      await insertPendingCall(tx, { link: "vs1", callId, hint: { family: "ssn", event: "call_terminated" } }, startAt);
      const [row] = await tx.query.callRecords.findMany({ where: (c, { eq }) => eq(c.callId, callId) });
      if (!row) throw new Error("no row");
      await completeCall(
        tx,
        row,
        callId,
        {
          room,
          extension: `2${room}`,
          direction: "out",
          number: null,
          internal: false,
          startAt,
          answerAt: facts.outcome === 5 ? null : startAt + 10_000,
          talkSeconds: 0,
          outcome: 1,
          trunk: null,
          ...facts,
        },
        startAt,
      );
    });
  }
  // A call whose report never came: no call.
  await f.store.tx((tx) =>
    insertPendingCall(tx, { link: "vs1", callId: "5", room: "101", hint: { family: "ssn", event: "x" } }, DAY),
  );
}

const ids = (body: { calls: { callId: string }[] }) => body.calls.map((c) => c.callId);

describe("GET /api/v1/calls", () => {
  test("latest first; room, since (hotel date or instant) and limit filter; only completed calls", () =>
    withApi(async (f) => {
      await seed(f);
      const all = await f.call("GET", "/api/v1/calls", { as: "frontdesk" });
      assert.equal(all.status, 200);
      v.parse(CallList, all.body);
      assert.deepEqual(ids(all.body), ["4", "3", "2", "1"]);
      const third = all.body.calls[1];
      assert.deepEqual(
        [third.room, third.direction, third.answerAt, third.outcome, third.outcomeName],
        ["102", "in", null, 5, "no-answer"],
      );
      assert.equal(all.body.calls[2].startAt, "2026-11-22T08:00:00+01:00");
      assert.equal(all.body.calls[2].answerAt, "2026-11-22T08:00:10+01:00");

      assert.deepEqual(ids((await f.call("GET", "/api/v1/calls?room=101", { as: "admin" })).body), ["4", "2", "1"]);
      assert.deepEqual(ids((await f.call("GET", "/api/v1/calls?since=2026-11-22", { as: "installer" })).body), [
        "4",
        "3",
        "2",
      ]);
      const instant = encodeURIComponent("2026-11-22T09:00:00+01:00");
      assert.deepEqual(ids((await f.call("GET", `/api/v1/calls?room=101&since=${instant}`)).body), ["4"]);
      assert.deepEqual(ids((await f.call("GET", "/api/v1/calls?limit=2")).body), ["4", "3"]);
      assert.deepEqual(ids((await f.call("GET", "/api/v1/calls?room=999")).body), []);
    }));

  test("roles: admin, installer, frontdesk; housekeeping 403; no token 401", () =>
    withApi(async (f) => {
      for (const role of ["admin", "installer", "frontdesk"] as const) {
        assert.equal((await f.call("GET", "/api/v1/calls", { as: role })).status, 200, role);
      }
      assert.equal((await f.call("GET", "/api/v1/calls", { as: "housekeeping" })).status, 403);
      assert.equal((await f.call("GET", "/api/v1/calls", { as: null })).status, 401);
    }));

  test("bad filters are 400 naming the field", () =>
    withApi(async (f) => {
      for (const [q, field] of [
        ["since=yesterday", "query.since"],
        ["since=2026-02-30", "query.since"],
        ["limit=0", "query.limit"],
        ["room=%7C1", "query.room"],
      ]) {
        const r = await f.call("GET", `/api/v1/calls?${q}`);
        assert.equal(r.status, 400, q);
        assert.match(r.body.error.message, new RegExp(`^${field.replace(".", "\\.")}:`), q);
      }
    }));

  test("documented in the API document", () =>
    withApi(async (f) => {
      const op = (await f.call("GET", "/openapi.json", { as: null })).body.paths["/api/v1/calls"].get;
      assert.deepEqual(op["x-roles"], ["admin", "installer", "frontdesk"]);
      assert.deepEqual(
        op.parameters.map((p: { name: string }) => p.name),
        ["room", "since", "limit"],
      );
      assert.ok(op.responses["200"].content["application/json"].schema);
    }));
});
