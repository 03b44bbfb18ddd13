import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { lampOf, opCapability, type PbxOp, pbxOpsFor } from "../../src/domain/pbx-ops.ts";
import { checkIn, checkOut, moveGuest, newRoom, type Room } from "../../src/domain/room.ts";

const templates = { nameTemplate: "${vip} ${first} ${last} ${extension}", vacantNameTemplate: "Vacant ${extension}" };
const rules = { checkinClassOfService: 3, checkoutClassOfService: 0 };

const names = (ops: PbxOp[]) => ops.map((o) => o.op);

function smith(room = newRoom("101", "2101")): Room {
  return checkIn(
    room,
    {
      guest: { reservation: "1", firstName: "Ann", lastName: "Smith", arrival: "2026-11-20", departure: "2026-11-25" },
      keepStatuses: false,
    },
    rules,
  );
}

describe("pbxOpsFor", () => {
  test("check-in yields checkin (which carries the name) and class of service; no separate name op", () => {
    const before = newRoom("101", "2101");
    const ops = pbxOpsFor(before, smith(before), templates);
    assert.deepEqual(names(ops), ["checkin", "cos"]);
    assert.deepEqual(ops[0], {
      op: "checkin",
      room: "101",
      extension: "2101",
      name: "Ann Smith 2101",
      arrival: "2026-11-20",
      departure: "2026-11-25",
      vip: "",
      language: "",
      classOfService: 3,
    });
    assert.deepEqual(ops[1], { op: "cos", room: "101", extension: "2101", classOfService: 3 });
  });

  test("check-in adds a dnd op when the room ends up with DND on", () => {
    const before = { ...newRoom("101", "2101"), dnd: false };
    const after = checkIn(
      { ...before, dnd: true },
      { guest: { reservation: "1", lastName: "Smith" }, keepStatuses: true },
      rules,
    );
    const ops = pbxOpsFor(before, after, templates);
    assert.deepEqual(names(ops), ["checkin", "dnd", "cos"]);
    assert.deepEqual(ops[1], { op: "dnd", room: "101", extension: "2101", dnd: true });
  });

  test("check-in of a room never seen before yields a class-of-service op", () => {
    const ops = pbxOpsFor(undefined, smith(), templates);
    assert.deepEqual(names(ops), ["checkin", "cos"]);
  });

  test("check-out yields checkout (carrying the vacant name), voicemail cleanup, dnd off and the check-out COS", () => {
    const before = { ...smith(), dnd: true };
    const after = checkOut(before, undefined, rules);
    const ops = pbxOpsFor(before, after, templates);
    assert.deepEqual(names(ops), ["checkout", "voicemail-cleanup", "dnd", "cos"]);
    assert.deepEqual(ops[0], { op: "checkout", room: "101", extension: "2101", name: "Vacant 2101" });
    assert.deepEqual(ops[2], { op: "dnd", room: "101", extension: "2101", dnd: false });
    assert.deepEqual(ops[3], { op: "cos", room: "101", extension: "2101", classOfService: 0 });
  });

  test("a guest change that does not change the rendered name sends no name op", () => {
    const before = smith();
    const after = checkIn(before, { guest: { reservation: "1", title: "Mrs." }, keepStatuses: true }, rules);
    assert.deepEqual(pbxOpsFor(before, after, templates), []);
  });

  test("a name change sends one name op", () => {
    const before = smith();
    const after = checkIn(before, { guest: { reservation: "1", lastName: "Jones" }, keepStatuses: true }, rules);
    const ops = pbxOpsFor(before, after, templates);
    assert.deepEqual(ops, [{ op: "name", room: "101", extension: "2101", name: "Ann Jones 2101", occupied: true }]);
  });

  test("a change of VIP, language or dates sends a guest op (and a name op only if the name shows it)", () => {
    const before = smith();
    const lang = checkIn(before, { guest: { reservation: "1", language: "IT" }, keepStatuses: true }, rules);
    assert.deepEqual(names(pbxOpsFor(before, lang, templates)), ["guest"]);
    const vip = checkIn(before, { guest: { reservation: "1", vip: "V1" }, keepStatuses: true }, rules);
    const ops = pbxOpsFor(before, vip, templates);
    assert.deepEqual(names(ops), ["guest", "name"]);
    assert.deepEqual(ops[0], {
      op: "guest",
      room: "101",
      extension: "2101",
      arrival: "2026-11-20",
      departure: "2026-11-25",
      vip: "V1",
      language: "",
    });
  });

  test("DND and class-of-service changes alone", () => {
    const before = smith();
    assert.deepEqual(pbxOpsFor(before, { ...before, dnd: true }, templates), [
      { op: "dnd", room: "101", extension: "2101", dnd: true },
    ]);
    assert.deepEqual(pbxOpsFor(before, { ...before, classOfService: 1 }, templates), [
      { op: "cos", room: "101", extension: "2101", classOfService: 1 },
    ]);
  });

  test("no change, no ops", () => {
    const r = smith();
    assert.deepEqual(pbxOpsFor(r, r, templates), []);
    assert.deepEqual(pbxOpsFor(r, structuredClone(r), templates), []);
    const v = newRoom("101", "2101");
    assert.deepEqual(pbxOpsFor(v, { ...v }, templates), []);
  });

  test("a message lamp change is a lamp op (for links that light lamps: SIP MWI)", () => {
    const r = smith();
    assert.deepEqual(pbxOpsFor(r, { ...r, messageLamp: 2 }, templates), [
      { op: "lamp", room: "101", extension: "2101", count: 2, old: 0 },
    ]);
  });

  test("the lamp counts PMS text messages and new voice messages; saved ones are its `old`", () => {
    const r = { ...smith(), messageLamp: 1 };
    assert.deepEqual(pbxOpsFor(r, { ...r, voiceNew: 2 }, templates), [
      { op: "lamp", room: "101", extension: "2101", count: 3, old: 0 },
    ]);
    // Saving a message: one fewer new, one more old; the phone's Voice-Message line changes too.
    const heard = { ...r, voiceNew: 1, voiceSaved: 1 };
    assert.deepEqual(pbxOpsFor({ ...r, voiceNew: 2 }, heard, templates), [
      { op: "lamp", room: "101", extension: "2101", count: 2, old: 1 },
    ]);
    assert.deepEqual(pbxOpsFor(heard, { ...heard, voiceSaved: 2 }, templates), [
      { op: "lamp", room: "101", extension: "2101", count: 2, old: 2 },
    ]);
    assert.deepEqual(lampOf(heard), { count: 2, old: 1 });
  });

  test("a room move checks the new room in and the old one out", () => {
    const from = smith();
    const to = newRoom("202", "2202");
    const moved = moveGuest(from, to, { reservation: "1" }, rules);
    assert.deepEqual(names(pbxOpsFor(to, moved.to, templates)), ["checkin", "cos"]);
    assert.deepEqual(names(pbxOpsFor(from, moved.from, templates)), ["checkout", "voicemail-cleanup", "cos"]);
  });

  test("every op maps to a capability", () => {
    assert.deepEqual(opCapability, {
      checkin: "checkin-state",
      checkout: "checkin-state",
      name: "names",
      dnd: "dnd",
      cos: "class-of-service",
      guest: "guest-info",
      "voicemail-cleanup": "voicemail-cleanup",
      lamp: "message-lamp",
    });
  });
});
