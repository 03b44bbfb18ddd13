import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type GuestWakeupFlowOptions, parseWakeupTime, runGuestWakeup } from "../../src/ivr/guest-wakeup.ts";
import { memoryLogger } from "../../src/lib/logger.ts";
import { type FakeChannelOptions, fakeCall, type ScriptedKey, typed } from "../helpers/fake-channel.ts";

const TIMEOUT = 5000;
const READ_BACK_0730 = ["wakeup-time-is", "digit-0", "digit-7", "digit-3", "digit-0", "wakeup-confirm-menu"];
const afterEnter = (nth = 1) => ({ after: "wakeup-enter-time", nth, delay: 400 });
const confirmKey = (key: ScriptedKey["key"], nth = 1): ScriptedKey => ({
  after: "wakeup-confirm-menu",
  nth,
  delay: 300,
  key,
});

function setup(script: Omit<FakeChannelOptions, "label">, opts: Partial<GuestWakeupFlowOptions> = {}) {
  const { channel, prompts } = fakeCall(script);
  const calls: [number, number][] = [];
  const run = () =>
    runGuestWakeup(channel, {
      prompts,
      lang: "en",
      digitTimeoutMs: TIMEOUT,
      maxTries: 3,
      setWakeup: async (hh, mm) => {
        calls.push([hh, mm]);
      },
      ...opts,
    });
  return { channel, prompts, calls, run };
}

describe("parseWakeupTime", () => {
  test("HHMM with 00–23 and 00–59", () => {
    assert.deepEqual(parseWakeupTime("0730"), { hh: 7, mm: 30 });
    assert.deepEqual(parseWakeupTime("0000"), { hh: 0, mm: 0 });
    assert.deepEqual(parseWakeupTime("2359"), { hh: 23, mm: 59 });
    for (const bad of ["2400", "0760", "9999", "730", "07300", "07*0", "", "07#0"]) {
      assert.equal(parseWakeupTime(bad), undefined, bad);
    }
  });
});

describe("guest wake-up flow", () => {
  test("0730, read back, 1: set for 07:30", async () => {
    const c = setup({ keys: [...typed("0730", afterEnter()), confirmKey("1")] });
    assert.deepEqual(await c.run(), { result: "set", hh: 7, mm: 30 });
    assert.deepEqual(c.calls, [[7, 30]]);
    assert.deepEqual(c.channel.labels(), ["wakeup-enter-time", ...READ_BACK_0730, "wakeup-set"]);
    assert.equal(c.channel.hungUpBy, "us");
  });

  test("the fourth digit ends the entry: no wait for #", async () => {
    const c = setup({ keys: [...typed("2215", afterEnter(), 200), confirmKey("1")] });
    await c.run();
    // enter 1000, first key at +400, three more 200 ms apart, then the read-back starts at once
    assert.equal(c.channel.played[1].at, 1000 + 400 + 3 * 200);
  });

  test("a # after the four digits is not taken for an answer: the time is read again", async () => {
    const c = setup({ keys: [...typed("0730#", afterEnter()), confirmKey("1")] });
    assert.deepEqual(await c.run(), { result: "set", hh: 7, mm: 30 });
    assert.deepEqual(c.channel.labels(), ["wakeup-enter-time", "wakeup-time-is", ...READ_BACK_0730, "wakeup-set"]);
    assert.equal(c.channel.played[1].result, "interrupted");
  });

  test("type-ahead: the whole answer typed during the instructions", async () => {
    for (const interruptOnBufferedKey of [false, true]) {
      const c = setup({ keys: typed("07301", { during: "wakeup-enter-time" }, 100), interruptOnBufferedKey });
      assert.deepEqual(await c.run(), { result: "set", hh: 7, mm: 30 });
      assert.equal(c.channel.played[0].result, "interrupted");
      assert.equal(c.channel.labels().at(-1), "wakeup-set");
    }
  });

  test("1 during the read-back confirms without the rest of it", async () => {
    const c = setup({ keys: [...typed("0730", afterEnter()), { during: "digit-7", key: "1" }] });
    assert.deepEqual(await c.run(), { result: "set", hh: 7, mm: 30 });
    assert.deepEqual(c.channel.labels(), ["wakeup-enter-time", "wakeup-time-is", "digit-0", "digit-7", "wakeup-set"]);
  });

  test("2: another time", async () => {
    const c = setup({
      keys: [...typed("0730", afterEnter()), confirmKey("2"), ...typed("0645", afterEnter(2)), confirmKey("1", 2)],
    });
    assert.deepEqual(await c.run(), { result: "set", hh: 6, mm: 45 });
    assert.deepEqual(c.calls, [[6, 45]]);
    assert.deepEqual(c.channel.labels().slice(0, 8), ["wakeup-enter-time", ...READ_BACK_0730, "wakeup-enter-time"]);
  });

  test("a wrong entry: invalid, asked again", async () => {
    for (const wrong of ["2460", "07#", "0*30", "073"]) {
      const c = setup({ keys: [...typed(wrong, afterEnter()), ...typed("0730", afterEnter(2)), confirmKey("1")] });
      assert.deepEqual(await c.run(), { result: "set", hh: 7, mm: 30 }, wrong);
      assert.deepEqual(c.channel.labels().slice(0, 3), ["wakeup-enter-time", "invalid", "wakeup-enter-time"], wrong);
    }
  });

  test("a wrong answer to the confirm menu or none: asked again with the time read back", async () => {
    const c = setup({ keys: [...typed("0730", afterEnter()), confirmKey("5"), confirmKey("1", 3)] });
    assert.deepEqual(await c.run(), { result: "set", hh: 7, mm: 30 });
    assert.deepEqual(c.channel.labels(), [
      "wakeup-enter-time",
      ...READ_BACK_0730,
      "invalid",
      ...READ_BACK_0730,
      "no-input",
      ...READ_BACK_0730,
      "wakeup-set",
    ]);
  });

  test("nothing entered maxTries times: wakeup-not-set and hang up", async () => {
    const c = setup({});
    assert.deepEqual(await c.run(), { result: "abandoned" });
    assert.deepEqual(c.channel.labels(), [
      "wakeup-enter-time",
      "no-input",
      "wakeup-enter-time",
      "no-input",
      "wakeup-enter-time",
      "no-input",
      "wakeup-not-set",
    ]);
    assert.deepEqual(c.calls, []);
    assert.equal(c.channel.hungUpBy, "us");
  });

  test("2 uses up a try: nobody loops forever", async () => {
    const keys = [1, 2, 3].flatMap((n) => [...typed("0730", afterEnter(n)), confirmKey("2", n)]);
    const c = setup({ keys });
    assert.deepEqual(await c.run(), { result: "abandoned" });
    assert.equal(c.channel.labels().at(-1), "wakeup-not-set");
    assert.equal(c.channel.labels().filter((l) => l === "wakeup-enter-time").length, 3);
  });

  test("hang-up mid prompt, mid entry or mid read-back: nothing set, nothing played after", async () => {
    for (const script of [
      { hangup: { during: "wakeup-enter-time" } },
      { keys: typed("07", afterEnter()), hangup: { delay: 100 } },
      { keys: typed("0730", afterEnter()), hangup: { during: "digit-3" } },
      { keys: typed("0730", afterEnter()), hangup: { after: "wakeup-confirm-menu", delay: 1000 } },
    ]) {
      const c = setup(script);
      assert.deepEqual(await c.run(), { result: "hangup" });
      assert.deepEqual(c.calls, []);
      assert.equal(c.channel.hungUpBy, "far");
      assert.equal(c.channel.callsAfterHangup, 0);
    }
  });

  test("storing fails: logged, wakeup-not-set, no crash", async () => {
    const logger = memoryLogger();
    const c = setup(
      { keys: [...typed("0730", afterEnter()), confirmKey("1")] },
      {
        logger,
        setWakeup: async () => {
          throw new Error("room 101 is not defined");
        },
      },
    );
    assert.deepEqual(await c.run(), { result: "failed", hh: 7, mm: 30 });
    assert.equal(c.channel.labels().at(-1), "wakeup-not-set");
    assert.equal(logger.lines[0]?.level, "error");
  });
});
