import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  checkIn,
  checkOut,
  type GuestPatch,
  moveGuest,
  newRoom,
  type Room,
  startsNewStay,
} from "../../src/domain/room.ts";

const rules = { checkinClassOfService: 3, checkoutClassOfService: 0 };

function vacant(number = "101", patch: Partial<Room> = {}): Room {
  return { ...newRoom(number, number), ...patch };
}

function guest(reservation: string, patch: GuestPatch = {}): GuestPatch & { reservation: string } {
  return { reservation, ...patch };
}

/** Room 101 with Smith (G#1) checked in, DND on, COS 2 and two messages waiting. */
function occupied(): Room {
  const r = checkIn(
    vacant(),
    { guest: guest("1", { lastName: "Smith", firstName: "Ann" }), keepStatuses: false },
    rules,
  );
  return { ...r, dnd: true, classOfService: 2, messageLamp: 2 };
}

function withSharer(): Room {
  return checkIn(occupied(), { guest: guest("2", { lastName: "Jones", sharer: true }), keepStatuses: false }, rules);
}

describe("checkIn", () => {
  test("on an empty room resets DND, lamp and class of service to the check-in defaults", () => {
    const before = vacant("101", { dnd: true, messageLamp: 3, classOfService: 0 });
    const after = checkIn(before, { guest: guest("1", { lastName: "Smith" }), keepStatuses: false }, rules);
    assert.equal(after.occupied, true);
    assert.equal(after.dnd, false);
    assert.equal(after.messageLamp, 0);
    assert.equal(after.classOfService, 3);
    assert.deepEqual(
      after.guests.map((g) => [g.reservation, g.lastName, g.sharer]),
      [["1", "Smith", false]],
    );
  });

  test("a class of service sent with the check-in wins over the default", () => {
    const after = checkIn(vacant(), { guest: guest("1"), classOfService: 1, keepStatuses: false }, rules);
    assert.equal(after.classOfService, 1);
  });

  test("with keepStatuses (FIAS SF) the PMS statuses stay; the vacancy class of service does not", () => {
    const before = vacant("101", { dnd: true, messageLamp: 2, classOfService: 0 });
    const after = checkIn(before, { guest: guest("1", { lastName: "Smith" }), keepStatuses: true }, rules);
    assert.equal(after.occupied, true);
    assert.equal(after.dnd, true);
    assert.equal(after.messageLamp, 2);
    assert.equal(after.classOfService, rules.checkinClassOfService, "a guest arriving by resync is not barred");
    const withCs = checkIn(before, { guest: guest("1"), keepStatuses: true, classOfService: 1 }, rules);
    assert.equal(withCs.classOfService, 1, "a CS in the record wins");
  });

  test("a repeated check-in of the same reservation changes nothing", () => {
    const input = { guest: guest("1", { lastName: "Smith", firstName: "Ann" }), keepStatuses: false };
    const once = checkIn(vacant(), input, rules);
    const twice = checkIn(once, input, rules);
    assert.deepEqual(twice, once);
    assert.equal(twice.guests.length, 1);
  });

  test("a repeated check-in in an occupied room does not reset its statuses", () => {
    const before = occupied();
    const after = checkIn(before, { guest: guest("1", { lastName: "Smith" }), keepStatuses: false }, rules);
    assert.deepEqual(after, before);
  });

  test("a sharer (GS=Y) joins and the primary guest stays first", () => {
    const after = withSharer();
    assert.deepEqual(
      after.guests.map((g) => [g.reservation, g.sharer]),
      [
        ["1", false],
        ["2", true],
      ],
    );
    assert.equal(after.dnd, true, "statuses of the occupied room stay");
    assert.equal(after.classOfService, 2);
  });

  test("a non-sharer arriving in an occupied room replaces the guests there", () => {
    const after = checkIn(withSharer(), { guest: guest("9", { lastName: "New" }), keepStatuses: false }, rules);
    assert.deepEqual(
      after.guests.map((g) => g.reservation),
      ["9"],
    );
    assert.equal(after.occupied, true);
  });

  test("only the fields sent change on an existing guest", () => {
    const after = checkIn(occupied(), { guest: guest("1", { language: "IT" }), keepStatuses: true }, rules);
    assert.equal(after.guests[0].lastName, "Smith");
    assert.equal(after.guests[0].firstName, "Ann");
    assert.equal(after.guests[0].language, "IT");
  });
});

describe("checkOut", () => {
  test("of one sharer keeps the room occupied with the other guest", () => {
    const after = checkOut(withSharer(), "2", rules);
    assert.equal(after.occupied, true);
    assert.deepEqual(
      after.guests.map((g) => g.reservation),
      ["1"],
    );
    assert.equal(after.dnd, true);
    assert.equal(after.classOfService, 2);
  });

  test("of the primary guest promotes the next guest, no longer a sharer", () => {
    const after = checkOut(withSharer(), "1", rules);
    assert.equal(after.occupied, true);
    assert.deepEqual(
      after.guests.map((g) => [g.reservation, g.sharer]),
      [["2", false]],
    );
  });

  test("of the last guest empties the room and sets the check-out class of service", () => {
    const after = checkOut(checkOut(withSharer(), "1", rules), "2", rules);
    assert.equal(after.occupied, false);
    assert.deepEqual(after.guests, []);
    assert.equal(after.dnd, false);
    assert.equal(after.messageLamp, 0);
    assert.equal(after.classOfService, 0);
  });

  test("without a reservation everybody leaves", () => {
    const after = checkOut(withSharer(), undefined, rules);
    assert.equal(after.occupied, false);
    assert.deepEqual(after.guests, []);
  });

  test("of a reservation not in the room changes nothing", () => {
    const before = withSharer();
    assert.equal(checkOut(before, "77", rules), before);
  });
});

describe("moveGuest", () => {
  test("the guest takes names, DND, class of service and the message lamp along", () => {
    const from = occupied();
    const { from: a, to: b } = moveGuest(from, vacant("202"), guest("1"), rules);
    assert.equal(b.occupied, true);
    assert.deepEqual(
      b.guests.map((g) => [g.reservation, g.firstName, g.lastName]),
      [["1", "Ann", "Smith"]],
    );
    assert.equal(b.dnd, true);
    assert.equal(b.classOfService, 2);
    assert.equal(b.messageLamp, 2);
    assert.equal(b.number, "202");
    assert.equal(a.occupied, false);
    assert.deepEqual(a.guests, []);
    assert.equal(a.dnd, false);
    assert.equal(a.messageLamp, 0);
    assert.equal(a.classOfService, 0);
  });

  test("fields sent with the move change on the way", () => {
    const { to } = moveGuest(occupied(), vacant("202"), guest("1", { lastName: "Smith-Jones" }), rules);
    assert.equal(to.guests[0].lastName, "Smith-Jones");
    assert.equal(to.guests[0].firstName, "Ann");
  });

  test("moving one sharer leaves the other guest in the old room", () => {
    const { from, to } = moveGuest(withSharer(), vacant("202"), guest("2"), rules);
    assert.equal(from.occupied, true);
    assert.deepEqual(
      from.guests.map((g) => g.reservation),
      ["1"],
    );
    assert.equal(from.messageLamp, 2, "the lamp stays with the guest still in the room");
    assert.deepEqual(
      to.guests.map((g) => g.reservation),
      ["2"],
    );
    assert.equal(to.occupied, true);
    assert.equal(to.dnd, true);
    assert.equal(to.classOfService, 2);
  });

  test("moving a guest who is not in the old room leaves it alone and checks in on the new room", () => {
    const from = withSharer();
    const target = vacant("202", { dnd: true, messageLamp: 1 });
    const { from: a, to: b } = moveGuest(from, target, guest("7", { lastName: "New" }), rules);
    assert.equal(a, from, "the old room's guests stay");
    assert.deepEqual(
      b.guests.map((g) => [g.reservation, g.lastName, g.firstName]),
      [["7", "New", ""]],
    );
    assert.equal(b.dnd, false, "check-in defaults, not the old room's statuses");
    assert.equal(b.messageLamp, 0);
    assert.equal(b.classOfService, 3);
  });

  test("a move already done, repeated, changes nothing", () => {
    const first = moveGuest(withSharer(), vacant("202"), guest("2"), rules);
    const again = moveGuest(first.from, first.to, guest("2"), rules);
    assert.deepEqual(again.from, first.from);
    assert.deepEqual(again.to, first.to);
  });

  test("without a reservation (room-based PMS) the primary guest moves", () => {
    const from = checkIn(vacant(), { guest: guest("", { lastName: "Smith" }), keepStatuses: false }, rules);
    const { from: a, to: b } = moveGuest({ ...from, dnd: true }, vacant("202"), guest(""), rules);
    assert.equal(a.occupied, false);
    assert.deepEqual(
      b.guests.map((g) => g.lastName),
      ["Smith"],
    );
    assert.equal(b.dnd, true);
  });
});

describe("voice counts (guest voicemail follows the stay)", () => {
  const withVoice = (r: Room): Room => ({ ...r, voiceNew: 2, voiceSaved: 1 });

  test("the last guest out empties the box's counts; a sharer's check-out leaves them", () => {
    const out = checkOut(withVoice(occupied()), undefined, rules);
    assert.deepEqual([out.voiceNew, out.voiceSaved], [0, 0]);
    const sharerOut = checkOut(withVoice(withSharer()), "2", rules);
    assert.deepEqual([sharerOut.voiceNew, sharerOut.voiceSaved], [2, 1]);
  });

  test("an online check-in starting a new stay starts at zero; a resync record or a repeat does not", () => {
    const leftover = withVoice(vacant());
    const online = checkIn(leftover, { guest: guest("9"), keepStatuses: false }, rules);
    assert.deepEqual([online.voiceNew, online.voiceSaved], [0, 0]);
    const replaced = checkIn(withVoice(occupied()), { guest: guest("9"), keepStatuses: false }, rules);
    assert.deepEqual(
      [replaced.voiceNew, replaced.voiceSaved],
      [0, 0],
      "guests replaced: their box is not the newcomer's",
    );
    const resync = checkIn(withVoice(occupied()), { guest: guest("9"), keepStatuses: true }, rules);
    assert.deepEqual([resync.voiceNew, resync.voiceSaved], [2, 1]);
    const repeat = checkIn(withVoice(occupied()), { guest: guest("1"), keepStatuses: false }, rules);
    assert.deepEqual([repeat.voiceNew, repeat.voiceSaved], [2, 1]);
    const sharer = checkIn(withVoice(occupied()), { guest: guest("2", { sharer: true }), keepStatuses: false }, rules);
    assert.deepEqual([sharer.voiceNew, sharer.voiceSaved], [2, 1]);
  });

  test("startsNewStay: occupied by reservations none of which were there", () => {
    const r = occupied();
    assert.equal(startsNewStay(undefined, r), true);
    assert.equal(startsNewStay(vacant(), r), true);
    assert.equal(startsNewStay(r, r), false);
    assert.equal(startsNewStay(r, checkIn(r, { guest: guest("9"), keepStatuses: false }, rules)), true);
    assert.equal(startsNewStay(r, withSharer()), false);
    assert.equal(startsNewStay(r, checkOut(r, undefined, rules)), false);
  });

  test("the last guest moving takes the counts, added to an occupied destination's", () => {
    const { from, to } = moveGuest(withVoice(occupied()), vacant("202"), guest("1"), rules);
    assert.deepEqual([from.voiceNew, from.voiceSaved, to.voiceNew, to.voiceSaved], [0, 0, 2, 1]);
    const dest = { ...checkIn(vacant("202"), { guest: guest("5"), keepStatuses: false }, rules), voiceNew: 1 };
    const joined = moveGuest(withVoice(occupied()), dest, guest("1"), rules);
    assert.deepEqual([joined.to.voiceNew, joined.to.voiceSaved], [3, 1]);
  });

  test("a sharer moving out leaves the box with the room", () => {
    const { from, to } = moveGuest(withVoice(withSharer()), vacant("202"), guest("2"), rules);
    assert.deepEqual([from.voiceNew, from.voiceSaved, to.voiceNew, to.voiceSaved], [2, 1, 0, 0]);
  });
});
