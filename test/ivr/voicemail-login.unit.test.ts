import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { typed } from "../helpers/fake-channel.ts";
import { heard, retrieval } from "./voicemail-fixture.ts";

const ROOM = (nth = 1) => ({ after: "vm-enter-room", nth, delay: 300 });
const PIN = (nth = 1) => ({ after: "vm-enter-pin", nth, delay: 300 });
const INTRO = ["vm-you-have", "num-2", "vm-new-many", "and", "vm-saved-one"];

describe("voicemail login with room number and PIN", () => {
  test("room and PIN: the mailbox opens, in its own language from then on", async () => {
    const c = retrieval({
      opts: { room: undefined },
      box: { language: "GE" },
      script: { keys: [...typed("101#", ROOM()), ...typed("1234#", PIN())], hangup: { during: "msg:m1" } },
    });
    const r = await c.run();
    assert.equal(r.room, "101");
    assert.deepEqual(c.calls.checkPin, [["101", "1234"]]);
    assert.deepEqual(c.calls.mailbox, ["101"]);
    assert.deepEqual(c.channel.labels(), ["vm-enter-room", "vm-enter-pin", ...INTRO, ...heard(1, "de")]);
    const langs = c.prompts.requests.map((q) => `${q.id}:${q.lang}`);
    assert.deepEqual(langs.slice(0, 3), ["vm-enter-room:en", "vm-enter-pin:en", "vm-you-have:de"]);
  });

  test("keys typed during the prompts count (barge-in), and a pause ends an entry like #", async () => {
    const c = retrieval({
      opts: { room: undefined },
      script: {
        keys: [...typed("101", { during: "vm-enter-room" }, 100), ...typed("1234", { during: "vm-enter-pin" }, 100)],
        hangup: { during: "msg:m1" },
      },
    });
    await c.run();
    assert.deepEqual(c.calls.checkPin, [["101", "1234"]]);
  });

  test("a wrong PIN: not correct, asked again from the room number", async () => {
    const c = retrieval({
      opts: { room: undefined },
      script: {
        keys: [
          ...typed("101#", ROOM(1)),
          ...typed("9999#", PIN(1)),
          ...typed("101#", ROOM(2)),
          ...typed("1234#", PIN(2)),
        ],
        hangup: { during: "msg:m1" },
      },
    });
    await c.run();
    assert.deepEqual(c.channel.labels().slice(0, 5), [
      "vm-enter-room",
      "vm-enter-pin",
      "vm-login-failed",
      "vm-enter-room",
      "vm-enter-pin",
    ]);
    assert.deepEqual(c.calls.mailbox, ["101"]);
  });

  test("three failures end the call; an unknown room sounds like a wrong PIN", async () => {
    const c = retrieval({
      opts: { room: undefined },
      script: {
        keys: [
          ...typed("101#", ROOM(1)),
          ...typed("1111#", PIN(1)),
          ...typed("999#", ROOM(2)),
          ...typed("1234#", PIN(2)),
          ...typed("101#", ROOM(3)),
          ...typed("2222#", PIN(3)),
        ],
      },
    });
    const r = await c.run();
    assert.deepEqual(r, { result: "login-failed", heard: 0, saved: 0, deleted: 0, pinSet: false });
    assert.deepEqual(c.channel.labels().slice(-3), ["vm-enter-pin", "vm-login-failed", "goodbye"]);
    assert.deepEqual(c.calls.mailbox, []);
    assert.equal(c.channel.hungUpBy, "us");
  });

  test("a room without a PIN is refused with its own notice", async () => {
    const c = retrieval({
      opts: { room: undefined },
      pins: { "102": null },
      script: {
        keys: [...typed("102#", ROOM()), ...typed("0000#", PIN())],
        hangup: { after: "vm-enter-room", nth: 2 },
      },
    });
    await c.run();
    assert.deepEqual(c.channel.labels(), ["vm-enter-room", "vm-enter-pin", "vm-no-pin", "vm-enter-room"]);
    assert.deepEqual(c.calls.mailbox, []);
  });

  test("nothing entered, too long, or not digits: no-input / invalid, asked again", async () => {
    const c = retrieval({
      opts: { room: undefined, maxTries: 4 },
      script: {
        keys: [
          ...typed("12345678901#", ROOM(2)),
          ...typed("1*1#", ROOM(3)),
          ...typed("101#", ROOM(4)),
          ...typed("#", PIN(1)),
        ],
      },
    });
    const r = await c.run();
    assert.equal(r.result, "login-failed");
    assert.deepEqual(c.channel.labels(), [
      "vm-enter-room",
      "no-input",
      "vm-enter-room",
      "invalid",
      "vm-enter-room",
      "invalid",
      "vm-enter-room",
      "vm-enter-pin",
      "no-input",
      "goodbye",
    ]);
    assert.deepEqual(c.calls.checkPin, []);
  });

  test("0 for the operator, at the room number or the PIN", async () => {
    for (const keys of [typed("0#", ROOM()), [...typed("101#", ROOM()), ...typed("0#", PIN())]]) {
      const c = retrieval({ opts: { room: undefined }, script: { keys, transfer: "accepted" } });
      const r = await c.run();
      assert.deepEqual(r, { result: "operator", heard: 0, saved: 0, deleted: 0, pinSet: false, transfer: "accepted" });
      assert.deepEqual(c.channel.labels().slice(-1), ["vm-transferring"]);
      assert.deepEqual(c.calls.checkPin, []);
    }
  });

  test("a hang-up during the login", async () => {
    const c = retrieval({
      opts: { room: undefined },
      script: { keys: typed("101#", ROOM()), hangup: { during: "vm-enter-pin" } },
    });
    assert.equal((await c.run()).result, "hangup");
    assert.equal(c.channel.callsAfterHangup, 0);
  });

  test("checkPin fails: service unavailable, no rejection", async () => {
    const broken = retrieval({
      opts: {
        room: undefined,
        checkPin: async () => {
          throw new Error("SQLITE_BUSY");
        },
      },
      script: { keys: [...typed("101#", ROOM()), ...typed("1234#", PIN())] },
    });
    const r = await broken.run();
    assert.equal(r.result, "failed");
    assert.deepEqual(broken.channel.labels().slice(-1), ["service-unknown"]);
  });

  test("no PIN ever reaches the log", async () => {
    const c = retrieval({
      opts: { room: undefined },
      fail: { setPin: true },
      script: {
        keys: [
          ...typed("101#", ROOM(1)),
          ...typed("5678#", PIN(1)),
          ...typed("101#", ROOM(2)),
          ...typed("1234#", PIN(2)),
          { during: "msg:m1", key: "8" },
          ...typed("8765#", { after: "vm-enter-new-pin", delay: 300 }),
          ...typed("8765#", { after: "vm-confirm-pin", delay: 300 }),
        ],
        hangup: { after: "vm-pin-not-set" },
      },
    });
    await c.run();
    const log = JSON.stringify(c.logger.lines);
    assert.ok(c.logger.lines.length > 0);
    for (const pin of ["5678", "1234", "8765"]) assert.ok(!log.includes(pin), `${pin} in ${log}`);
  });
});
