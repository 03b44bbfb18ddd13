import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { withApi } from "./fixture.ts";

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
        assert.deepEqual(room.body.phone, { address: "10.20.0.77:5060", transport: "udp", mac: "00:04:13:aa:bb:01" });
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

  test("refused from outside the phone networks, for an address outside them, and for an unknown phone", () =>
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
        assert.equal(redirect.status, 403, "a phone cannot point MWI at a host outside the phone networks");
        const unknown = await f.app.request(
          "/api/v1/phone-events/snom?mac=000413ffffff&user=9999",
          {},
          { remoteAddress: "10.20.0.9" },
        );
        assert.equal(unknown.status, 404);
        const room = await f.call("GET", "/api/v1/rooms/101", { as: "admin" });
        assert.equal(room.body.phone.address, null, "nothing moved");
      },
      { config: { phones: { networks: ["10.20.0.0/16"] } } },
    ));
});
