import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as v from "valibot";
import { RoomList, RoomView } from "../../src/api/schemas.ts";
import { pendingOutbox } from "../../src/store/pms-queue.ts";
import { withApi } from "./fixture.ts";

const rossi = {
  reservation: "R1",
  title: "Sig.",
  firstName: "Mario",
  lastName: "Rossi",
  language: "IT",
  vip: "1",
  arrival: "2026-11-22",
  departure: "2026-11-25",
};

describe("rooms", () => {
  test("PUT defines a room (201), then updates it (200)", () =>
    withApi(async ({ call }) => {
      const a = await call("PUT", "/api/v1/rooms/101", { as: "installer" });
      assert.equal(a.status, 201);
      assert.equal(a.body.room, "101");
      assert.equal(a.body.extension, "101", "extension from the default template");
      const b = await call("PUT", "/api/v1/rooms/101", { as: "installer", body: { extension: "2101" } });
      assert.equal(b.status, 200);
      assert.equal(b.body.extension, "2101");
      v.parse(RoomView, b.body);
    }));

  test("PUT with a phone: address, transport, MAC normalised; null clears", () =>
    withApi(async ({ call }) => {
      const r = await call("PUT", "/api/v1/rooms/101", {
        as: "admin",
        body: { extension: "2101", phone: { address: "192.0.2.10:5060", transport: "tls", mac: "0004132ABC01" } },
      });
      assert.equal(r.status, 201);
      assert.deepEqual(r.body.phone, {
        address: "192.0.2.10:5060",
        transport: "tls",
        mac: "00:04:13:2a:bc:01",
        refusedClaims: [],
      });
      const v6 = await call("PUT", "/api/v1/rooms/101", {
        as: "installer",
        body: { phone: { address: "[2001:db8::10]:5061", mac: "00-04-13-2A-BC-02" } },
      });
      assert.equal(v6.status, 200);
      assert.deepEqual(v6.body.phone, {
        address: "[2001:db8::10]:5061",
        transport: "tls",
        mac: "00:04:13:2a:bc:02",
        refusedClaims: [],
      });
      const cleared = await call("PUT", "/api/v1/rooms/101", {
        as: "installer",
        body: { phone: { address: null, transport: null, mac: null } },
      });
      assert.deepEqual(cleared.body.phone, { address: null, transport: null, mac: null, refusedClaims: [] });
    }));

  test("PUT with another room's MAC moves that phone here: the other room loses it; both audited", () =>
    withApi(async ({ call }) => {
      const phone = { address: "192.0.2.10:5060", transport: "udp", mac: "0004132ABC01" };
      await call("PUT", "/api/v1/rooms/101", { as: "installer", body: { phone } });
      const r = await call("PUT", "/api/v1/rooms/102", {
        as: "installer",
        body: { phone: { mac: "00:04:13:2a:bc:01" } },
      });
      assert.equal(r.status, 201);
      assert.deepEqual(r.body.phone, {
        address: "192.0.2.10:5060",
        transport: "udp",
        mac: "00:04:13:2a:bc:01",
        refusedClaims: [],
      });
      const old = await call("GET", "/api/v1/rooms/101", { as: "installer" });
      assert.deepEqual(old.body.phone, { address: null, transport: null, mac: null, refusedClaims: [] });
      const audit = await call("GET", "/api/v1/audit?limit=5", { as: "admin" });
      const moves = audit.body.entries.filter((e: { action: string }) => e.action === "room-phone").slice(0, 2);
      assert.deepEqual(
        moves.map((e: { room: string; after: { mac: string | null; movedTo?: string } }) => [
          e.room,
          e.after.mac,
          e.after.movedTo,
        ]),
        [
          ["102", "00:04:13:2a:bc:01", undefined],
          ["101", null, "102"],
        ],
      );
      const list = await call("GET", "/api/v1/rooms", { as: "frontdesk" });
      assert.equal(
        list.body.rooms[0].phone.refusedClaims,
        undefined,
        "the list leaves refused claims to the room view",
      );
    }));

  test("PUT rejects bad phone addresses and MACs", () =>
    withApi(async ({ call }) => {
      for (const address of [
        "192.0.2.10",
        "192.0.2.300:5060",
        "192.0.2.10:0",
        "192.0.2.10:70000",
        "pbx:5060",
        "[zz::1]:5060",
      ]) {
        const r = await call("PUT", "/api/v1/rooms/101", { as: "installer", body: { phone: { address } } });
        assert.equal(r.status, 400, address);
        assert.match(r.body.error.message, /^body\.phone\.address: /, address);
      }
      for (const mac of ["0004132ABC", "0004132ABC0G", "00:04:13:2a:bc:01:02"]) {
        const r = await call("PUT", "/api/v1/rooms/101", { as: "installer", body: { phone: { mac } } });
        assert.equal(r.status, 400, mac);
        assert.match(r.body.error.message, /^body\.phone\.mac: /, mac);
      }
      const t = await call("PUT", "/api/v1/rooms/101", { as: "installer", body: { phone: { transport: "sctp" } } });
      assert.match(t.body.error.message, /^body\.phone\.transport: /);
    }));

  test("check-in: GET shows the guest and the room occupied", () =>
    withApi(async ({ call }) => {
      const r = await call("POST", "/api/v1/rooms/101/checkin", {
        as: "frontdesk",
        body: { guest: rossi, classOfService: 2 },
      });
      assert.equal(r.status, 200);
      const g = await call("GET", "/api/v1/rooms/101", { as: "housekeeping" });
      assert.equal(g.status, 200);
      assert.equal(g.body.occupied, true);
      assert.equal(g.body.classOfService, 2);
      assert.deepEqual(g.body.guests, [{ ...rossi, sharer: false, group: "" }]);
      v.parse(RoomView, g.body);
      const list = await call("GET", "/api/v1/rooms", { as: "housekeeping" });
      v.parse(RoomList, list.body);
      assert.deepEqual(
        list.body.rooms.map((x: { room: string }) => x.room),
        ["101"],
      );
    }));

  test("check-in with only a last name: reservation defaults to empty", () =>
    withApi(async ({ call }) => {
      const r = await call("POST", "/api/v1/rooms/102/checkin", {
        as: "frontdesk",
        body: { guest: { lastName: "Bianchi" } },
      });
      assert.equal(r.status, 200);
      assert.equal(r.body.guests[0].reservation, "");
      assert.equal(r.body.guests[0].lastName, "Bianchi");
    }));

  test("check-in with VIP N or 0 (as the PMS writes it) is no VIP; a level is kept", () =>
    withApi(async ({ call }) => {
      const n = await call("POST", "/api/v1/rooms/101/checkin", {
        as: "frontdesk",
        body: { guest: { lastName: "Rossi", vip: "N" } },
      });
      assert.equal(n.status, 200);
      assert.equal(n.body.guests[0].vip, "");
      const zero = await call("POST", "/api/v1/rooms/102/checkin", {
        as: "frontdesk",
        body: { guest: { lastName: "Bianchi", vip: " 0" } },
      });
      assert.equal(zero.body.guests[0].vip, "");
      const level = await call("POST", "/api/v1/rooms/103/checkin", {
        as: "frontdesk",
        body: { guest: { lastName: "Verdi", vip: " 2 " } },
      });
      assert.equal(level.body.guests[0].vip, "2");
    }));

  test("a sharer joins; checking the sharer out leaves the primary guest", () =>
    withApi(async ({ call }) => {
      await call("POST", "/api/v1/rooms/101/checkin", { as: "frontdesk", body: { guest: rossi } });
      const s = await call("POST", "/api/v1/rooms/101/checkin", {
        as: "frontdesk",
        body: { guest: { reservation: "R2", lastName: "Verdi", sharer: true } },
      });
      assert.deepEqual(
        s.body.guests.map((g: { lastName: string }) => g.lastName),
        ["Rossi", "Verdi"],
      );
      const out = await call("POST", "/api/v1/rooms/101/checkout", { as: "frontdesk", body: { reservation: "R2" } });
      assert.equal(out.status, 200);
      assert.equal(out.body.occupied, true);
      assert.deepEqual(
        out.body.guests.map((g: { lastName: string }) => g.lastName),
        ["Rossi"],
      );
      const missing = await call("POST", "/api/v1/rooms/101/checkout", {
        as: "frontdesk",
        body: { reservation: "R9" },
      });
      assert.equal(missing.status, 404);
    }));

  test("checkout with an empty body empties the room; again is a 409", () =>
    withApi(async ({ call }) => {
      await call("POST", "/api/v1/rooms/101/checkin", { as: "frontdesk", body: { guest: rossi } });
      const r = await call("POST", "/api/v1/rooms/101/checkout", { as: "frontdesk" });
      assert.equal(r.status, 200);
      assert.equal(r.body.occupied, false);
      assert.deepEqual(r.body.guests, []);
      const again = await call("POST", "/api/v1/rooms/101/checkout", { as: "frontdesk", body: {} });
      assert.equal(again.status, 409);
      assert.equal(again.body.error.code, "CONFLICT");
    }));

  test("move carries the guest, DND and class of service", () =>
    withApi(async ({ call }) => {
      await call("POST", "/api/v1/rooms/101/checkin", { as: "frontdesk", body: { guest: rossi, classOfService: 3 } });
      await call("PATCH", "/api/v1/rooms/101", { as: "frontdesk", body: { dnd: true } });
      const r = await call("POST", "/api/v1/rooms/101/move", { as: "frontdesk", body: { to: "205" } });
      assert.equal(r.status, 200);
      assert.equal(r.body.room, "205");
      assert.equal(r.body.occupied, true);
      assert.equal(r.body.guests[0].lastName, "Rossi");
      assert.equal(r.body.guests[0].reservation, "R1");
      assert.equal(r.body.dnd, true);
      assert.equal(r.body.classOfService, 3);
      const old = await call("GET", "/api/v1/rooms/101");
      assert.equal(old.body.occupied, false);
      assert.deepEqual(old.body.guests, []);
      const same = await call("POST", "/api/v1/rooms/205/move", { as: "frontdesk", body: { to: "205" } });
      assert.equal(same.status, 400);
      const empty = await call("POST", "/api/v1/rooms/101/move", { as: "frontdesk", body: { to: "300" } });
      assert.equal(empty.status, 409);
    }));

  test("PATCH by the front desk: DND, class of service, message lamp", () =>
    withApi(async ({ call }) => {
      await call("POST", "/api/v1/rooms/101/checkin", { as: "frontdesk", body: { guest: rossi } });
      const r = await call("PATCH", "/api/v1/rooms/101", {
        as: "frontdesk",
        body: { dnd: true, classOfService: 0, messageLamp: true },
      });
      assert.equal(r.status, 200);
      assert.equal(r.body.dnd, true);
      assert.equal(r.body.classOfService, 0);
      assert.equal(r.body.messageLamp, 1);
      const n = await call("PATCH", "/api/v1/rooms/101", { as: "frontdesk", body: { messageLamp: 4 } });
      assert.equal(n.body.messageLamp, 4);
      const missing = await call("PATCH", "/api/v1/rooms/999", { as: "frontdesk", body: { dnd: true } });
      assert.equal(missing.status, 404);
    }));

  test("PATCH housekeeping by the housekeeping role: shown on the room and queued for the PMS", () =>
    withApi(async ({ call, store, ctx }) => {
      await call("PUT", "/api/v1/rooms/101", { as: "installer" });
      const r = await call("PATCH", "/api/v1/rooms/101", {
        as: "housekeeping",
        body: { housekeeping: { status: 3, maid: "M07" } },
      });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.housekeeping, { status: 3, maid: "M07", at: "2026-11-22T10:00:00+01:00" });
      const g = await call("GET", "/api/v1/rooms/101", { as: "housekeeping" });
      assert.equal(g.body.housekeeping.status, 3);
      const out = await store.read((db) => pendingOutbox(db, 10));
      assert.equal(out.length, 1);
      assert.equal(out[0].type, "RE");
      assert.match(out[0].record, /^RE\|RN101\|RS3\|/);
      assert.equal(out[0].record, "RE|RN101|RS3|IDM07|");
      assert.equal(ctx.counters.pms, 1, "the PMS sender was told");
    }));

  test("the housekeeping role may not send anything but housekeeping", () =>
    withApi(async ({ call, store }) => {
      await call("PUT", "/api/v1/rooms/101", { as: "installer" });
      const r = await call("PATCH", "/api/v1/rooms/101", {
        as: "housekeeping",
        body: { housekeeping: { status: 1 }, dnd: true },
      });
      assert.equal(r.status, 403);
      assert.match(r.body.error.message, /dnd/);
      const lamp = await call("PATCH", "/api/v1/rooms/101", { as: "housekeeping", body: { messageLamp: 0 } });
      assert.equal(lamp.status, 403);
      assert.equal((await store.read((db) => pendingOutbox(db, 10))).length, 0);
    }));

  test("room changes queue PBX jobs", () =>
    withApi(async ({ call, ctx }) => {
      await call("POST", "/api/v1/rooms/101/checkin", { as: "frontdesk", body: { guest: rossi } });
      assert.ok(ctx.counters.pbx >= 1);
      const jobs = await call("GET", "/api/v1/pbx/jobs?link=pbx1", { as: "installer" });
      assert.ok(jobs.body.jobs.length >= 1);
      assert.ok(jobs.body.jobs.every((j: { room: string; link: string }) => j.room === "101" && j.link === "pbx1"));
    }));
});
