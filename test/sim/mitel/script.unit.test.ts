import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseMitelScript } from "../../../src/sim/mitel/script.ts";

describe("Mitel simulator scripts", () => {
  test("every step parses", () => {
    const { steps, errors } = parseMitelScript(`
      # a check-in
      wait-connected 5000
      checkin 101
      name 101 SMITH,JOHN      # NAM1
      rename 101 SMITH,JANE
      unname 101
      mw 101 on
      dnd 101 off
      rst 101 2
      wakeup 101 0630
      wakeup 101 cancel
      send "CHK3   101"
      resync
      expect STS 101 8 within 2000
      expect MW 101 on
      expect RQINZ
      sleep 10
      checkout 101
      drop
    `);
    assert.deepEqual(errors, []);
    assert.equal(steps.length, 18);
    assert.deepEqual(steps[2], {
      line: 5,
      text: "name 101 SMITH,JOHN",
      op: "send",
      message: { type: "NAM", room: "101", op: 1, name: { last: "SMITH", first: "JOHN" } },
    });
    assert.deepEqual(steps[10], { line: 13, text: 'send "CHK3   101"', op: "send", message: "CHK3   101" });
    assert.deepEqual(steps[12], {
      line: 15,
      text: "expect STS 101 8 within 2000",
      op: "expect",
      match: { type: "STS", room: "101", status: 8 },
      ms: 2000,
    });
  });

  test("errors name the line, and nothing runs", () => {
    const { errors } = parseMitelScript("checkin\nmw 101 maybe\nwakeup 101 2500\nexpect CHK\nsend CHK1\nfly 1");
    assert.equal(errors.length, 6);
    assert.match(errors[0], /^line 1: not a room number/);
    assert.match(errors[1], /^line 2: expected on or off/);
    assert.match(errors[2], /^line 3: wakeup wants HHMM/);
    assert.match(errors[3], /^line 4: expect STS, MW, MR or RQINZ/);
    assert.match(errors[4], /^line 5: send wants a quoted text/);
    assert.match(errors[5], /^line 6: unknown step "fly"/);
  });
});
