import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { runEscalationCall } from "../../src/ivr/escalation-call.ts";
import { digitPrompts } from "../../src/voice/speak.ts";
import { fakeCall } from "../helpers/fake-channel.ts";

const ROOM_101 = ["frontdesk-room", "digit-1", "digit-0", "digit-1"];

describe("escalation call flow", () => {
  test("names the room digit by digit, twice with a pause, then hangs up", async () => {
    const { channel, prompts } = fakeCall();
    assert.deepEqual(await runEscalationCall(channel, { prompts, lang: "en", room: "101" }), {
      outcome: "answered",
      announced: true,
    });
    assert.deepEqual(channel.labels(), [...ROOM_101, "silence(1000)", ...ROOM_101]);
    assert.ok(channel.played.every((p) => !p.interruptible && p.result === "done"));
    assert.equal(channel.hungUpBy, "us");
  });

  test("letters of a room number are skipped (there are no letter prompts)", async () => {
    assert.deepEqual(digitPrompts("12A"), ["digit-1", "digit-2"]);
    assert.deepEqual(digitPrompts("B-07"), ["digit-0", "digit-7"]);
    const { channel, prompts } = fakeCall();
    await runEscalationCall(channel, { prompts, lang: "en", room: "12A", repeats: 1 });
    assert.deepEqual(channel.labels(), ["frontdesk-room", "digit-1", "digit-2"]);
  });

  test("keys at the desk do not cut the room number short", async () => {
    const { channel, prompts } = fakeCall({ keys: [{ during: "frontdesk-room", key: "1" }] });
    await runEscalationCall(channel, { prompts, lang: "en", room: "101" });
    assert.deepEqual(channel.labels(), [...ROOM_101, "silence(1000)", ...ROOM_101]);
  });

  test("hung up during the first announcement: still answered, not announced", async () => {
    const { channel, prompts } = fakeCall({ hangup: { during: "digit-0" } });
    assert.deepEqual(await runEscalationCall(channel, { prompts, lang: "en", room: "101" }), {
      outcome: "answered",
      announced: false,
    });
    assert.deepEqual(channel.labels(), ["frontdesk-room", "digit-1", "digit-0"]);
    assert.equal(channel.hungUpBy, "far");
    assert.equal(channel.callsAfterHangup, 0);
  });

  test("hung up during the repetition: announced", async () => {
    const { channel, prompts } = fakeCall({ hangup: { during: "frontdesk-room", nth: 2 } });
    assert.deepEqual(await runEscalationCall(channel, { prompts, lang: "de", room: "101" }), {
      outcome: "answered",
      announced: true,
    });
    assert.ok(prompts.requests.every((r) => r.lang === "de"));
  });
});
