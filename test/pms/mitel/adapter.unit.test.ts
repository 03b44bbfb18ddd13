import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { PmsEvent } from "../../../src/domain/pms-events.ts";
import { mitelAdapter } from "../../../src/pms/mitel/adapter.ts";
import { MITEL_PROFILES } from "../../../src/pms/mitel/profiles.ts";

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

function events(a: ReturnType<typeof mitelAdapter>, text: string): PmsEvent[] {
  const r = a.parse(bytes(text));
  if (!r.ok) throw new Error(r.reason);
  return a.toEvents(r.frame);
}

describe("Mitel adapter: frames → PMS events", () => {
  test("check-in, name, check-out", () => {
    const a = mitelAdapter({ charset: "latin1" });
    assert.deepEqual(events(a, "CHK1   101"), [
      { kind: "check-in", via: "CHK", room: "101", guest: { reservation: "" }, resync: false },
    ]);
    assert.deepEqual(events(a, "NAM1 SMITH,JOHN             101"), [
      {
        kind: "guest-change",
        via: "NAM",
        room: "101",
        guest: { reservation: "", lastName: "SMITH", firstName: "JOHN", fullName: "JOHN SMITH" },
        resync: false,
      },
    ]);
    assert.deepEqual(events(a, "CHK0   101"), [{ kind: "check-out", via: "CHK", room: "101", resync: false }]);
  });

  test("NAM 3 (delete) makes no event: it must not occupy a vacant room again", () => {
    const a = mitelAdapter({ charset: "latin1" });
    assert.deepEqual(events(a, "NAM3 SMITH,JOHN             101"), []);
  });

  test("room statuses: MW, DND, RST", () => {
    const a = mitelAdapter({ charset: "latin1" });
    assert.deepEqual(events(a, "MW 1   101"), [{ kind: "room-status", via: "MW", room: "101", messageWaiting: true }]);
    assert.deepEqual(events(a, "DND0   101"), [{ kind: "room-status", via: "DND", room: "101", dnd: false }]);
    assert.deepEqual(events(a, "RST0   101"), [{ kind: "room-status", via: "RST", room: "101", classOfService: 0 }]);
  });

  test("a wake-up replaces the room's one wake-up; blanks cancel it", () => {
    const a = mitelAdapter({ charset: "latin1" });
    assert.deepEqual(events(a, "WKP0630  101"), [
      { kind: "wakeup-cancel", via: "WKP", room: "101" },
      { kind: "wakeup-set", via: "WKP", room: "101", time: { hour: 6, minute: 30, second: 0, withSeconds: false } },
    ]);
    assert.deepEqual(events(a, "WKP      101"), [{ kind: "wakeup-cancel", via: "WKP", room: "101" }]);
  });

  test("GRS … END: resync events, and the guest events between carry resync", () => {
    const a = mitelAdapter({ charset: "latin1" });
    assert.deepEqual(events(a, "GRS       "), [{ kind: "resync-start", via: "GRS" }]);
    assert.equal(a.inResync, true);
    assert.equal((events(a, "CHK1   101")[0] as { resync: boolean }).resync, true);
    assert.equal((events(a, "NAM1 SMITH,JOHN             101")[0] as { resync: boolean }).resync, true);
    assert.equal((events(a, "CHK0   102")[0] as { resync: boolean }).resync, true);
    assert.deepEqual(events(a, "END       "), [{ kind: "resync-end", via: "END" }]);
    assert.equal((events(a, "CHK1   101")[0] as { resync: boolean }).resync, false);
  });

  test("after a restart, the ingest's persisted resync state counts until a GRS or END is seen", () => {
    let active = true;
    const a = mitelAdapter({ charset: "latin1", resyncActive: () => active });
    assert.equal((events(a, "CHK1   101")[0] as { resync: boolean }).resync, true);
    events(a, "END       ");
    active = true; // the ingest applies END later: the adapter's own view wins
    assert.equal((events(a, "CHK1   101")[0] as { resync: boolean }).resync, false);
  });

  test("Mitel 2 check-in with a name", () => {
    const a = mitelAdapter({ charset: "latin1", profile: MITEL_PROFILES.mitel2 });
    const [ev] = events(a, "CHK1   101 SMITH,JOHN");
    assert.equal(ev.kind, "check-in");
    assert.equal(ev.kind === "check-in" && ev.guest.lastName, "SMITH");
  });

  test("parse reports invalid frames; typeOf and printable", () => {
    const a = mitelAdapter({ charset: "latin1" });
    const r = a.parse(bytes("CHK3   101"));
    assert.equal(r.ok, false);
    const g = a.parse(bytes("GRS       "));
    assert.ok(g.ok);
    assert.equal(a.typeOf(g.frame), "GRS");
    assert.equal(a.printable(Uint8Array.of(2, 0x41, 3)), "<02>A<03>");
  });
});

const AT = { year: 2026, month: 1, day: 1, hour: 12, minute: 0, second: 0 };

describe("Mitel adapter: actions → Mitel text", () => {
  const a = mitelAdapter({ charset: "latin1" });

  test("housekeeping → STS with the maid code", () => {
    assert.deepEqual(a.render({ kind: "housekeeping", room: "101", status: 3 }), { type: "STS", text: "STS8 101  " });
    assert.deepEqual(a.render({ kind: "housekeeping", room: "101", status: 2 }), { type: "STS", text: "STS7 101  " });
    assert.equal(a.render({ kind: "housekeeping", room: "101", status: 42 }), undefined);
    const custom = mitelAdapter({ charset: "latin1", maidStatus: { 42: 4 } });
    assert.equal(custom.render({ kind: "housekeeping", room: "101", status: 42 })?.text, "STS4 101  ");
  });

  test("voicemail-count → the lamp", () => {
    assert.equal(a.render({ kind: "voicemail-count", room: "101", unread: 2, read: 0 })?.text, "MW 1 101  ");
    assert.equal(a.render({ kind: "voicemail-count", room: "101", unread: 0, read: 3 })?.text, "MW 0 101  ");
  });

  test("posting with pulses → MR; without pulses, or too many, nothing", () => {
    assert.deepEqual(a.render({ kind: "posting", room: "101", sequence: 1, charge: "call", at: AT, pulses: 12 }), {
      type: "MR",
      text: "MR 0012101  ",
    });
    assert.equal(
      a.render({ kind: "posting", room: "101", sequence: 1, charge: "call", at: AT, amount: 100 }),
      undefined,
    );
    assert.equal(
      a.render({ kind: "posting", room: "101", sequence: 1, charge: "call", at: AT, pulses: 10_000 }),
      undefined,
    );
  });

  test("resync-request → RQINZ; wake-up results and message-retrieved have no Mitel message", () => {
    const at = { year: 2026, month: 1, day: 1, hour: 12, minute: 0, second: 0 };
    assert.deepEqual(a.render({ kind: "resync-request", at }), { type: "RQINZ", text: "RQINZ     " });
    const date = { year: 2026, month: 1, day: 2 };
    const time = { hour: 6, minute: 30, second: 0, withSeconds: false };
    assert.equal(a.render({ kind: "wakeup-result", room: "101", date, time, status: "OK" }), undefined);
    assert.equal(a.render({ kind: "message-retrieved", room: "101", reservation: "", messageId: "1" }), undefined);
  });

  test("isMessage accepts only what we send", () => {
    assert.equal(a.isMessage("STS2 101  "), true);
    assert.equal(a.isMessage("RQINZ     "), true);
    assert.equal(a.isMessage("CHK1   101"), false);
    assert.equal(a.isMessage("GI|RN101|"), false);
  });
});
