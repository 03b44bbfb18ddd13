import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type ApiFixture, withApi } from "./fixture.ts";

interface Err {
  error: { code: string; message: string; details?: { room?: string } };
}

const POLYCOM = (ip: string, mac: string) => `<?xml version="1.0"?>
<PolycomIPPhone><LineRegistrationEvent>
  <PhoneIP>${ip}</PhoneIP><MACAddress>${mac}</MACAddress>
  <LineNumber>1</LineNumber><TimeStamp>2026-11-22T13:19:53+01:00</TimeStamp>
</LineRegistrationEvent></PolycomIPPhone>`;

describe("phone events (action URLs)", () => {
  test("a SNOM log-on moves the room's phone; the MAC is learned from the extension; all audited", () =>
    withApi(
      async (f) => {
        assert.equal(
          (await f.call("PUT", "/api/v1/rooms/101", { as: "installer", body: { extension: "2101" } })).status,
          201,
        );
        const from = (remoteAddress: string) => ({ remoteAddress });
        const r1 = await f.app.request(
          "/api/v1/phone-events/snom?mac=000413AABB01&ip=10.20.0.31&user=2101",
          {},
          from("10.20.0.31"),
        );
        assert.equal(r1.status, 200);
        assert.deepEqual(await r1.json(), {
          updated: true,
          room: "101",
          address: "10.20.0.31:5060",
          mac: "00:04:13:aa:bb:01",
        });

        // The phone moved to a new IP (DHCP); now it is found by its MAC even without a user.
        const r2 = await f.app.request(
          "/api/v1/phone-events/yealink?mac=00-04-13-aa-bb-01&ip=10.20.0.77",
          {},
          from("10.20.0.77"),
        );
        assert.equal(r2.status, 200);
        assert.equal(((await r2.json()) as { address: string }).address, "10.20.0.77:5060");

        const room = await f.call("GET", "/api/v1/rooms/101", { as: "frontdesk" });
        assert.deepEqual(room.body.phone, {
          address: "10.20.0.77:5060",
          transport: "udp",
          mac: "00:04:13:aa:bb:01",
          refusedClaims: [],
        });
        const audit = await f.call("GET", "/api/v1/audit?room=101", { as: "admin" });
        const moves = audit.body.entries.filter((e: { action: string }) => e.action === "room-phone");
        assert.deepEqual(
          moves.map((e: { actor: string }) => e.actor),
          ["phone:yealink", "phone:snom"],
        );

        const same = await f.app.request(
          "/api/v1/phone-events/yealink?mac=000413aabb01&ip=10.20.0.77",
          {},
          from("10.20.0.77"),
        );
        assert.equal(
          ((await same.json()) as { updated: boolean }).updated,
          false,
          "a repeated report changes nothing and is not audited again",
        );
      },
      { config: { phones: { networks: ["10.20.0.0/16"] } } },
    ));

  test("a Polycom LineRegistrationEvent POST moves the phone found by MAC; other events are ignored", () =>
    withApi(
      async (f) => {
        await f.call("PUT", "/api/v1/rooms/205", { as: "installer", body: { phone: { mac: "0004f214b8e7" } } });
        const r = await f.app.request(
          "/api/v1/phone-events/polycom",
          { method: "POST", body: POLYCOM("10.20.1.5", "0004f214b8e7"), headers: { "content-type": "text/xml" } },
          { remoteAddress: "10.20.1.5" },
        );
        assert.equal(r.status, 200);
        assert.equal(((await r.json()) as { room: string }).room, "205");
        const other = await f.app.request(
          "/api/v1/phone-events/polycom",
          {
            method: "POST",
            body: "<PolycomIPPhone><OffHookEvent><PhoneIP>10.20.1.5</PhoneIP></OffHookEvent></PolycomIPPhone>",
          },
          { remoteAddress: "10.20.1.5" },
        );
        assert.deepEqual(await other.json(), { ignored: "OffHookEvent" });
      },
      { config: { phones: { networks: ["10.20.0.0/16"] } } },
    ));

  test("refused from outside the phone networks, for an address not its own, and for an unknown phone", () =>
    withApi(
      async (f) => {
        await f.call("PUT", "/api/v1/rooms/101", { as: "installer", body: { extension: "2101" } });
        const outside = await f.app.request(
          "/api/v1/phone-events/snom?mac=000413aabb01&user=2101",
          {},
          { remoteAddress: "192.0.2.66" },
        );
        assert.equal(outside.status, 403);
        const redirect = await f.app.request(
          "/api/v1/phone-events/snom?mac=000413aabb01&ip=192.0.2.66&user=2101",
          {},
          { remoteAddress: "10.20.0.31" },
        );
        assert.equal(redirect.status, 409, "a phone cannot point MWI at a host outside the phone networks");
        const unknown = await f.app.request(
          "/api/v1/phone-events/snom?mac=000413ffffff&user=9999",
          {},
          { remoteAddress: "10.20.0.9" },
        );
        assert.equal(unknown.status, 404);
        assert.match(
          ((await unknown.json()) as Err).error.message,
          /^no room knows this phone \(mac 00:04:13:ff:ff:ff/,
        );
        const room = await f.call("GET", "/api/v1/rooms/101", { as: "admin" });
        assert.equal(room.body.phone.address, null, "nothing moved");
      },
      { config: { phones: { networks: ["10.20.0.0/16"] } } },
    ));
});

// ---------------------------------------------------------------- issue 10: a phone takes no other room

const NETS = { config: { phones: { networks: ["10.20.0.0/16"] } } };
const MAC_101 = "00:04:13:aa:bb:01";
const MAC_102 = "00:04:13:aa:bb:02";
const STRANGER = "00:04:13:66:66:66";

/** A SNOM action URL from `from`; `ip` defaults to the sender's own address. */
async function snom(f: ApiFixture, from: string, q: { mac?: string; ip?: string; user?: string }) {
  const params = new URLSearchParams({ ip: from, ...q });
  const r = await f.app.request(`/api/v1/phone-events/snom?${params}`, {}, { remoteAddress: from });
  return { status: r.status, body: (await r.json()) as Err & { room?: string; address?: string; updated?: boolean } };
}

/** Rooms 101 (ext 2101) and 102 (ext 2102), each with its phone learned from a first event. */
async function twoRooms(f: ApiFixture) {
  for (const [room, ext] of [
    ["101", "2101"],
    ["102", "2102"],
  ]) {
    await f.call("PUT", `/api/v1/rooms/${room}`, { as: "installer", body: { extension: ext } });
  }
  assert.equal((await snom(f, "10.20.0.31", { mac: MAC_101, user: "2101" })).status, 200);
  assert.equal((await snom(f, "10.20.0.32", { mac: MAC_102, user: "2102" })).status, 200);
}

async function phoneOf(f: ApiFixture, room: string) {
  return (await f.call("GET", `/api/v1/rooms/${room}`, { as: "installer" })).body.phone;
}

describe("phone events: a room's phone is claimed only with evidence", () => {
  test("a foreign MAC with room 101's extension: 409, 101 unchanged, the refusal on the room; 101's phone still works", () =>
    withApi(async (f) => {
      await twoRooms(f);
      const attack = await snom(f, "10.20.0.66", { mac: STRANGER, user: "2101" });
      assert.equal(attack.status, 409);
      assert.equal(attack.body.error.code, "CONFLICT");
      assert.match(attack.body.error.message, /room 101 already has the phone with mac 00:04:13:aa:bb:01/);
      assert.match(attack.body.error.message, /PUT \/api\/v1\/rooms\/101/);
      assert.deepEqual(attack.body.error.details, { room: "101" });

      const phone = await phoneOf(f, "101");
      assert.equal(phone.address, "10.20.0.31:5060");
      assert.equal(phone.mac, MAC_101);
      assert.equal(phone.refusedClaims.length, 1);
      const [seen] = phone.refusedClaims;
      assert.deepEqual(
        { ...seen, at: undefined, reason: undefined },
        {
          at: undefined,
          reason: undefined,
          vendor: "snom",
          mac: STRANGER,
          ip: "10.20.0.66",
          source: "10.20.0.66",
          user: "2101",
          count: 1,
        },
      );
      assert.match(seen.at, /^2026-11-22T10:00:00\+01:00$/);
      const audit = await f.call("GET", "/api/v1/audit?room=101", { as: "admin" });
      const refused = audit.body.entries.filter((e: { action: string }) => e.action === "phone-claim-refused");
      assert.equal(refused.length, 1);
      assert.equal(refused[0].actor, "phone:snom");
      assert.equal(refused[0].after.mac, STRANGER);

      // The real phone keeps working: its own events are taken, a new IP by DHCP included.
      const again = await snom(f, "10.20.0.41", { mac: MAC_101, user: "2101" });
      assert.equal(again.status, 200);
      assert.equal(again.body.address, "10.20.0.41:5060");
    }, NETS));

  test("repeated and varied refusals keep the last 10 per room: storage does not grow", () =>
    withApi(async (f) => {
      await twoRooms(f);
      for (let i = 0; i < 30; i++)
        assert.equal((await snom(f, "10.20.0.66", { mac: STRANGER, user: "2101" })).status, 409);
      let phone = await phoneOf(f, "101");
      assert.equal(phone.refusedClaims.length, 1, "one retrying host is one entry");
      assert.equal(phone.refusedClaims[0].count, 30);
      for (let i = 0; i < 25; i++) {
        const mac = `00:04:13:66:66:${(i + 16).toString(16)}`;
        assert.equal((await snom(f, "10.20.0.66", { mac, user: "2101" })).status, 409);
      }
      phone = await phoneOf(f, "101");
      assert.equal(phone.refusedClaims.length, 10);
      assert.equal(phone.refusedClaims[0].mac, "00:04:13:66:66:28", "newest first");
      const audit = await f.call("GET", "/api/v1/audit?room=101&limit=1000", { as: "admin" });
      const refused = audit.body.entries.filter((e: { action: string }) => e.action === "phone-claim-refused");
      assert.equal(refused.length, 10, "the audit log holds no more than the room shows");
      for (let i = 0; i < 15; i++) {
        assert.equal((await snom(f, "10.20.0.66", { mac: `00:04:13:77:77:${(i + 16).toString(16)}` })).status, 404);
      }
      const orphans = await f.call("GET", "/api/v1/audit?limit=1000", { as: "admin" });
      const unknown = orphans.body.entries.filter(
        (e: { action: string; room: string | null }) => e.action === "phone-claim-refused" && e.room === null,
      );
      assert.equal(unknown.length, 10, "claims no room knows are bounded too");
    }, NETS));

  test("an event whose ip is not the sender's: 409, nothing stored", () =>
    withApi(async (f) => {
      await twoRooms(f);
      const r = await snom(f, "10.20.0.66", { mac: MAC_101, ip: "10.20.0.99", user: "2101" });
      assert.equal(r.status, 409);
      assert.match(r.body.error.message, /reports ip 10\.20\.0\.99 but came from 10\.20\.0\.66/);
      const phone = await phoneOf(f, "101");
      assert.equal(phone.address, "10.20.0.31:5060");
      assert.equal(phone.refusedClaims[0].source, "10.20.0.66");
      // The same phone, from where it says it is, is still taken.
      assert.equal((await snom(f, "10.20.0.31", { mac: MAC_101, user: "2101" })).body.updated, false);
    }, NETS));

  test("another room's MAC: with 101's extension refused; on its own, from its own new address, rule (a) takes it", () =>
    withApi(async (f) => {
      await twoRooms(f);
      const steal = await snom(f, "10.20.0.50", { mac: MAC_102, user: "2101" });
      assert.equal(steal.status, 409);
      assert.match(
        steal.body.error.message,
        /is the phone of room 102, but it registered with extension 2101 of room 101/,
      );
      assert.equal((await phoneOf(f, "101")).address, "10.20.0.31:5060");
      assert.equal((await phoneOf(f, "102")).address, "10.20.0.32:5060");
      assert.equal((await phoneOf(f, "101")).refusedClaims.length, 1, "shown where the phone wanted to go");

      // 102's phone got a new IP by DHCP: its MAC is the evidence, and it reports its own address.
      const moved = await snom(f, "10.20.0.50", { mac: MAC_102, user: "2102" });
      assert.equal(moved.status, 200);
      assert.deepEqual([moved.body.room, moved.body.address], ["102", "10.20.0.50:5060"]);
      assert.equal((await phoneOf(f, "101")).address, "10.20.0.31:5060", "101 untouched");
    }, NETS));

  test("an event without a MAC sets nothing (409), even for a room with no phone yet", () =>
    withApi(async (f) => {
      await f.call("PUT", "/api/v1/rooms/103", { as: "installer", body: { extension: "2103" } });
      const r = await snom(f, "10.20.0.33", { user: "2103" });
      assert.equal(r.status, 409);
      assert.match(r.body.error.message, /carries no MAC/);
      assert.equal((await phoneOf(f, "103")).address, null);
    }, NETS));

  test("staff confirm with PUT: a MAC moves to another room (audited both sides); a new phone replaces one", () =>
    withApi(async (f) => {
      await twoRooms(f);
      const put = await f.call("PUT", "/api/v1/rooms/102", {
        as: "installer",
        body: { phone: { mac: "000413aabb01" } },
      });
      assert.equal(put.status, 200);
      assert.deepEqual(
        { ...put.body.phone, refusedClaims: undefined },
        { address: "10.20.0.31:5060", transport: "udp", mac: MAC_101, refusedClaims: undefined },
        "the phone keeps its address in its new room",
      );
      const old = await phoneOf(f, "101");
      assert.deepEqual([old.address, old.mac], [null, null], "101 no longer sends its lamp to that phone");
      const audit = await f.call("GET", "/api/v1/audit?limit=20", { as: "admin" });
      const moves = audit.body.entries
        .filter((e: { action: string }) => e.action === "room-phone")
        .slice(0, 2)
        .map((e: { actor: string; room: string; after: { movedTo?: string } }) => [e.actor, e.room, e.after.movedTo]);
      assert.deepEqual(moves, [
        ["api:tech", "102", undefined],
        ["api:tech", "101", "102"],
      ]);
      // The moved phone registers with its new extension: taken by its MAC.
      assert.equal((await snom(f, "10.20.0.31", { mac: MAC_101, user: "2102" })).status, 200);

      // A replacement phone for 102: staff name its MAC, then its own event brings its address.
      await f.call("PUT", "/api/v1/rooms/102", { as: "installer", body: { phone: { mac: STRANGER } } });
      const fresh = await snom(f, "10.20.0.66", { mac: STRANGER, user: "2102" });
      assert.equal(fresh.status, 200);
      assert.equal(fresh.body.address, "10.20.0.66:5060");
      const replaced = await snom(f, "10.20.0.31", { mac: MAC_101, user: "2102" });
      assert.equal(replaced.status, 409, "the replaced phone cannot take its room back");
      assert.equal((await phoneOf(f, "102")).address, "10.20.0.66:5060");
    }, NETS));
});
