import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { NEW_PIN } from "../../src/ivr/voicemail-entry.ts";
import { typed } from "../helpers/fake-channel.ts";
import { after, heard, MESSAGES, retrieval } from "./voicemail-fixture.ts";

const MENU = "vm-menu-duvoice";
const NEW = (nth = 1) => ({ after: "vm-enter-new-pin", nth, delay: 300 });
const AGAIN = (nth = 1) => ({ after: "vm-confirm-pin", nth, delay: 300 });

describe("setting a PIN from the menu (8)", () => {
  test("4–8 digits", () => {
    for (const ok of ["1234", "00000000", "123456"]) assert.ok(NEW_PIN.test(ok), ok);
    for (const bad of ["", "123", "123456789", "12*4", "12#4", "abcd"]) assert.ok(!NEW_PIN.test(bad), bad);
  });

  test("entered twice: set, then the menu of the same message again (not replayed)", async () => {
    const c = retrieval({
      script: {
        keys: [after(MENU, 1, "8"), ...typed("4321#", NEW()), ...typed("4321#", AGAIN()), after(MENU, 2, "3")],
        hangup: { during: "msg:m2" },
      },
    });
    const r = await c.run();
    assert.equal(r.pinSet, true);
    assert.deepEqual(c.calls.setPin, [["101", "4321"]]);
    const labels = c.channel.labels();
    assert.deepEqual(labels.slice(labels.indexOf("msg:m1")), [
      "msg:m1",
      MENU,
      "vm-enter-new-pin",
      "vm-confirm-pin",
      "vm-pin-set",
      MENU,
      ...heard(2),
    ]);
  });

  test("the two entries differ: not changed", async () => {
    const c = retrieval({
      script: {
        keys: [after(MENU, 1, "8"), ...typed("4321#", NEW()), ...typed("4322#", AGAIN())],
        hangup: { after: MENU, nth: 2 },
      },
    });
    const r = await c.run();
    assert.equal(r.pinSet, false);
    assert.deepEqual(c.calls.setPin, []);
    assert.deepEqual(c.channel.labels().slice(-4), ["vm-confirm-pin", "vm-pins-differ", "vm-pin-not-set", MENU]);
  });

  test("too short, too long, not digits, nothing: not changed, never asked twice", async () => {
    for (const [keys, why] of [
      ["12#", "invalid"],
      ["123456789#", "invalid"],
      ["12*45#", "invalid"],
      ["#", "no-input"],
      ["", "no-input"],
    ] as const) {
      const c = retrieval({
        script: { keys: [after(MENU, 1, "8"), ...typed(keys, NEW())], hangup: { after: MENU, nth: 2 } },
      });
      await c.run();
      assert.deepEqual(c.calls.setPin, [], keys);
      assert.deepEqual(c.channel.labels().slice(-4), ["vm-enter-new-pin", why, "vm-pin-not-set", MENU], keys);
    }
  });

  test("storing fails: not changed, the call goes on", async () => {
    const c = retrieval({
      fail: { setPin: true },
      script: {
        keys: [after(MENU, 1, "8"), ...typed("4321#", NEW()), ...typed("4321#", AGAIN())],
        hangup: { after: MENU, nth: 2 },
      },
    });
    const r = await c.run();
    assert.equal(r.pinSet, false);
    assert.deepEqual(c.channel.labels().slice(-3), ["vm-confirm-pin", "vm-pin-not-set", MENU]);
    assert.ok(c.logger.lines.some((l) => l.msg === "voicemail PIN from the phone not stored" && l.room === "101"));
    assert.ok(!JSON.stringify(c.logger.lines).includes("4321"));
  });

  test("from the end menu, and with the asterisk map too", async () => {
    for (const keymap of ["duvoice", "asterisk"] as const) {
      const end = `vm-end-menu-${keymap}`;
      const c = retrieval({
        opts: { keymap },
        box: { messages: [] },
        script: {
          keys: [after(end, 1, "8"), ...typed("2468#", NEW()), ...typed("2468#", AGAIN())],
          hangup: { after: end, nth: 2 },
        },
      });
      await c.run();
      assert.deepEqual(c.calls.setPin, [["101", "2468"]]);
      assert.deepEqual(c.channel.labels(), [
        "vm-no-messages",
        end,
        "vm-enter-new-pin",
        "vm-confirm-pin",
        "vm-pin-set",
        end,
      ]);
    }
  });

  test("after a PIN login, for the room logged into", async () => {
    const c = retrieval({
      opts: { room: undefined },
      pins: { "205": "1111" },
      box: { messages: [MESSAGES[0]] },
      script: {
        keys: [
          ...typed("205#", { after: "vm-enter-room", delay: 300 }),
          ...typed("1111#", { after: "vm-enter-pin", delay: 300 }),
          after(MENU, 1, "8"),
          ...typed("9999#", NEW()),
          ...typed("9999#", AGAIN()),
        ],
        hangup: { after: "vm-pin-set" },
      },
    });
    await c.run();
    assert.deepEqual(c.calls.setPin, [["205", "9999"]]);
  });
});
