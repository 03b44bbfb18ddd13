import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { runVoicemailDeposit, type VoicemailDepositOptions } from "../../src/ivr/voicemail-deposit.ts";
import { memoryLogger } from "../../src/lib/logger.ts";
import type { RecordResult } from "../../src/voice/channel.ts";
import type { PromptId } from "../../src/voice/prompts.ts";
import { FakeChannel, type FakeChannelOptions, fakePrompts, type ScriptedRecording } from "../helpers/fake-channel.ts";

const BEEP = new Uint8Array(400).fill(0x11);
const PATH = "/data/msgs/abc.wav";

interface Setup {
  script?: Omit<FakeChannelOptions, "label">;
  opened?: Awaited<ReturnType<VoicemailDepositOptions["open"]>> | Error;
  keep?: boolean | Error;
  missing?: PromptId[];
  opts?: Partial<VoicemailDepositOptions>;
}

function setup(s: Setup = {}) {
  const prompts = fakePrompts({ missing: s.missing });
  const channel = new FakeChannel({ ...s.script, label: (a) => (a === BEEP ? "beep" : prompts.label(a)) });
  const logger = memoryLogger();
  const calls = { open: 0, cancel: 0, finish: [] as (RecordResult | null)[], transfersAtFinish: [] as number[] };
  const run = () =>
    runVoicemailDeposit(channel, {
      prompts,
      lang: "en",
      room: "101",
      announceRoom: false,
      operator: "100",
      beep: BEEP,
      maxMs: 180_000,
      silenceMs: 5000,
      open: async () => {
        calls.open++;
        if (s.opened instanceof Error) throw s.opened;
        return s.opened ?? { path: PATH };
      },
      finish: async (r) => {
        calls.finish.push(r);
        calls.transfersAtFinish.push(channel.transfers.length);
        if (s.keep instanceof Error) throw s.keep;
        return s.keep === false ? "discarded" : "kept";
      },
      cancel: async () => {
        calls.cancel++;
      },
      logger,
      ...s.opts,
    });
  return { channel, prompts, calls, logger, run };
}

const rec = (r: Partial<ScriptedRecording> = {}): ScriptedRecording => ({
  end: "key",
  key: "#",
  durationMs: 5000,
  soundMs: 4000,
  ...r,
});

describe("voicemail deposit", () => {
  test("greeting, tone, recording ended by #: recorded, goodbye", async () => {
    const c = setup({ script: { recordings: [rec()] } });
    const r = await c.run();
    assert.deepEqual(r, { result: "recorded", message: "kept", end: "key", durationMs: 5000 });
    assert.deepEqual(c.channel.labels(), ["vm-greeting", "beep", "vm-recorded"]);
    assert.deepEqual(c.channel.recorded, [
      { path: PATH, maxMs: 180_000, silenceMs: 5000, warnBeforeMs: 10_000, stopKeys: "#0" },
    ]);
    assert.deepEqual(c.calls.finish, [{ end: "key", key: "#", durationMs: 5000, soundMs: 4000, codec: "PCMU" }]);
    assert.equal(c.calls.open, 1);
    assert.equal(c.calls.cancel, 0);
    assert.equal(c.channel.hungUpBy, "us");
    assert.equal(c.channel.played[0].interruptible, true, "the greeting");
    assert.equal(c.channel.played[1].interruptible, false, "the tone");
    // greeting 1000 + tone 50 + recording 5000 + "recorded" 1000
    assert.equal(c.channel.now, 7050);
  });

  test("a message too short for finish: not recorded, goodbye", async () => {
    const c = setup({ script: { recordings: [rec({ soundMs: 500 })] }, keep: false });
    assert.deepEqual(await c.run(), { result: "recorded", message: "discarded", end: "key", durationMs: 5000 });
    assert.deepEqual(c.channel.labels(), ["vm-greeting", "beep", "vm-not-recorded", "goodbye"]);
  });

  test("ended by silence or the maximum: the same goodbye", async () => {
    for (const end of ["silence", "max"] as const) {
      const c = setup({ script: { recordings: [rec({ end, key: undefined, durationMs: 180_000 })] } });
      const r = await c.run();
      assert.equal(r.end, end);
      assert.deepEqual(c.channel.labels(), ["vm-greeting", "beep", "vm-recorded"]);
      assert.equal(c.channel.hungUpBy, "us");
    }
  });

  test("a hang-up keeps the message: finish, nothing said", async () => {
    const c = setup({ script: { recordings: [rec({ end: "hangup", key: undefined })] } });
    assert.deepEqual(await c.run(), { result: "recorded", message: "kept", end: "hangup", durationMs: 5000 });
    assert.deepEqual(c.channel.labels(), ["vm-greeting", "beep"]);
    assert.equal(c.calls.finish.length, 1);
    assert.equal(c.channel.hungUpBy, "far");
    assert.equal(c.channel.hangupCalls, 0);
    assert.equal(c.channel.callsAfterHangup, 0);
  });

  test("0: the message is finished first, then the operator takes the call", async () => {
    const c = setup({ script: { recordings: [rec({ key: "0" })], transfer: "accepted" } });
    const r = await c.run();
    assert.deepEqual(r, { result: "recorded", message: "kept", end: "key", durationMs: 5000, transfer: "accepted" });
    assert.deepEqual(c.channel.labels(), ["vm-greeting", "beep", "vm-transferring"]);
    assert.deepEqual(c.channel.transfers, ["100"]);
    assert.deepEqual(c.calls.transfersAtFinish, [0]);
    assert.equal(c.channel.hungUpBy, "transfer");
    assert.equal(c.channel.hangupCalls, 0, "the accepted transfer ended our leg");
  });

  test("0 and the transfer refused (or failing): the operator cannot be reached, goodbye", async () => {
    for (const transfer of ["refused", { error: "REFER timed out" }] as const) {
      const c = setup({ script: { recordings: [rec({ key: "0" })], transfer } });
      const r = await c.run();
      assert.equal(r.transfer, "refused");
      assert.equal(r.message, "kept");
      assert.deepEqual(c.channel.labels(), ["vm-greeting", "beep", "vm-transferring", "vm-operator-unreachable"]);
      assert.equal(c.channel.hungUpBy, "us");
    }
  });

  test("0 without an operator: cannot be reached, goodbye; a short message is still finished", async () => {
    const c = setup({
      script: { recordings: [rec({ key: "0", soundMs: 100 })] },
      keep: false,
      opts: { operator: null },
    });
    const r = await c.run();
    assert.deepEqual(r, {
      result: "recorded",
      message: "discarded",
      end: "key",
      durationMs: 5000,
      transfer: "no-operator",
    });
    assert.deepEqual(c.channel.labels(), ["vm-greeting", "beep", "vm-operator-unreachable"]);
    assert.deepEqual(c.channel.transfers, []);
  });

  test("a vacant room: not available, then the operator", async () => {
    const c = setup({ opened: "vacant", script: { transfer: "accepted" } });
    assert.deepEqual(await c.run(), { result: "vacant", transfer: "accepted" });
    assert.deepEqual(c.channel.labels(), ["vm-not-available", "vm-transferring"]);
    assert.deepEqual(c.channel.recorded, []);
    assert.deepEqual(c.calls.finish, []);
  });

  test("a vacant room without an operator: not available, goodbye, hang up", async () => {
    const c = setup({ opened: "vacant", opts: { operator: null } });
    assert.deepEqual(await c.run(), { result: "vacant", transfer: "no-operator" });
    assert.deepEqual(c.channel.labels(), ["vm-not-available", "goodbye"]);
    assert.equal(c.channel.hungUpBy, "us");
  });

  test("a full disk: mailbox full, then the operator (refused here)", async () => {
    const c = setup({ opened: "disk-full" });
    assert.deepEqual(await c.run(), { result: "disk-full", transfer: "refused" });
    assert.deepEqual(c.channel.labels(), ["vm-mailbox-full", "vm-transferring", "vm-operator-unreachable"]);
    assert.deepEqual(c.channel.recorded, []);
  });

  test("announceRoom: the room number digit by digit", async () => {
    const c = setup({ script: { recordings: [rec()] }, opts: { announceRoom: true, room: "1012" } });
    await c.run();
    assert.deepEqual(c.channel.labels().slice(0, 7), [
      "vm-greeting-room",
      "digit-1",
      "digit-0",
      "digit-1",
      "digit-2",
      "vm-greeting-room-end",
      "beep",
    ]);
    const noDigits = setup({ script: { recordings: [rec()] }, opts: { announceRoom: true, room: "PH" } });
    await noDigits.run();
    assert.deepEqual(noDigits.channel.labels().slice(0, 2), ["vm-greeting", "beep"]);
  });

  test("the greeting and the goodbye in the mailbox's language", async () => {
    const c = setup({ script: { recordings: [rec()] }, opts: { lang: "fr", announceRoom: true } });
    await c.run();
    assert.ok(c.prompts.requests.length > 0);
    for (const r of c.prompts.requests) assert.equal(r.lang, "fr", r.id);
  });

  test("a hang-up during the greeting: nothing recorded, the opened message cancelled", async () => {
    const c = setup({ script: { hangup: { during: "vm-greeting" }, recordings: [rec()] } });
    assert.deepEqual(await c.run(), { result: "hangup" });
    assert.deepEqual(c.channel.recorded, []);
    assert.deepEqual(c.calls.finish, []);
    assert.equal(c.calls.cancel, 1);
  });

  test("0 during the greeting: the operator, no recording", async () => {
    const c = setup({ script: { keys: [{ during: "vm-greeting", key: "0" }], transfer: "accepted" } });
    assert.deepEqual(await c.run(), { result: "operator", transfer: "accepted" });
    assert.deepEqual(c.channel.labels(), ["vm-greeting", "vm-transferring"]);
    assert.equal(c.calls.cancel, 1);
    assert.deepEqual(c.calls.finish, []);
  });

  test("another key during the greeting skips to the tone and does not end the recording", async () => {
    const c = setup({
      script: {
        keys: [
          { during: "vm-greeting", key: "#" },
          { delay: 10, key: "5" },
        ],
        recordings: [rec()],
      },
    });
    const r = await c.run();
    assert.equal(r.message, "kept");
    assert.deepEqual(c.channel.labels(), ["vm-greeting", "beep", "vm-recorded"]);
    assert.equal(c.channel.played[0].result, "interrupted");
  });

  test("no warning tone when the maximum is not longer than the warning", async () => {
    const c = setup({ script: { recordings: [rec()] }, opts: { maxMs: 8000 } });
    await c.run();
    assert.equal(c.channel.recorded[0].warnBeforeMs, 0);
  });

  test("the recording fails: finish(null) all the same, service unavailable, no rejection", async () => {
    const c = setup({ script: { recordings: [rec({ error: "disk write failed" })] } });
    const r = await c.run();
    assert.equal(r.result, "failed");
    assert.deepEqual(c.calls.finish, [null]);
    assert.deepEqual(c.channel.labels(), ["vm-greeting", "beep", "service-unknown"]);
    assert.equal(c.channel.hungUpBy, "us");
    assert.ok(c.logger.lines.some((l) => l.msg === "voicemail recording failed"));
  });

  test("finish fails: service unavailable, logged, finish not called twice", async () => {
    const c = setup({ script: { recordings: [rec()] }, keep: new Error("database is locked") });
    const r = await c.run();
    assert.deepEqual(r, { result: "failed", end: "key", durationMs: 5000 });
    assert.equal(c.calls.finish.length, 1);
    assert.deepEqual(c.channel.labels(), ["vm-greeting", "beep", "service-unknown"]);
    assert.ok(c.logger.lines.some((l) => l.msg === "voicemail message not stored"));
  });

  test("open fails: service unavailable, nothing recorded", async () => {
    const c = setup({ opened: new Error("no such table") });
    const r = await c.run();
    assert.equal(r.result, "failed");
    assert.deepEqual(c.channel.labels(), ["service-unknown"]);
    assert.deepEqual(c.calls.finish, []);
    assert.equal(c.channel.hungUpBy, "us");
  });

  test("a prompt that cannot be loaded after the recording: finished once, call ended, no rejection", async () => {
    const c = setup({ script: { recordings: [rec()] }, missing: ["vm-recorded"] });
    const r = await c.run();
    assert.deepEqual(r, { result: "failed", message: "kept", end: "key", durationMs: 5000 });
    assert.equal(c.calls.finish.length, 1);
    assert.equal(c.channel.hungUpBy, "us");
  });

  test("a prompt that cannot be loaded before the tone: the opened message is cancelled", async () => {
    const c = setup({ missing: ["vm-greeting", "service-unknown"] });
    const r = await c.run();
    assert.deepEqual(r, { result: "failed" });
    assert.equal(c.calls.cancel, 1);
    assert.deepEqual(c.calls.finish, []);
    assert.equal(c.channel.hungUpBy, "us");
  });
});
