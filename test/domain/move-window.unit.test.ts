import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { guestNameKey, MoveWindow } from "../../src/domain/move-window.ts";
import type { PmsEvent } from "../../src/domain/pms-events.ts";

const out = (room: string): PmsEvent => ({ kind: "check-out", via: "CHK", room, resync: false });
const inn = (room: string, last?: string, first?: string): PmsEvent => ({
  kind: "check-in",
  via: "CHK",
  room,
  guest: last ? { reservation: "", lastName: last, firstName: first } : { reservation: "" },
  resync: false,
});
const name = (room: string, last: string, first: string): PmsEvent => ({
  kind: "guest-change",
  via: "NAM",
  room,
  guest: { reservation: "", lastName: last, firstName: first, fullName: `${first} ${last}` },
  resync: false,
});
const SMITH = { lastName: "Smith", firstName: "John" };

describe("move window: check-out + check-in of the same guest = a move", () => {
  test("Mitel: CHK0 old, CHK1 new, NAM new within 10 s → one guest-change with fromRoom", () => {
    const w = new MoveWindow();
    assert.deepEqual(w.push(out("101"), 0, SMITH), []);
    assert.deepEqual(w.push(inn("205"), 1000), []);
    const got = w.push(name("205", "SMITH", "JOHN"), 2000);
    assert.equal(got.length, 1);
    assert.deepEqual(got[0], {
      kind: "guest-change",
      via: "NAM",
      room: "205",
      fromRoom: "101",
      guest: { reservation: "", lastName: "SMITH", firstName: "JOHN", fullName: "JOHN SMITH" },
      resync: false,
    });
    assert.equal(w.holding, 0);
  });

  test("a check-in that carries the name pairs at once", () => {
    const w = new MoveWindow();
    w.push(out("101"), 0, SMITH);
    const [ev] = w.push(inn("205", "smith ", " john"), 500);
    assert.equal(ev.kind === "guest-change" && ev.fromRoom, "101");
  });

  test("another name: the check-out and check-in stand as sent", () => {
    const w = new MoveWindow();
    w.push(out("101"), 0, SMITH);
    assert.deepEqual(w.push(inn("205"), 1000), []);
    const got = w.push(name("205", "JONES", "ANN"), 2000);
    assert.deepEqual(
      got.map((e) => e.kind),
      ["check-in", "guest-change"],
    );
    assert.equal(w.nextDue(), 10_000);
    assert.deepEqual(w.due(9_999), []);
    assert.deepEqual(w.due(10_000), [out("101")]);
  });

  test("the window passes: the check-out is released by due(), nothing pairs later", () => {
    const w = new MoveWindow({ windowMs: 5000 });
    w.push(out("101"), 0, SMITH);
    assert.deepEqual(w.due(5000), [out("101")]);
    assert.deepEqual(w.push(inn("205", "SMITH", "JOHN"), 6000), [inn("205", "SMITH", "JOHN")]);
  });

  test("a check-out without a known guest name is not held", () => {
    const w = new MoveWindow();
    assert.deepEqual(w.push(out("101"), 0), [out("101")]);
    assert.deepEqual(w.push(inn("205"), 1), [inn("205")]);
  });

  test("other events about a held room release it first; other rooms pass", () => {
    const w = new MoveWindow();
    w.push(out("101"), 0, SMITH);
    const mw: PmsEvent = { kind: "room-status", room: "300", messageWaiting: true };
    assert.deepEqual(w.push(mw, 1), [mw]);
    const mw101: PmsEvent = { kind: "room-status", room: "101", messageWaiting: false };
    assert.deepEqual(w.push(mw101, 2), [out("101"), mw101]);
  });

  test("resync events flush and are never paired", () => {
    const w = new MoveWindow();
    w.push(out("101"), 0, SMITH);
    const got = w.push({ kind: "resync-start", via: "GRS" }, 1);
    assert.deepEqual(
      got.map((e) => e.kind),
      ["check-out", "resync-start"],
    );
    const rs: PmsEvent = { ...inn("205", "SMITH", "JOHN"), resync: true } as PmsEvent;
    assert.deepEqual(w.push(rs, 2), [rs]);
    w.push(out("102"), 3, SMITH);
    assert.deepEqual(w.flush(), [out("102")]);
  });

  test("name keys ignore case, spacing and the comma spelling", () => {
    assert.equal(
      guestNameKey({ lastName: " Smith ", firstName: "John" }),
      guestNameKey({ lastName: "SMITH", firstName: "JOHN" }),
    );
    assert.equal(guestNameKey({ firstName: "John" }), undefined);
  });
});
