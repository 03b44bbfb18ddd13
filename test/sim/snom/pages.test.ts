import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { evs, listener, startPhone, waitFor } from "./helpers.ts";

describe("SNOM simulator: pages", () => {
  test("every control page answers 200 text/html; an unknown page 404", async () => {
    const { get } = await startPhone();
    for (const path of [
      "/command.htm?key=ENTER",
      "/dummy.htm?settings=save&user_idle_text1=x",
      "/settings.htm?settings=save&user_realname1=x",
      "/minibrowser.htm?url=snom%3A%2F%2Fmb_nop",
      "/line_login.htm?PLAY_RINGER:3=+Ringer",
      "/index.htm?misseddel=clear",
      "/",
    ]) {
      const r = await get(path);
      assert.equal(r.status, 200, path);
      assert.match(r.type, /^text\/html/, path);
    }
    assert.equal((await get("/restapi")).status, 404);
  });

  test("keys: case-sensitive names, unknown and malformed ones recorded and ignored, the rest applied in order", async () => {
    const { phone, get } = await startPhone();
    phone.incoming("201");
    await get("/command.htm?key=offhook;HOLD;OFFHOOK,200;F_HOLD,abc;UP;VOLUME_UP;P3;EK2;REC");
    const r = phone.requests[0];
    assert.deepEqual(r.unknownKeys, ["offhook", "HOLD", "F_HOLD"]);
    assert.deepEqual(r.effects, [
      'unknown key "offhook": ignored',
      'unknown key "HOLD": ignored',
      "key OFFHOOK: answered call 1",
      'malformed key event "F_HOLD,abc": ignored',
      "key UP: no modelled effect",
      "key VOLUME_UP: no modelled effect",
      "key P3: no modelled effect",
      "key EK2: no modelled effect",
      "key REC: no modelled effect",
    ]);
    assert.equal(phone.calls.live[0].state, "talking");
    assert.deepEqual(phone.unknownKeys, ["offhook", "HOLD", "F_HOLD"]);
  });

  test("identities: LOGOFFLINE=n, LOGOFFALL and REREGISTER=n fire log-off / log-on with $context_url", async () => {
    const l = await listener();
    const { phone, get } = await startPhone({
      identities: 2,
      announce: false,
      settings: {
        user_name2: "901",
        action_log_on_url: `${l.url}/on?ev=on&ctx=$context_url`,
        action_log_off_url: `${l.url}/off?ev=off&ctx=$context_url&u=$active_user`,
      },
    });
    await get("/command.htm?LOGOFFLINE=2");
    await get("/command.htm?LOGOFFALL");
    await get("/command.htm?REREGISTER=1");
    await get("/command.htm?LOGOFFLINE=13");
    await get("/command.htm?REREGISTER=5");
    await phone.idle();
    assert.deepEqual(evs(l.got), ["off", "off", "on"]);
    assert.deepEqual(
      l.got.map((r) => r.query.get("ctx")),
      ["sip:901@pbx.hotel.test", "sip:101@pbx.hotel.test", "sip:101@pbx.hotel.test"],
    );
    assert.equal(l.got[0].query.get("u"), "901");
    assert.deepEqual(Object.fromEntries(phone.registered), { 1: true, 2: false });
    assert.deepEqual(
      phone.requests.slice(3).map((r) => r.effects[0]),
      ["LOGOFFLINE=13: identity 1…12 expected", "no identity 5"],
    );
  });

  test("ringer, call lists and list clearing", async () => {
    const { phone, get } = await startPhone();
    await get("/line_login.htm?PLAY_RINGER:4=+Ringer");
    await get("/line_login.htm?PLAY_RINGER:0=+Ringer");
    assert.deepEqual(
      phone.ringers.map((r) => r.ringer),
      [4],
    );
    phone.incoming("201");
    phone.remoteHangup();
    phone.dial("300");
    assert.equal(phone.missed.length, 1);
    assert.equal(phone.dialed.length, 1);
    await get("/index.htm?misseddel=clear");
    assert.equal(phone.missed.length, 0);
    assert.equal(phone.dialed.length, 1);
    await get("/index.htm?dialeddel=clear");
    assert.equal(phone.dialed.length, 0);
  });

  test("advanced_update.htm?reboot=Reboot answers, drops calls, is down, then comes back and re-sends setup", async () => {
    const l = await listener();
    const { phone, get, base } = await startPhone({
      rebootMs: 100,
      settings: {
        action_setup_url: `${l.url}/boot?ev=setup&ip=$phone_ip`,
        action_log_on_url: `${l.url}/reg?ev=log_on`,
      },
    });
    await phone.idle();
    const call = phone.incoming("201");
    phone.answer();
    assert.equal((await get("/advanced_update.htm?reboot=Reboot")).status, 200);
    await waitFor(() => !phone.isUp, "down");
    assert.equal(call.endReason, "reboot");
    await assert.rejects(fetch(`${base}/command.htm?key=ENTER`));
    await waitFor(() => phone.isUp, "up again");
    await phone.idle();
    assert.deepEqual(evs(l.got), ["setup", "log_on", "setup", "log_on"]);
    assert.equal((await get("/command.htm?key=ENTER")).status, 200);
    assert.equal((await get("/advanced_update.htm?update=1")).status, 200, "without reboot=Reboot: nothing");
    assert.ok(phone.isUp);
  });

  test("the control pages script the phone without credentials", async () => {
    const { phone, get } = await startPhone({ user: "admin", password: "s3cret" });
    const json = async (path: string) => JSON.parse((await get(path)).text);
    const ring = await json("/sim/incoming?from=0612345678&name=Mario");
    assert.equal(ring.state, "ringing");
    assert.equal((await json("/sim/answer")).state, "talking");
    assert.equal((await json("/sim/hold")).state, "held");
    assert.equal((await json("/sim/resume")).state, "talking");
    assert.equal((await json(`/sim/remote-hangup?call=${ring.id}`)).endReason, "remote-hangup");
    assert.equal((await get("/sim/answer")).status, 400);
    assert.equal((await get("/sim/nope")).status, 404);
    const state = await json("/sim/state");
    assert.equal(state.extension, "101");
    assert.equal(state.settings.http_pass, "***");
    assert.deepEqual(
      state.lines.map((x: { state: string }) => x.state),
      ["idle", "idle", "idle", "idle"],
    );
    assert.equal(
      phone.requests.every((r) => r.auth === "none"),
      true,
    );
  });

  test("control: false turns /sim/ into an ordinary unknown page, behind authentication", async () => {
    const { get } = await startPhone({ control: false, user: "admin", password: "s3cret" });
    assert.equal((await get("/sim/state")).status, 401);
    assert.equal((await get("/sim/state", { user: "admin", password: "s3cret", scheme: "basic" })).status, 404);
  });
});
