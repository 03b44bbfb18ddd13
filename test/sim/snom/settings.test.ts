import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { startPhone, waitFor } from "./helpers.ts";

describe("SNOM simulator: settings", () => {
  test("dummy.htm and settings.htm save the hotel settings, URL-decoded", async () => {
    const { phone, get } = await startPhone();
    await get(
      `/dummy.htm?settings=save&user_idle_text1=${encodeURIComponent("Élise Dupont")}&user_realname1=${encodeURIComponent("Dupont, É.")}&dnd_mode=on&keyboard_lock=on&action_incoming_url=${encodeURIComponent("http://10.0.0.5/api/v1/phone-events/snom?ev=in&r=$remote")}`,
    );
    assert.equal(phone.idleText(), "Élise Dupont");
    assert.equal(phone.settings.get("user_realname1"), "Dupont, É.");
    assert.equal(phone.dnd, true);
    assert.equal(phone.keyboardLock, true);
    assert.equal(phone.settings.get("action_incoming_url"), "http://10.0.0.5/api/v1/phone-events/snom?ev=in&r=$remote");
    await get("/settings.htm?settings=save&dnd_mode=off&keyboard_lock=off&user_idle_text1=");
    assert.equal(phone.dnd, false);
    assert.equal(phone.keyboardLock, false);
    assert.equal(phone.idleText(), "");
    assert.deepEqual(phone.requests[1].effects, [
      "saved dnd_mode=off",
      "saved keyboard_lock=off",
      "saved user_idle_text1=",
    ]);
  });

  test("without settings=save nothing is stored; on/off settings refuse other values", async () => {
    const { phone, get } = await startPhone();
    await get("/dummy.htm?user_idle_text1=x&dnd_mode=on");
    assert.equal(phone.idleText(), "");
    assert.equal(phone.dnd, false);
    assert.deepEqual(phone.requests[0].effects, ["nothing saved: no settings=save"]);
    await get("/dummy.htm?settings=save&dnd_mode=true&keyboard_lock=1&user_idle_text1=ok");
    assert.equal(phone.dnd, false);
    assert.equal(phone.keyboardLock, false);
    assert.equal(phone.idleText(), "ok");
    assert.deepEqual(phone.requests[1].effects, [
      "saved user_idle_text1=ok",
      "refused dnd_mode=true: on or off",
      "refused keyboard_lock=1: on or off",
    ]);
  });

  test("store_settings=save marks settings stored; with volatileUnstored a reboot forgets the others", async () => {
    const { phone, get } = await startPhone({ volatileUnstored: true, rebootMs: 30 });
    await get("/dummy.htm?settings=save&store_settings=save&user_idle_text1=Stored");
    await get("/dummy.htm?settings=save&user_realname1=Volatile&dnd_mode=on");
    assert.equal(phone.settings.isStored("user_idle_text1"), true);
    assert.equal(phone.settings.isStored("user_realname1"), false);
    assert.match(phone.requests[0].effects[0], /\(stored\)$/);
    phone.reboot();
    await waitFor(() => !phone.isUp, "down");
    await waitFor(() => phone.isUp, "up");
    assert.equal(phone.idleText(), "Stored");
    assert.equal(phone.settings.get("user_realname1"), "");
    assert.equal(phone.dnd, false);
  });

  test("by default a reboot keeps every saved setting", async () => {
    const { phone, get } = await startPhone({ rebootMs: 30 });
    await get("/dummy.htm?settings=save&user_idle_text1=Kept&dnd_mode=on");
    phone.reboot();
    await waitFor(() => !phone.isUp, "down");
    await waitFor(() => phone.isUp, "up");
    assert.equal(phone.idleText(), "Kept");
    assert.equal(phone.dnd, true);
  });

  test("the DND key is saved in dnd_mode like a setting", async () => {
    const { phone, get } = await startPhone();
    await get("/command.htm?key=DND");
    assert.equal(phone.settings.get("dnd_mode"), "on");
    await get("/command.htm?key=F_DND");
    assert.equal(phone.settings.get("dnd_mode"), "off");
  });
});
