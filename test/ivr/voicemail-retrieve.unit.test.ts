import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { after, envelope, heard, MESSAGES, type RetrieveSetup, retrieval } from "./voicemail-fixture.ts";

const INTRO = ["vm-you-have", "num-2", "vm-new-many", "and", "vm-saved-one"];
const MENU = "vm-menu-duvoice";
const AMENU = "vm-menu-asterisk";

describe("voicemail retrieval: listening", () => {
  test("auto-login: counts, then each message with its envelope and the menu; new ones stay new", async () => {
    const c = retrieval({ script: { keys: [after(MENU, 1, "3"), after(MENU, 2, "3"), after(MENU, 3, "3")] } });
    const r = await c.run();
    assert.deepEqual(r, { result: "goodbye", room: "101", heard: 3, saved: 0, deleted: 0, pinSet: false });
    assert.deepEqual(c.channel.labels(), [
      ...INTRO,
      ...heard(1),
      MENU,
      ...heard(2),
      MENU,
      ...heard(3),
      MENU,
      "vm-no-more",
      "vm-end-menu-duvoice",
      "goodbye",
    ]);
    assert.deepEqual(c.calls.mailbox, ["101"]);
    assert.deepEqual(c.calls.save, []);
    assert.deepEqual(c.calls.delete, []);
    assert.deepEqual(c.calls.checkPin, [], "no PIN asked on auto-login");
    assert.equal(c.channel.hungUpBy, "us");
  });

  test("the envelopes say today, yesterday and the date in the hotel's zone", () => {
    assert.deepEqual(envelope(1), ["env-message", "num-1", "env-today", "at", "hour-19", "num-30", "time-pm"]);
    assert.deepEqual(envelope(2), [
      "env-message",
      "num-2",
      "env-yesterday",
      "at",
      "hour-8",
      "time-oh",
      "num-5",
      "time-am",
    ]);
    assert.deepEqual(envelope(3), [
      "env-message",
      "num-3",
      "env-on-date",
      "month-12",
      "date-day-2",
      "at",
      "hour-14",
      "time-oclock",
      "time-pm",
    ]);
  });

  test("new messages first, then saved ones, whatever order the mailbox gives", async () => {
    const c = retrieval({
      box: { messages: [MESSAGES[2], MESSAGES[0]] },
      script: { keys: [after(MENU, 1, "3")], hangup: { after: MENU, nth: 2 } },
    });
    await c.run();
    const labels = c.channel.labels();
    assert.ok(labels.indexOf("msg:m1") < labels.indexOf("msg:m3"));
  });

  test("duvoice: 2 saves, 1 deletes, each confirmed, then the next message", async () => {
    const c = retrieval({
      script: { keys: [after(MENU, 1, "2"), after(MENU, 2, "1")], hangup: { during: "msg:m3" } },
    });
    const r = await c.run();
    assert.deepEqual(r, { result: "hangup", room: "101", heard: 3, saved: 1, deleted: 1, pinSet: false });
    assert.deepEqual(c.calls.save, [["101", "m1"]]);
    assert.deepEqual(c.calls.delete, [["101", "m2"]]);
    assert.deepEqual(c.channel.labels(), [
      ...INTRO,
      ...heard(1),
      MENU,
      "vm-saved",
      ...heard(2),
      MENU,
      "vm-deleted",
      ...heard(3),
    ]);
  });

  test("duvoice: 4 replays the message with its envelope", async () => {
    const c = retrieval({ script: { keys: [after(MENU, 1, "4")], hangup: { after: MENU, nth: 2 } } });
    await c.run();
    assert.deepEqual(c.channel.labels(), [...INTRO, ...heard(1), MENU, ...heard(1), MENU]);
  });

  test("saving a saved message changes nothing in the counts", async () => {
    const c = retrieval({
      box: { messages: [MESSAGES[2]] },
      script: { keys: [after(MENU, 1, "2")], hangup: { after: "vm-no-more" } },
    });
    const r = await c.run();
    assert.equal(r.saved, 0);
    assert.deepEqual(c.calls.save, [["101", "m3"]]);
  });

  test("asterisk: 6 next, 4 previous, 5 repeat, 9 save, 7 delete; 4 after the last goes back", async () => {
    const c = retrieval({
      opts: { keymap: "asterisk" },
      script: {
        keys: [
          after(AMENU, 1, "6"), // m1 → m2
          after(AMENU, 2, "4"), // m2 → m1
          after(AMENU, 3, "5"), // m1 again
          after(AMENU, 4, "9"), // save m1 → m2
          after(AMENU, 5, "7"), // delete m2 → m3
          after(AMENU, 6, "6"), // m3 → no more
          after("vm-end-menu-asterisk", 1, "4"), // back to m3
          after(AMENU, 7, "4"), // previous of m3 skips the deleted m2: m1
        ],
        hangup: { after: AMENU, nth: 8 },
      },
    });
    const r = await c.run();
    assert.deepEqual(r, { result: "hangup", room: "101", heard: 3, saved: 1, deleted: 1, pinSet: false });
    assert.deepEqual(c.channel.labels(), [
      ...INTRO,
      ...heard(1),
      AMENU,
      ...heard(2),
      AMENU,
      ...heard(1),
      AMENU,
      ...heard(1),
      AMENU,
      "vm-saved",
      ...heard(2),
      AMENU,
      "vm-deleted",
      ...heard(3),
      AMENU,
      "vm-no-more",
      "vm-end-menu-asterisk",
      ...heard(3),
      AMENU,
      ...heard(1),
      AMENU,
    ]);
    assert.deepEqual(c.calls.save, [["101", "m1"]]);
    assert.deepEqual(c.calls.delete, [["101", "m2"]]);
  });

  test("asterisk: 4 at the first message is not valid; duvoice keys mean nothing there", async () => {
    const c = retrieval({
      opts: { keymap: "asterisk" },
      script: {
        keys: [after(AMENU, 1, "4"), after(AMENU, 2, "2"), after(AMENU, 3, "6")],
        hangup: { during: "msg:m2" },
      },
    });
    await c.run();
    assert.deepEqual(c.channel.labels(), [
      ...INTRO,
      ...heard(1),
      AMENU,
      "invalid",
      AMENU,
      "invalid",
      AMENU,
      ...heard(2),
    ]);
    assert.deepEqual(c.calls.save, []);
  });

  test("barge-in during the envelope: the key answers at once, the message is not played", async () => {
    const c = retrieval({ script: { keys: [{ during: "env-today", key: "3" }], hangup: { during: "msg:m2" } } });
    const r = await c.run();
    assert.equal(r.heard, 1, "only m2 started");
    assert.deepEqual(c.channel.labels(), [...INTRO, "env-message", "num-1", "env-today", ...heard(2)]);
  });

  test("barge-in during the message: 2 saves it without the menu", async () => {
    const c = retrieval({ script: { keys: [{ during: "msg:m1", key: "2" }], hangup: { during: "msg:m2" } } });
    await c.run();
    assert.deepEqual(c.calls.save, [["101", "m1"]]);
    assert.deepEqual(c.channel.labels(), [...INTRO, ...heard(1), "vm-saved", ...heard(2)]);
    assert.equal(c.channel.played.find((p) => p.label === "msg:m1")?.result, "interrupted");
  });

  test("barge-in during the menu and the summary", async () => {
    for (const interruptOnBufferedKey of [false, true]) {
      const c = retrieval({
        script: {
          keys: [
            { during: "vm-you-have", key: "1" }, // skips the summary only: nothing deleted unheard
            { during: MENU, key: "3" },
          ],
          hangup: { during: "msg:m2" },
          interruptOnBufferedKey,
        },
      });
      await c.run();
      assert.deepEqual(c.calls.delete, []);
      assert.deepEqual(c.channel.labels(), ["vm-you-have", ...heard(1), MENU, ...heard(2)]);
    }
  });

  test("a key during a confirmation answers the next message, as during its envelope", async () => {
    const c = retrieval({
      script: { keys: [after(MENU, 1, "2"), { during: "vm-saved", key: "3" }], hangup: { during: "msg:m3" } },
    });
    await c.run();
    assert.deepEqual(c.channel.labels(), [...INTRO, ...heard(1), MENU, "vm-saved", ...heard(3)]);
  });

  test("a hang-up in the middle of a message leaves it new", async () => {
    const c = retrieval({ script: { hangup: { during: "msg:m1" } } });
    const r = await c.run();
    assert.deepEqual(r, { result: "hangup", room: "101", heard: 1, saved: 0, deleted: 0, pinSet: false });
    assert.deepEqual(c.calls.save, []);
    assert.equal(c.channel.callsAfterHangup, 0);
    assert.equal(c.channel.hangupCalls, 0);
  });

  test("* says the help, which names 8 for a PIN, then waits for a key", async () => {
    const c = retrieval({
      script: { keys: [after(MENU, 1, "*"), after("vm-help-common", 1, "3")], hangup: { during: "msg:m2" } },
    });
    await c.run();
    assert.deepEqual(c.channel.labels(), [
      ...INTRO,
      ...heard(1),
      MENU,
      "vm-help-duvoice",
      "vm-help-common",
      ...heard(2),
    ]);
    const a = retrieval({
      opts: { keymap: "asterisk" },
      script: { keys: [after(AMENU, 1, "*")], hangup: { after: "vm-help-common" } },
    });
    await a.run();
    assert.deepEqual(a.channel.labels().slice(-2), ["vm-help-asterisk", "vm-help-common"]);
  });

  test("wrong keys: invalid and the menu again; three in a row end the call", async () => {
    const c = retrieval({ script: { keys: [after(MENU, 1, "9"), after(MENU, 2, "#"), after(MENU, 3, "7")] } });
    const r = await c.run();
    assert.equal(r.result, "goodbye");
    assert.deepEqual(c.channel.labels(), [...INTRO, ...heard(1), MENU, "invalid", MENU, "invalid", MENU, "goodbye"]);
  });

  test("no key at the menu: asked again, three pauses end the call; the message stays new", async () => {
    const c = retrieval({});
    const r = await c.run();
    assert.deepEqual(r, { result: "goodbye", room: "101", heard: 1, saved: 0, deleted: 0, pinSet: false });
    assert.deepEqual(c.channel.labels(), [...INTRO, ...heard(1), MENU, MENU, MENU, "goodbye"]);
  });

  test("0 at a message: the operator", async () => {
    const c = retrieval({ script: { keys: [after(MENU, 1, "0")], transfer: "accepted" } });
    const r = await c.run();
    assert.deepEqual(r, {
      result: "operator",
      room: "101",
      heard: 1,
      saved: 0,
      deleted: 0,
      pinSet: false,
      transfer: "accepted",
    });
    assert.deepEqual(c.channel.transfers, ["100"]);
    assert.deepEqual(c.channel.labels().slice(-2), [MENU, "vm-transferring"]);
  });

  test("0 refused, or no operator: cannot be reached, goodbye", async () => {
    const c = retrieval({ script: { keys: [after(MENU, 1, "0")] } });
    assert.equal((await c.run()).transfer, "refused");
    assert.deepEqual(c.channel.labels().slice(-2), ["vm-transferring", "vm-operator-unreachable"]);
    const n = retrieval({ opts: { operator: null }, script: { keys: [after(MENU, 1, "0")] } });
    assert.equal((await n.run()).transfer, "no-operator");
    assert.deepEqual(n.channel.labels().slice(-1), ["vm-operator-unreachable"]);
  });
});

describe("voicemail retrieval: the summary and the end", () => {
  /** What a call into `box` says until the end menu. */
  const intro = async (box: RetrieveSetup["box"]) => {
    const c = retrieval({ box, script: { hangup: { after: "vm-end-menu-duvoice" } } });
    await c.run();
    return c.channel.labels();
  };

  test("singular, plural, none", async () => {
    const [m1, m2, m3] = MESSAGES;
    const one = retrieval({ box: { messages: [m1] }, script: { hangup: { during: "env-message" } } });
    await one.run();
    assert.deepEqual(one.channel.labels(), ["vm-you-have", "vm-new-one", "env-message"]);
    const saved = retrieval({
      box: { messages: [{ ...m1, state: "saved" }, m3] },
      script: { hangup: { during: "env-message" } },
    });
    await saved.run();
    assert.deepEqual(saved.channel.labels(), [
      "vm-you-have",
      "vm-no-new",
      "and",
      "num-2",
      "vm-saved-many",
      "env-message",
    ]);
    const both = retrieval({
      box: { messages: [m1, m2, m3, { ...m3, id: "m4" }] },
      script: { hangup: { during: "env-message" } },
    });
    await both.run();
    assert.deepEqual(both.channel.labels(), [
      "vm-you-have",
      "num-2",
      "vm-new-many",
      "and",
      "num-2",
      "vm-saved-many",
      "env-message",
    ]);
    assert.deepEqual(await intro({ messages: [] }), ["vm-no-messages", "vm-end-menu-duvoice"]);
  });

  test("a text message at the front desk is announced", async () => {
    assert.deepEqual(await intro({ messages: [], textWaiting: true }), [
      "vm-no-messages",
      "vm-front-desk",
      "vm-end-menu-duvoice",
    ]);
    const c = retrieval({ box: { textWaiting: true }, script: { hangup: { during: "env-message" } } });
    await c.run();
    assert.deepEqual(c.channel.labels(), [...INTRO, "vm-front-desk", "env-message"]);
  });

  test("the mailbox's language from its GL code; the call's language when it has none", async () => {
    const de = retrieval({ box: { language: "GE" }, script: { hangup: { during: "msg:m1" } } });
    await de.run();
    assert.deepEqual(new Set(de.prompts.requests.map((r) => r.lang)), new Set(["de"]));
    assert.deepEqual(de.channel.labels().slice(INTRO.length), heard(1, "de"));
    const none = retrieval({ box: { language: " " }, opts: { lang: "it" }, script: { hangup: { during: "msg:m1" } } });
    await none.run();
    assert.deepEqual(new Set(none.prompts.requests.map((r) => r.lang)), new Set(["it"]));
  });

  test("after the last message: replay from the start reloads the mailbox", async () => {
    const c = retrieval({
      box: { messages: [MESSAGES[0]] },
      script: {
        keys: [after(MENU, 1, "3"), after("vm-end-menu-duvoice", 1, "4")],
        hangup: { during: "msg:m1", nth: 2 },
      },
    });
    await c.run();
    assert.deepEqual(c.calls.mailbox, ["101", "101"]);
    assert.deepEqual(c.channel.labels(), [
      "vm-you-have",
      "vm-new-one",
      ...heard(1),
      MENU,
      "vm-no-more",
      "vm-end-menu-duvoice",
      "vm-you-have",
      "vm-new-one",
      ...heard(1),
    ]);
  });

  test("after the last message: 0 for the operator, wrong keys are invalid, one pause says goodbye", async () => {
    const c = retrieval({
      box: { messages: [] },
      script: {
        keys: [after("vm-end-menu-duvoice", 1, "1"), after("vm-end-menu-duvoice", 2, "0")],
        transfer: "accepted",
      },
    });
    const r = await c.run();
    assert.equal(r.result, "operator");
    assert.deepEqual(c.channel.labels(), [
      "vm-no-messages",
      "vm-end-menu-duvoice",
      "invalid",
      "vm-end-menu-duvoice",
      "vm-transferring",
    ]);
    const quiet = retrieval({ box: { messages: [] } });
    assert.equal((await quiet.run()).result, "goodbye");
    assert.deepEqual(quiet.channel.labels(), ["vm-no-messages", "vm-end-menu-duvoice", "goodbye"]);
  });

  test("the previous key after the last message needs a message left", async () => {
    const c = retrieval({
      opts: { keymap: "asterisk" },
      box: { messages: [MESSAGES[0]] },
      script: { keys: [after(AMENU, 1, "7"), after("vm-end-menu-asterisk", 1, "4")], hangup: { after: "invalid" } },
    });
    await c.run();
    assert.deepEqual(c.channel.labels().slice(-3), ["vm-deleted", "vm-end-menu-asterisk", "invalid"]);
  });
});

describe("voicemail retrieval: failures", () => {
  test("an unreadable message: logged, its menu follows (delete still works)", async () => {
    const c = retrieval({
      fail: { audio: ["m1"] },
      script: { keys: [after(MENU, 1, "1")], hangup: { during: "msg:m2" } },
    });
    const r = await c.run();
    assert.equal(r.deleted, 1);
    assert.deepEqual(c.channel.labels().slice(INTRO.length), [...envelope(1), MENU, "vm-deleted", ...heard(2)]);
    assert.ok(c.logger.lines.some((l) => l.msg === "voicemail message audio not readable"));
  });

  test("save fails: service unavailable, the call ends, no rejection", async () => {
    const c = retrieval({ fail: { save: true }, script: { keys: [after(MENU, 1, "2")] } });
    const r = await c.run();
    assert.equal(r.result, "failed");
    assert.equal(r.saved, 0);
    assert.deepEqual(c.channel.labels().slice(-2), [MENU, "service-unknown"]);
    assert.equal(c.channel.hungUpBy, "us");
  });

  test("no mailbox, or one that cannot be read", async () => {
    const none = retrieval({ box: undefined });
    assert.equal((await none.run()).result, "no-mailbox");
    assert.deepEqual(none.channel.labels(), ["service-unknown"]);
    const broken = retrieval({ box: new Error("SQLITE_BUSY") });
    const r = await broken.run();
    assert.equal(r.result, "failed");
    assert.deepEqual(broken.channel.labels(), ["service-unknown"]);
    assert.equal(broken.channel.hungUpBy, "us");
    assert.ok(broken.logger.lines.some((l) => l.msg === "voicemail retrieval failed"));
  });

  test("a missing prompt: logged, call ended, no rejection", async () => {
    const c = retrieval({ missing: ["vm-you-have", "service-unknown"] });
    assert.equal((await c.run()).result, "failed");
    assert.equal(c.channel.hungUpBy, "us");
  });
});
