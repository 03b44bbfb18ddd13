import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type ClaimRooms,
  canonicalIp,
  decidePhoneClaim,
  type PhoneClaim,
  phoneAddressIp,
  sameIp,
} from "../../src/domain/phone.ts";

describe("canonicalIp / sameIp", () => {
  test("one spelling per address: IPv6 compressed lower case, IPv4-mapped as IPv4", () => {
    assert.equal(canonicalIp("10.20.0.31"), "10.20.0.31");
    assert.equal(canonicalIp(" 0:0:0:0:0:0:0:1 "), "::1");
    assert.equal(canonicalIp("[FD00::5]"), "fd00::5");
    assert.equal(canonicalIp("::ffff:10.20.0.31"), "10.20.0.31");
    assert.equal(canonicalIp("::FFFF:a14:1f"), "10.20.0.31");
    for (const bad of ["", "10.20.0.256", "010.20.0.1", "phone.local", "1.2.3", "::g"]) {
      assert.equal(canonicalIp(bad), undefined, bad);
    }
    assert.ok(sameIp("::ffff:10.20.0.31", "10.20.0.31"));
    assert.ok(!sameIp("10.20.0.31", "10.20.0.32"));
    assert.ok(!sameIp("10.20.0.31", "garbage"));
    assert.equal(phoneAddressIp("[fd00::5]:5060"), "fd00::5");
    assert.equal(phoneAddressIp("10.0.0.5:5062"), "10.0.0.5");
  });
});

describe("decidePhoneClaim: the one rule for phone events", () => {
  const A = "00:04:13:aa:bb:01";
  const B = "00:04:13:aa:bb:02";
  const claim = (c: Partial<PhoneClaim>): PhoneClaim => ({
    source: "10.0.0.5",
    ip: "10.0.0.5",
    mac: A,
    user: "2101",
    ...c,
  });
  const rooms = (r: Partial<ClaimRooms>): ClaimRooms => ({ byMac: [], byExtension: undefined, ...r });

  test("(a) the room's learned MAC, from its own address: allowed, whatever the address now", () => {
    const d = decidePhoneClaim(
      claim({ source: "10.0.0.99", ip: "10.0.0.99", user: undefined }),
      rooms({ byMac: ["101"] }),
    );
    assert.deepEqual(d, { allowed: true, room: "101", rule: "learned-mac" });
    const same = decidePhoneClaim(claim({}), rooms({ byMac: ["101"], byExtension: { room: "101", mac: A } }));
    assert.deepEqual(same, { allowed: true, room: "101", rule: "learned-mac" });
  });

  test("(b) the first phone of an extension whose room learned no MAC: allowed", () => {
    const d = decidePhoneClaim(claim({}), rooms({ byExtension: { room: "101", mac: null } }));
    assert.deepEqual(d, { allowed: true, room: "101", rule: "first-phone-of-extension" });
  });

  test("refused: an ip not the sender's, a second phone, another room's phone, no MAC, a MAC in two rooms", () => {
    const refusals: [PhoneClaim, ClaimRooms, string | undefined, RegExp][] = [
      [claim({ ip: "10.0.0.6" }), rooms({ byMac: ["101"] }), "101", /reports ip 10\.0\.0\.6 but came from 10\.0\.0\.5/],
      [claim({ mac: B }), rooms({ byExtension: { room: "101", mac: A } }), "101", /room 101 already has the phone/],
      [
        claim({}),
        rooms({ byMac: ["102"], byExtension: { room: "101", mac: null } }),
        "101",
        /is the phone of room 102, but it registered with extension 2101 of room 101/,
      ],
      [claim({ mac: undefined }), rooms({ byExtension: { room: "101", mac: null } }), "101", /carries no MAC/],
      [claim({ user: undefined }), rooms({ byMac: ["101", "102"] }), undefined, /is learned by rooms 101, 102/],
    ];
    for (const [c, r, room, reason] of refusals) {
      const d = decidePhoneClaim(c, r);
      assert.equal(d.allowed, false);
      if (d.allowed) continue;
      assert.equal(d.kind, "conflict");
      assert.equal(d.room, room);
      assert.match(d.reason, reason);
    }
  });

  test("a phone no room knows: refused as unknown, with no room to show it on", () => {
    const d = decidePhoneClaim(claim({ user: "9999" }), rooms({}));
    assert.deepEqual(d.allowed ? undefined : [d.kind, d.room], ["unknown", undefined]);
  });
});
