import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isRoomNumber, ROOM_NUMBER_RULE, roomNumberProblem } from "../../src/domain/room-number.ts";

describe("the room number rule", () => {
  test("room numbers hotels use", () => {
    for (const n of ["101", "0101", "1", "A12", "B-204", "12.3", "suite_1", "PH1", "9".repeat(20)]) {
      assert.ok(isRoomNumber(n), n);
      assert.equal(roomNumberProblem(n), undefined, n);
    }
  });

  test("what must never become a room", () => {
    for (const n of [
      "",
      "$2089",
      "20 89",
      " 101",
      "101|RN102",
      "-101",
      ".101",
      "_1",
      "1".repeat(21),
      "1".repeat(1900),
      "10\u00001",
      "10\r1",
      "1è1",
      "１０１", // full-width digits
    ]) {
      assert.equal(isRoomNumber(n), false, JSON.stringify(n));
      assert.match(roomNumberProblem(n) ?? "", / is not a room number \(/, JSON.stringify(n));
    }
  });

  test("the message names the source, quotes the value as JSON and cuts a long one short", () => {
    assert.equal(roomNumberProblem("$2089", "GI RN"), `GI RN "$2089" is not a room number (${ROOM_NUMBER_RULE})`);
    assert.equal(roomNumberProblem("10\r1"), `room "10\\r1" is not a room number (${ROOM_NUMBER_RULE})`);
    const long = roomNumberProblem("7".repeat(1900)) ?? "";
    assert.equal(long, `room "${"7".repeat(24)}…" (1900 characters) is not a room number (${ROOM_NUMBER_RULE})`);
  });
});
