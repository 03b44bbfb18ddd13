import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { actionOf, KEYMAPS, keyOf, type MessageAction } from "../../src/ivr/voicemail-keymap.ts";
import { PROMPT_IDS } from "../../src/voice/prompts.ts";

describe("voicemail key maps", () => {
  test("duvoice: 1 delete, 2 save, 3 next, 4 replay; no previous", () => {
    const m = KEYMAPS.duvoice;
    const want: [MessageAction, string | undefined][] = [
      ["delete", "1"],
      ["save", "2"],
      ["next", "3"],
      ["replay", "4"],
      ["previous", undefined],
    ];
    for (const [action, key] of want) assert.equal(keyOf(m, action), key, action);
  });

  test("asterisk: 7 delete, 9 save, 6 next, 5 repeat, 4 previous", () => {
    const m = KEYMAPS.asterisk;
    const want: [MessageAction, string][] = [
      ["delete", "7"],
      ["save", "9"],
      ["next", "6"],
      ["replay", "5"],
      ["previous", "4"],
    ];
    for (const [action, key] of want) assert.equal(keyOf(m, action), key, action);
  });

  test("both: 8 sets a PIN, 0 the operator, * help; # and unused keys do nothing", () => {
    for (const m of Object.values(KEYMAPS)) {
      assert.equal(actionOf(m, "8"), "set-pin");
      assert.equal(actionOf(m, "0"), "operator");
      assert.equal(actionOf(m, "*"), "help");
      assert.equal(actionOf(m, "#"), undefined);
      assert.equal(actionOf(m, "A"), undefined);
    }
  });

  test("menus and help are prompts; help names the PIN key", () => {
    const known = new Set<string>(PROMPT_IDS);
    for (const m of Object.values(KEYMAPS)) {
      for (const id of [m.menu, m.endMenu, ...m.help]) assert.ok(known.has(id), id);
      assert.ok(m.help.includes("vm-help-common"));
    }
  });
});
