import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { evs, listener, startPhone } from "./helpers.ts";

/** Action URL settings for every call event, each to `url` with ?ev=NAME and the usual variables. */
function actionSettings(url: string, names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of names) {
    out[n] = `${url}/snom?ev=${n.replace(/^action_|_url$/g, "")}&r=$remote&l=$local&c=$call-id&u=$active_user`;
  }
  return out;
}

const CALL_ACTIONS = [
  "action_incoming_url",
  "action_outgoing_url",
  "action_connected_url",
  "action_disconnected_url",
  "action_missed_url",
  "action_hold",
  "action_unhold",
];

describe("SNOM simulator: action URLs", () => {
  test("at start: setup then log-on, with $mac, $phone_ip and $active_user", async () => {
    const l = await listener();
    const { phone } = await startPhone({
      mac: "00:04:13:AB:CD:EF",
      extension: "204",
      settings: {
        action_setup_url: `${l.url}/boot?mac=$mac&ip=$phone_ip`,
        action_log_on_url: `${l.url}/reg?mac=$mac&ip=$phone_ip&user=$active_user&ctx=$context_url`,
      },
    });
    await phone.idle();
    assert.deepEqual(
      l.got.map((r) => r.url),
      ["/boot?mac=000413ABCDEF&ip=127.0.0.1", "/reg?mac=000413ABCDEF&ip=127.0.0.1&user=204&ctx=sip:204@pbx.hotel.test"],
    );
    assert.deepEqual(
      phone.fired.map((a) => [a.event, a.status]),
      [
        ["setup", 200],
        ["log_on", 200],
      ],
    );
  });

  test("a call answered, held, resumed and hung up fires incoming, connected, hold, unhold, disconnected in order", async () => {
    const l = await listener();
    const { phone, get } = await startPhone({ settings: actionSettings(l.url, CALL_ACTIONS) });
    const call = phone.incoming("0612345678", { name: "Mario Rossi" });
    await get("/command.htm?key=OFFHOOK");
    await get("/command.htm?key=F_HOLD");
    await get("/command.htm?key=F_HOLD");
    await get("/command.htm?key=ONHOOK");
    await phone.idle();
    assert.deepEqual(evs(l.got), ["incoming", "connected", "hold", "unhold", "disconnected"]);
    for (const r of l.got) {
      assert.equal(r.query.get("r"), "sip:0612345678@pbx.hotel.test");
      assert.equal(r.query.get("l"), "sip:101@pbx.hotel.test");
      assert.equal(r.query.get("c"), call.callId);
      assert.equal(r.query.get("u"), "101");
    }
    assert.match(l.got[0].url, /r=sip:0612345678@pbx\.hotel\.test&/, "`:` and `@` are sent as they are");
  });

  test("outgoing call: outgoing, then connected when the far end answers, then disconnected when it hangs up", async () => {
    const l = await listener();
    const { phone, get } = await startPhone({ settings: actionSettings(l.url, CALL_ACTIONS) });
    await get("/command.htm?number=0698765432&outgoing_uri=sip:101@pbx.hotel.test");
    phone.remoteAnswer();
    phone.remoteHangup();
    await phone.idle();
    assert.deepEqual(evs(l.got), ["outgoing", "connected", "disconnected"]);
    assert.equal(l.got[0].query.get("r"), "sip:0698765432@pbx.hotel.test");
  });

  test("a ringing call the caller gives up on fires missed then disconnected; a call refused by DND only missed", async () => {
    const l = await listener();
    const { phone } = await startPhone({ settings: actionSettings(l.url, CALL_ACTIONS) });
    phone.incoming("201");
    phone.remoteHangup(undefined, { cancelReason: "SIP;cause=487" });
    phone.setDnd(true);
    const refused = phone.incoming("202");
    await phone.idle();
    assert.deepEqual(evs(l.got), ["incoming", "missed", "disconnected", "missed"]);
    assert.equal(refused.endReason, "dnd");
    assert.deepEqual(
      phone.missed.map((m) => m.number),
      ["201", "202"],
    );
  });

  test("DND on and off by key and by settings fire dnd_on / dnd_off once per change", async () => {
    const l = await listener();
    const { phone, get } = await startPhone({
      settings: {
        action_dnd_on_url: `${l.url}/dnd?ev=on&u=$active_user&mac=$mac`,
        action_dnd_off_url: `${l.url}/dnd?ev=off&u=$active_user`,
      },
    });
    await get("/command.htm?key=DND");
    await get("/dummy.htm?settings=save&dnd_mode=on"); // already on: no event
    await get("/dummy.htm?settings=save&dnd_mode=off");
    await get("/settings.htm?settings=save&dnd_mode=on");
    await phone.idle();
    assert.deepEqual(evs(l.got), ["on", "off", "on"]);
    assert.equal(l.got[0].query.get("mac"), "000413000001");
  });

  test("hook changes fire offhook / onhook", async () => {
    const l = await listener();
    const { phone, get } = await startPhone({
      settings: { action_offhook_url: `${l.url}/h?ev=off`, action_onhook_url: `${l.url}/h?ev=on` },
    });
    await get("/command.htm?key=OFFHOOK;OFFHOOK;ONHOOK");
    await phone.idle();
    assert.deepEqual(evs(l.got), ["off", "on"]);
  });

  test("variables: in a path up to `&`, settings by name, private settings empty, unknown names left and reported", async () => {
    const l = await listener();
    const { phone } = await startPhone({
      user: "admin",
      password: "s3cret",
      settings: {
        action_incoming_url: `${l.url}/$mac&/in.xml?n=$display_remote&rn=$user_realname1&pw=$http_pass&x=$nope&k=$active_key&csta=$csta_id&nr=$nr_ongoing_calls`,
        user_realname1: "Room 101",
      },
    });
    phone.incoming("0612345678", { name: "Élise Dupont & Co" });
    await phone.idle();
    assert.equal(l.got[0].path, "/000413000001/in.xml");
    const q = l.got[0].query;
    assert.equal(q.get("n"), "Élise Dupont & Co", "values are URL-encoded");
    assert.equal(q.get("rn"), "Room 101");
    assert.equal(q.get("pw"), "");
    assert.equal(q.get("x"), "$nope");
    assert.equal(q.get("k"), "P1");
    assert.equal(q.get("csta"), "1");
    assert.equal(q.get("nr"), "1");
    assert.deepEqual(phone.fired[0].unknownVariables, ["nope"]);
  });

  test("bare numbers with uriVariables off; the `_url` spelling of hold fires too", async () => {
    const l = await listener();
    const { phone } = await startPhone({
      uriVariables: false,
      settings: { action_hold_url: `${l.url}/h?ev=hold&r=$remote&l=$local` },
    });
    phone.incoming("0612345678");
    phone.answer();
    phone.hold();
    await phone.idle();
    assert.equal(l.got.length, 1);
    assert.equal(l.got[0].query.get("r"), "0612345678");
    assert.equal(l.got[0].query.get("l"), "101");
  });

  test("credentials in an action URL become a Basic header; failures are recorded, never retried, order kept", async () => {
    const l = await listener();
    const { phone } = await startPhone({
      settings: {
        action_incoming_url: `http://cti:pa%24s@127.0.0.1:${new URL(l.url).port}/in?ev=incoming`,
        action_connected_url: "http://127.0.0.1:9/unreachable?ev=connected",
        action_disconnected_url: `${l.url}/fail?ev=disconnected`,
      },
    });
    l.state.status = 200;
    phone.incoming("300");
    phone.answer();
    await phone.idle();
    l.state.status = 503;
    phone.hangup();
    await phone.idle();
    assert.equal(l.got[0].authorization, `Basic ${Buffer.from("cti:pa$s").toString("base64")}`);
    assert.deepEqual(
      phone.fired.map((a) => [a.event, a.status, a.error === undefined]),
      [
        ["incoming", 200, true],
        ["connected", null, false],
        ["disconnected", 503, false],
      ],
    );
    assert.equal(l.got.length, 2);
  });
});
