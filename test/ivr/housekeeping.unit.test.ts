import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type HousekeepingFlowOptions, parseMaidCode, runHousekeeping } from "../../src/ivr/housekeeping.ts";
import { memoryLogger } from "../../src/lib/logger.ts";
import { type FakeChannelOptions, fakeCall, typed } from "../helpers/fake-channel.ts";

const TIMEOUT = 5000;
const afterPrompt = (nth = 1) => ({ after: "housekeeping-enter", nth, delay: 400 });

function setup(script: Omit<FakeChannelOptions, "label">, opts: Partial<HousekeepingFlowOptions> = {}) {
  const { channel, prompts } = fakeCall(script);
  const calls: [number, string | undefined][] = [];
  const run = () =>
    runHousekeeping(channel, {
      prompts,
      lang: "en",
      digitTimeoutMs: TIMEOUT,
      maxTries: 3,
      setStatus: async (status, maid) => {
        calls.push([status, maid]);
      },
      ...opts,
    });
  return { channel, prompts, calls, run };
}

describe("parseMaidCode", () => {
  test("status 1–6, then an optional maid id of 1–8 digits", () => {
    assert.deepEqual(parseMaidCode("1"), { status: 1 });
    assert.deepEqual(parseMaidCode("123"), { status: 1, maid: "23" });
    assert.deepEqual(parseMaidCode("6012345678"), undefined);
    assert.deepEqual(parseMaidCode("601234567"), { status: 6, maid: "01234567" });
    for (const bad of ["", "0", "7", "9", "1*", "*1", "A", "1#"]) assert.equal(parseMaidCode(bad), undefined, bad);
  });
});

describe("housekeeping flow", () => {
  test('"1 2 3 #": status 1 by maid 23', async () => {
    const c = setup({ keys: typed("123#", afterPrompt()) });
    assert.deepEqual(await c.run(), { result: "set", status: 1, maid: "23" });
    assert.deepEqual(c.calls, [[1, "23"]]);
    assert.deepEqual(c.channel.labels(), ["housekeeping-enter", "housekeeping-done"]);
    assert.equal(c.channel.played[0].interruptible, true);
    assert.equal(c.channel.hungUpBy, "us");
  });

  test("a pause after the status key ends the entry: no maid id", async () => {
    const c = setup({ keys: typed("4", afterPrompt()) });
    assert.deepEqual(await c.run(), { result: "set", status: 4 });
    assert.deepEqual(c.calls, [[4, undefined]]);
    // prompt 1000 + 400 to the key + the inter-digit timeout + "done" 1000
    assert.equal(c.channel.now, 1000 + 400 + TIMEOUT + 1000);
  });

  test("type-ahead: keys during the prompt interrupt it and count", async () => {
    for (const interruptOnBufferedKey of [false, true]) {
      const c = setup({ keys: typed("35#", { during: "housekeeping-enter" }, 100), interruptOnBufferedKey });
      assert.deepEqual(await c.run(), { result: "set", status: 3, maid: "5" });
      assert.equal(c.channel.played[0].result, "interrupted");
    }
  });

  test("keys typed before the prompt started are kept", async () => {
    const c = setup({
      keys: [
        { at: 0, key: "2" },
        { at: 0, key: "#" },
      ],
    });
    assert.deepEqual(await c.run(), { result: "set", status: 2 });
  });

  test("no entry: no-input, asked again", async () => {
    const c = setup({ keys: typed("5#", afterPrompt(2)) });
    assert.deepEqual(await c.run(), { result: "set", status: 5 });
    assert.deepEqual(c.channel.labels(), ["housekeeping-enter", "no-input", "housekeeping-enter", "housekeeping-done"]);
  });

  test("a wrong entry: invalid, asked again", async () => {
    for (const wrong of ["7#", "0#", "*#", "#", "1*2#", "1123456789#"]) {
      const c = setup({ keys: [...typed(wrong, afterPrompt()), ...typed("6#", afterPrompt(2))] });
      assert.deepEqual(await c.run(), { result: "set", status: 6 }, wrong);
      assert.deepEqual(c.channel.labels()[1], wrong === "#" ? "no-input" : "invalid", wrong);
    }
  });

  test("an overlong entry is refused, and its stray keys do not start the next one", async () => {
    // Reading stops at the 10th key; the 11th arrives while "invalid" plays and is dropped.
    const c = setup({ keys: [...typed("77777777777", afterPrompt(), 100), ...typed("2#", afterPrompt(2))] });
    assert.deepEqual(await c.run(), { result: "set", status: 2 });
    assert.deepEqual(c.channel.labels(), ["housekeeping-enter", "invalid", "housekeeping-enter", "housekeeping-done"]);
    assert.deepEqual(c.channel.unpressed(), []);
  });

  test("maxTries failed entries: goodbye and hang up, nothing stored", async () => {
    const c = setup({ keys: typed("9#", afterPrompt(2)) });
    assert.deepEqual(await c.run(), { result: "abandoned" });
    assert.deepEqual(c.channel.labels(), [
      "housekeeping-enter",
      "no-input",
      "housekeeping-enter",
      "invalid",
      "housekeeping-enter",
      "no-input",
      "goodbye",
    ]);
    assert.deepEqual(c.calls, []);
    assert.equal(c.channel.hungUpBy, "us");
  });

  test("maxTries 1: one failure ends the call", async () => {
    const c = setup({}, { maxTries: 1 });
    assert.deepEqual(await c.run(), { result: "abandoned" });
    assert.deepEqual(c.channel.labels(), ["housekeeping-enter", "no-input", "goodbye"]);
  });

  test("hang-up mid prompt or mid entry: nothing stored, nothing played after", async () => {
    for (const script of [
      { hangup: { during: "housekeeping-enter" } },
      { keys: typed("12", afterPrompt()), hangup: { delay: 200 } },
      { keys: typed("7#", afterPrompt()), hangup: { during: "invalid" } },
    ]) {
      const c = setup(script);
      assert.deepEqual(await c.run(), { result: "hangup" });
      assert.deepEqual(c.calls, []);
      assert.equal(c.channel.hungUpBy, "far");
      assert.equal(c.channel.callsAfterHangup, 0);
    }
  });

  test("storing fails: logged, service-unknown, hung up, no crash", async () => {
    const logger = memoryLogger();
    const c = setup(
      { keys: typed("31#", afterPrompt()) },
      {
        logger,
        setStatus: async () => {
          throw new Error("database is locked");
        },
      },
    );
    assert.deepEqual(await c.run(), { result: "failed", status: 3, maid: "1" });
    assert.deepEqual(c.channel.labels(), ["housekeeping-enter", "service-unknown"]);
    assert.equal(c.channel.hungUpBy, "us");
    assert.equal(logger.lines.length, 1);
    assert.equal(logger.lines[0].level, "error");
    assert.deepEqual(logger.lines[0].err, { name: "Error", message: "database is locked" });
  });
});
