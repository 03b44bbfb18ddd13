import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as v from "valibot";
import { parseInstant } from "../../src/api/routes/wakeups.ts";
import { WakeupList, WakeupView } from "../../src/api/schemas.ts";
import { withApi } from "./fixture.ts";

describe("wake-ups", () => {
  test("create, list, show on the room, cancel", () =>
    withApi(async ({ call }) => {
      await call("POST", "/api/v1/rooms/101/checkin", { as: "frontdesk", body: { guest: { lastName: "Rossi" } } });
      const c = await call("POST", "/api/v1/wakeups", {
        as: "frontdesk",
        body: { room: "101", at: "2026-11-23T07:00:00+01:00" },
      });
      assert.equal(c.status, 201);
      v.parse(WakeupView, c.body);
      assert.equal(c.body.room, "101");
      assert.equal(c.body.at, "2026-11-23T07:00:00+01:00");
      assert.equal(c.body.recurrence, "once");
      assert.equal(c.body.source, "api");
      assert.equal(c.body.state, "pending");

      // The same instant written in UTC is the same wake-up.
      const dup = await call("POST", "/api/v1/wakeups", {
        as: "frontdesk",
        body: { room: "101", at: "2026-11-23T06:00:00Z" },
      });
      assert.equal(dup.status, 200);
      assert.equal(dup.body.id, c.body.id);

      const daily = await call("POST", "/api/v1/wakeups", {
        as: "admin",
        body: { room: "101", at: "2026-11-23T06:30Z", recurrence: "daily" },
      });
      assert.equal(daily.status, 201);
      assert.equal(daily.body.at, "2026-11-23T07:30:00+01:00");
      assert.equal(daily.body.recurrence, "daily");

      const list = await call("GET", "/api/v1/wakeups?room=101", { as: "frontdesk" });
      assert.equal(list.status, 200);
      v.parse(WakeupList, list.body);
      assert.deepEqual(
        list.body.wakeups.map((w: { at: string }) => w.at),
        ["2026-11-23T07:00:00+01:00", "2026-11-23T07:30:00+01:00"],
      );
      assert.equal((await call("GET", "/api/v1/wakeups?room=102", { as: "installer" })).body.wakeups.length, 0);

      const room = await call("GET", "/api/v1/rooms/101");
      assert.deepEqual(room.body.wakeups[0], { id: c.body.id, at: "2026-11-23T07:00:00+01:00", state: "pending" });

      const del = await call("DELETE", `/api/v1/wakeups/${c.body.id}`, { as: "frontdesk" });
      assert.equal(del.status, 200);
      assert.equal(del.body.id, c.body.id);
      assert.equal(del.body.state, "cancelled");
      assert.equal(del.body.at, "2026-11-23T07:00:00+01:00");
      const again = await call("DELETE", `/api/v1/wakeups/${c.body.id}`, { as: "frontdesk" });
      assert.equal(again.status, 409);
      assert.equal((await call("DELETE", "/api/v1/wakeups/999", { as: "frontdesk" })).status, 404);
      const left = await call("GET", "/api/v1/wakeups", { as: "frontdesk" });
      assert.deepEqual(
        left.body.wakeups.map((w: { id: number }) => w.id),
        [daily.body.id],
      );
    }));

  test("a time in the past is a 400, an unknown room a 404", () =>
    withApi(async ({ call }) => {
      await call("PUT", "/api/v1/rooms/101", { as: "installer" });
      const past = await call("POST", "/api/v1/wakeups", {
        as: "frontdesk",
        body: { room: "101", at: "2026-11-22T08:59:00Z" },
      });
      assert.equal(past.status, 400);
      assert.match(past.body.error.message, /^at: /);
      const unknown = await call("POST", "/api/v1/wakeups", {
        as: "frontdesk",
        body: { room: "999", at: "2026-11-23T07:00:00+01:00" },
      });
      assert.equal(unknown.status, 404);
      const rec = await call("POST", "/api/v1/wakeups", {
        as: "frontdesk",
        body: { room: "101", at: "2026-11-23T07:00:00+01:00", recurrence: "weekly" },
      });
      assert.match(rec.body.error.message, /^body\.recurrence: /);
    }));

  test("checking the room out cancels its wake-ups", () =>
    withApi(async ({ call }) => {
      await call("POST", "/api/v1/rooms/101/checkin", { as: "frontdesk", body: { guest: { lastName: "Rossi" } } });
      await call("POST", "/api/v1/wakeups", {
        as: "frontdesk",
        body: { room: "101", at: "2026-11-23T07:00:00+01:00" },
      });
      await call("POST", "/api/v1/rooms/101/checkout", { as: "frontdesk" });
      assert.equal((await call("GET", "/api/v1/wakeups")).body.wakeups.length, 0);
    }));

  test("parseInstant", () => {
    assert.equal(parseInstant("2026-11-23T07:00:00+01:00"), Date.UTC(2026, 10, 23, 6, 0, 0));
    assert.equal(parseInstant("2026-11-23T07:00-05:30"), Date.UTC(2026, 10, 23, 12, 30, 0));
    assert.equal(parseInstant("2026-11-23T06:00:00.999Z"), Date.UTC(2026, 10, 23, 6, 0, 0));
    assert.equal(parseInstant("2024-02-29T00:00:00Z"), Date.UTC(2024, 1, 29));
    for (const bad of [
      "2026-02-29T00:00:00Z",
      "2026-11-23T24:00:00Z",
      "2026-11-23T07:60:00Z",
      "2026-11-23T07:00:00+25:00",
      "2026-11-23T07:00:00",
      "2026-11-23",
    ]) {
      assert.equal(parseInstant(bad), undefined, bad);
    }
  });
});
