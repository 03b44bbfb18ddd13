import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { runWakeupCall, type WakeupCallFlowOptions } from "../../src/ivr/wakeup-call.ts";
import type { Digit } from "../../src/voice/channel.ts";
import { type FakeChannelOptions, fakeCall, fakePrompts } from "../helpers/fake-channel.ts";

const KEY_WAIT = 6000;

function setup(script: Omit<FakeChannelOptions, "label">, opts: Partial<WakeupCallFlowOptions> = {}) {
  const { channel, prompts } = fakeCall(script);
  const pressed: Digit[] = [];
  const run = () =>
    runWakeupCall(channel, {
      prompts,
      lang: "en",
      snoozeAllowed: true,
      menuRepeats: 3,
      keyWaitMs: KEY_WAIT,
      onKey: (d) => pressed.push(d),
      ...opts,
    });
  return { channel, prompts, pressed, run };
}

describe("wake-up call flow", () => {
  test("1 after the menu confirms", async () => {
    const c = setup({ keys: [{ after: "menu", delay: 800, key: "1" }] });
    assert.deepEqual(await c.run(), { outcome: "confirmed", keys: ["1"] });
    assert.deepEqual(c.channel.labels(), ["wakeup", "menu", "confirmed"]);
    assert.deepEqual(c.pressed, ["1"]);
    assert.equal(c.channel.hungUpBy, "us");
    assert.ok(c.channel.played.slice(0, 2).every((p) => p.interruptible));
  });

  test("2 snoozes", async () => {
    const c = setup({ keys: [{ after: "menu", delay: 100, key: "2" }] });
    assert.deepEqual(await c.run(), { outcome: "snoozed", keys: ["2"] });
    assert.deepEqual(c.channel.labels(), ["wakeup", "menu", "snoozed"]);
  });

  test("without snooze the menu offers 1 only and 2 confirms", async () => {
    const c = setup({ keys: [{ after: "menu-no-snooze", delay: 100, key: "2" }] }, { snoozeAllowed: false });
    assert.deepEqual(await c.run(), { outcome: "confirmed", keys: ["2"] });
    assert.deepEqual(c.channel.labels(), ["wakeup", "menu-no-snooze", "confirmed"]);
  });

  test("no key: the menu is offered menuRepeats times, then goodbye, answered", async () => {
    const c = setup({});
    assert.deepEqual(await c.run(), { outcome: "answered", keys: [] });
    assert.deepEqual(c.channel.labels(), ["wakeup", "menu", "menu", "menu", "goodbye"]);
    // Each menu is followed by the full key wait.
    assert.equal(c.channel.now, 1000 + 3 * (1000 + KEY_WAIT) + 1000);
    assert.equal(c.channel.hungUpBy, "us");
  });

  test("another key replays the menu; the keys are all reported", async () => {
    const c = setup({
      keys: [
        { after: "menu", delay: 500, key: "5" },
        { after: "menu", nth: 2, delay: 500, key: "1" },
      ],
    });
    assert.deepEqual(await c.run(), { outcome: "confirmed", keys: ["5", "1"] });
    assert.deepEqual(c.channel.labels(), ["wakeup", "menu", "menu", "confirmed"]);
    assert.deepEqual(c.pressed, ["5", "1"]);
  });

  test("wrong keys only: the menu runs out, answered", async () => {
    const c = setup({
      keys: [1, 2, 3].map((nth) => ({ after: "menu", nth, delay: 100, key: "9" as const })),
    });
    assert.deepEqual(await c.run(), { outcome: "answered", keys: ["9", "9", "9"] });
    assert.deepEqual(c.channel.labels(), ["wakeup", "menu", "menu", "menu", "goodbye"]);
  });

  for (const interruptOnBufferedKey of [false, true]) {
    describe(`type-ahead (interruptOnBufferedKey ${interruptOnBufferedKey})`, () => {
      test("1 during the announcement confirms without the menu", async () => {
        const c = setup({ keys: [{ during: "wakeup", key: "1" }], interruptOnBufferedKey });
        assert.deepEqual(await c.run(), { outcome: "confirmed", keys: ["1"] });
        assert.deepEqual(c.channel.labels(), ["wakeup", "confirmed"]);
        assert.equal(c.channel.played[0].result, "interrupted");
        assert.equal(c.channel.played[0].endedAt, 500);
      });

      test("2 during the menu interrupts it and snoozes", async () => {
        const c = setup({ keys: [{ during: "menu", offset: 200, key: "2" }], interruptOnBufferedKey });
        assert.deepEqual(await c.run(), { outcome: "snoozed", keys: ["2"] });
        assert.equal(c.channel.played[1].result, "interrupted");
        assert.equal(c.channel.played[1].endedAt, 1200);
      });

      test("a wrong key then 1 in quick succession: the 1 is not lost", async () => {
        const c = setup({
          keys: [
            { during: "menu", key: "5" },
            { delay: 100, key: "1" },
          ],
          interruptOnBufferedKey,
        });
        assert.deepEqual(await c.run(), { outcome: "confirmed", keys: ["5", "1"] });
        assert.equal(c.channel.labels().at(-1), "confirmed");
      });
    });
  }

  test("the guest hangs up during the announcement: answered, nothing played after", async () => {
    const c = setup({ hangup: { during: "wakeup" } });
    assert.deepEqual(await c.run(), { outcome: "answered", keys: [] });
    assert.deepEqual(c.channel.labels(), ["wakeup"]);
    assert.equal(c.channel.hungUpBy, "far");
    assert.equal(c.channel.hangupCalls, 0);
    assert.equal(c.channel.callsAfterHangup, 0);
  });

  test("the guest hangs up during the menu or the key wait: answered", async () => {
    for (const hangup of [
      { during: "menu", nth: 2 },
      { after: "menu", delay: 3000 },
    ]) {
      const c = setup({ hangup });
      assert.deepEqual(await c.run(), { outcome: "answered", keys: [] });
      assert.equal(c.channel.hungUpBy, "far");
      assert.equal(c.channel.callsAfterHangup, 0);
    }
  });

  test("hanging up during the thank-you still counts as confirmed", async () => {
    const c = setup({ keys: [{ after: "menu", key: "1" }], hangup: { during: "confirmed" } });
    assert.equal((await c.run()).outcome, "confirmed");
  });

  test("a failing key listener does not cost the confirmation", async () => {
    const c = setup(
      { keys: [{ after: "menu", key: "1" }] },
      {
        onKey: () => {
          throw new Error("history down");
        },
      },
    );
    assert.equal((await c.run()).outcome, "confirmed");
  });

  test("the guest's language is used", async () => {
    const c = setup({ keys: [{ after: "menu", key: "1" }] }, { lang: "de" });
    await c.run();
    assert.ok(c.prompts.requests.every((r) => r.lang === "de"));
  });

  test("a missing prompt rejects, and the call is still ended", async () => {
    const c = setup({}, { prompts: fakePrompts({ missing: ["menu"] }) });
    await assert.rejects(c.run(), /no prompt en\/menu/);
    assert.equal(c.channel.hungUpBy, "us");
  });
});
