import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as v from "valibot";
import { parseInstant } from "../../src/api/routes/wakeups.ts";
import { WakeupDetail, WakeupList, WakeupView } from "../../src/api/schemas.ts";
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

  test("recurring: weekdays and until; clear errors for what does not fit", () =>
    withApi(async ({ call }) => {
      await call("POST", "/api/v1/rooms/101/checkin", {
        as: "frontdesk",
        body: { guest: { lastName: "Rossi", departure: "2026-11-30" } },
      });
      const post = (body: Record<string, unknown>) =>
        call("POST", "/api/v1/wakeups", { as: "frontdesk", body: { room: "101", ...body } });
      const w = await post({
        at: "2026-11-23T07:00:00+01:00",
        recurrence: "weekdays",
        weekdays: [6, 7],
        until: "departure",
      });
      assert.equal(w.status, 201);
      v.parse(WakeupView, w.body);
      assert.equal(w.body.at, "2026-11-28T07:00:00+01:00", "the first Saturday");
      assert.deepEqual(w.body.weekdays, [6, 7]);
      assert.equal(w.body.until, "departure");
      const d = await post({ at: "2026-11-23T06:30:00+01:00", recurrence: "daily", until: "2026-11-25" });
      assert.equal(d.status, 201);
      assert.equal(d.body.until, "2026-11-25");
      assert.equal(d.body.weekdays, null);

      for (const [body, message] of [
        [{ recurrence: "weekdays" }, /^body\.weekdays: required when recurrence is weekdays$/],
        [{ recurrence: "weekdays", weekdays: [] }, /^body\.weekdays: at least one day is needed$/],
        [{ recurrence: "weekdays", weekdays: [8] }, /^body\.weekdays\.0: /],
        [{ recurrence: "daily", weekdays: [1] }, /^body\.weekdays: only with recurrence weekdays$/],
        [{ until: "departure" }, /^body\.until: only for a recurring wake-up/],
        [{ recurrence: "daily", until: "soon" }, /^body\.until: expected "departure" or a date YYYY-MM-DD$/],
        [{ recurrence: "daily", until: "2026-11-22" }, /^until: 2026-11-22 is before the first wake-up/],
      ] as const) {
        const r = await post({ at: "2026-11-23T09:00:00+01:00", ...body });
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.match(r.body.error.message, message);
      }
    }));

  test("the queue, one wake-up with its history, and recent ones by state", () =>
    withApi(async ({ call, ctx }) => {
      await call("PUT", "/api/v1/rooms/101", { as: "installer" });
      const a = await call("POST", "/api/v1/wakeups", {
        as: "frontdesk",
        body: { room: "101", at: "2026-11-22T10:30:00+01:00" },
      });
      const b = await call("POST", "/api/v1/wakeups", {
        as: "frontdesk",
        body: { room: "101", at: "2026-11-22T11:00:00+01:00" },
      });
      assert.equal(ctx.counters.wakeups, 2);
      ctx.clock.advance(45 * 60_000);
      const queue = await call("GET", "/api/v1/wakeups", { as: "frontdesk" });
      v.parse(WakeupList, queue.body);
      assert.deepEqual(
        queue.body.wakeups.map((w: { id: number; waitingForPort: boolean; nextAttemptAt: string }) => [
          w.id,
          w.waitingForPort,
          w.nextAttemptAt,
        ]),
        [
          [a.body.id, true, "2026-11-22T10:30:00+01:00"],
          [b.body.id, false, "2026-11-22T11:00:00+01:00"],
        ],
      );

      const one = await call("GET", `/api/v1/wakeups/${a.body.id}`, { as: "installer" });
      assert.equal(one.status, 200);
      v.parse(WakeupDetail, one.body);
      assert.deepEqual(
        one.body.history.map((e: { event: string; detail: unknown }) => [e.event, e.detail]),
        [["scheduled", { source: "api", by: "api:desk" }]],
      );
      assert.equal((await call("GET", "/api/v1/wakeups/999")).status, 404);
      assert.equal((await call("GET", `/api/v1/wakeups/${a.body.id}`, { as: "housekeeping" })).status, 403);

      await call("DELETE", `/api/v1/wakeups/${b.body.id}`, { as: "frontdesk" });
      const cancelled = await call("GET", "/api/v1/wakeups?state=cancelled", { as: "frontdesk" });
      assert.equal(cancelled.status, 200);
      v.parse(WakeupList, cancelled.body);
      assert.deepEqual(
        cancelled.body.wakeups.map((w: { id: number }) => w.id),
        [b.body.id],
      );
      const all = await call("GET", "/api/v1/wakeups?state=all&since=2026-11-22T10:45:00%2B01:00&limit=5");
      assert.deepEqual(
        all.body.wakeups.map((w: { id: number }) => w.id),
        [b.body.id],
      );
      const one2 = await call("GET", `/api/v1/wakeups/${b.body.id}`);
      assert.deepEqual(
        one2.body.history.map((e: { event: string }) => e.event),
        ["scheduled", "cancelled"],
      );

      const withSince = await call("GET", "/api/v1/wakeups?since=2026-11-22T00:00:00Z");
      assert.equal(withSince.status, 400);
      assert.match(withSince.body.error.message, /^query\.since: only with state done, failed, cancelled or all$/);
      assert.match((await call("GET", "/api/v1/wakeups?state=late")).body.error.message, /^query\.state: /);
      assert.match(
        (await call("GET", "/api/v1/wakeups?state=all&since=yesterday")).body.error.message,
        /^query\.since: /,
      );
    }));

  test("the OpenAPI document describes the wake-up routes", () =>
    withApi(async ({ call }) => {
      const doc = (await call("GET", "/openapi.json", { as: null })).body;
      assert.deepEqual(Object.keys(doc.paths["/api/v1/wakeups/{id}"]).sort(), ["delete", "get"]);
      const list = doc.paths["/api/v1/wakeups"].get;
      assert.deepEqual(
        list.parameters.map((p: { name: string }) => p.name),
        ["room", "state", "since", "limit"],
      );
      const body = doc.paths["/api/v1/wakeups"].post.requestBody.content["application/json"].schema;
      assert.deepEqual(body.properties.recurrence.enum, ["once", "daily", "weekdays"]);
      assert.equal(body.properties.weekdays.items.maximum, 7);
      assert.equal(body.properties.until.type, "string");
      const detail = doc.paths["/api/v1/wakeups/{id}"].get.responses["200"].content["application/json"].schema;
      assert.equal(detail.properties.history.items.$ref, "#/components/schemas/WakeupEvent");
      assert.ok(doc.components.schemas.WakeupEvent.properties.event.enum.includes("escalated"));
      assert.ok(doc.components.schemas.Wakeup.properties.waitingForPort);
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
