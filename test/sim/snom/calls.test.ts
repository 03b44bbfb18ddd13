import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { startPhone } from "./helpers.ts";

const lineStates = (p: { calls: { lines(): { state: string }[] } }) => p.calls.lines().map((l) => l.state);

describe("SNOM simulator: call state machine", () => {
  test("ringing → talking (OFFHOOK) → held (F_HOLD) → talking (F_HOLD) → ended (ONHOOK), per line", async () => {
    const { phone, get } = await startPhone({ lines: 2 });
    assert.deepEqual(lineStates(phone), ["idle", "idle"]);
    const call = phone.incoming("0612345678");
    assert.deepEqual(lineStates(phone), ["ringing", "idle"]);
    await get("/command.htm?key=OFFHOOK");
    assert.equal(call.state, "talking");
    assert.equal(phone.hook, "off");
    await get("/command.htm?key=F_HOLD");
    assert.deepEqual(lineStates(phone), ["held", "idle"]);
    await get("/command.htm?key=F_R"); // the older name of the hold key
    assert.equal(call.state, "talking");
    await get("/command.htm?key=ONHOOK");
    assert.deepEqual(call.history, ["ringing", "talking", "held", "talking", "ended"]);
    assert.equal(call.endReason, "hangup");
    assert.equal(phone.hook, "on");
    assert.deepEqual(lineStates(phone), ["idle", "idle"]);
    assert.deepEqual(
      phone.received.map((e) => e.number),
      ["0612345678"],
    );
  });

  test("ENTER and SPEAKER answer; CANCEL rejects a ringing call and hangs up a talking one", async () => {
    const { phone, get } = await startPhone();
    const a = phone.incoming("201");
    await get("/command.htm?key=ENTER");
    assert.equal(a.state, "talking");
    await get("/command.htm?key=CANCEL");
    assert.equal(a.endReason, "hangup");
    const b = phone.incoming("202");
    await get("/command.htm?key=CANCEL");
    assert.equal(b.endReason, "rejected");
    const c = phone.incoming("203");
    await get("/command.htm?key=SPEAKER");
    assert.equal(c.state, "talking");
    await get("/command.htm?key=DISCONNECT");
    assert.equal(c.state, "ended");
  });

  test("call waiting: answering the second call holds the first; P<line> resumes it", async () => {
    const { phone, get } = await startPhone();
    const a = phone.incoming("201");
    phone.answer();
    const b = phone.incoming("202");
    assert.deepEqual(lineStates(phone), ["talking", "ringing", "idle", "idle"]);
    await get("/command.htm?key=OFFHOOK");
    assert.equal(a.state, "held");
    assert.equal(b.state, "talking");
    await get("/command.htm?key=P1");
    assert.equal(a.state, "talking");
    assert.equal(b.state, "held");
  });

  test("remote dialling: number= dials (calling), the far end answers (talking); dialling again holds it", async () => {
    const { phone, get } = await startPhone();
    await get("/command.htm?number=0698765432&outgoing_uri=sip%3A101%40pbx.hotel.test");
    const [a] = phone.calls.live;
    assert.equal(a.state, "calling");
    assert.equal(a.direction, "out");
    assert.match(phone.requests[0].effects[0], /dialled 0698765432 via sip:101@pbx\.hotel\.test: call 1 calling/);
    await get("/command.htm?key=OFFHOOK"); // must not "answer" our own outgoing call
    assert.equal(a.state, "calling");
    phone.remoteAnswer(a.id);
    assert.equal(a.state, "talking");
    await get("/command.htm?number=777");
    assert.equal(a.state, "held");
    assert.equal(phone.calls.live[1].state, "calling");
    assert.deepEqual(
      phone.dialed.map((d) => d.number),
      ["0698765432", "777"],
    );
  });

  test("remoteAnswerMs answers outgoing calls by itself", async () => {
    const { phone, get } = await startPhone({ remoteAnswerMs: 20 });
    await get("/command.htm?number=300");
    const [a] = phone.calls.live;
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(a.state, "talking");
  });

  test("typed digits and ENTER dial; digits while talking are DTMF; key_dtmf too; REDIAL redials", async () => {
    const { phone, get } = await startPhone();
    await get("/command.htm?key=3;0;1;ENTER");
    const [a] = phone.calls.live;
    assert.equal(a.remote, "301");
    phone.remoteAnswer();
    await get("/command.htm?key=1,100,50;%23");
    await get("/command.htm?key_dtmf=42");
    assert.equal(a.dtmf, "1#42");
    await get("/command.htm?key=ONHOOK");
    await get("/command.htm?key=F_REDIAL");
    assert.equal(phone.calls.live[0].remote, "301");
    await get("/command.htm?key=CANCEL;REDIAL");
    assert.equal(phone.calls.live[0].remote, "301");
  });

  test("24U transfer: TRANSFER holds the call, then number= sends it there (blind)", async () => {
    const { phone, get } = await startPhone();
    const a = phone.incoming("0612345678");
    phone.answer();
    await get("/command.htm?key=TRANSFER");
    assert.equal(a.state, "held");
    assert.equal(a.transferPending, true);
    await get("/command.htm?number=102");
    assert.equal(a.endReason, "transferred");
    assert.equal(a.transferredTo, "102");
    assert.equal(phone.calls.live.length, 0, "no new call: the transfer used the number");
  });

  test("transfer by keys: TRANSFER, digits, TRANSFER; CANCEL instead takes the call back", async () => {
    const { phone, get } = await startPhone();
    const a = phone.incoming("201");
    phone.answer();
    await get("/command.htm?key=TRANSFER;1;0;5;TRANSFER");
    assert.equal(a.transferredTo, "105");
    const b = phone.incoming("202");
    phone.answer();
    await get("/command.htm?key=TRANSFER;CANCEL");
    assert.equal(b.state, "talking");
    assert.equal(b.transferPending, false);
  });

  test("attended transfer: hold, call the target, TRANSFER connects both and leaves", async () => {
    const { phone, get } = await startPhone();
    const a = phone.incoming("0612345678");
    phone.answer();
    await get("/command.htm?key=F_HOLD");
    await get("/command.htm?number=102");
    const b = phone.remoteAnswer();
    await get("/command.htm?key=TRANSFER");
    assert.equal(a.endReason, "transferred");
    assert.equal(b.endReason, "transferred");
    assert.equal(a.transferredTo, "102");
    assert.equal(b.transferredTo, "0612345678");
  });

  test("RELEASE_ALL_CALLS ends every call", async () => {
    const { phone, get } = await startPhone();
    phone.incoming("201");
    phone.answer();
    phone.incoming("202");
    await get("/command.htm?RELEASE_ALL_CALLS");
    assert.equal(phone.calls.live.length, 0);
    assert.deepEqual(
      phone.calls.all.map((c) => c.endReason),
      ["released", "released"],
    );
  });

  test("refusals: DND, no free line, nothing registered", async () => {
    const { phone, get } = await startPhone({ lines: 1 });
    phone.incoming("201");
    assert.equal(phone.incoming("202").endReason, "no-line");
    await get("/command.htm?RELEASE_ALL_CALLS");
    phone.setDnd(true);
    assert.equal(phone.incoming("203").endReason, "dnd");
    phone.setDnd(false);
    await get("/command.htm?LOGOFFALL");
    assert.equal(phone.incoming("204").endReason, "unavailable");
  });

  test("keyboard lock: the guest cannot dial but emergency numbers; remote dialling still works", async () => {
    const { phone, get } = await startPhone();
    await get("/dummy.htm?settings=save&keyboard_lock=on");
    assert.equal(phone.keyboardLock, true);
    assert.equal(phone.dial("0612345678"), null);
    const e = phone.dial("112");
    assert.equal(e?.state, "calling");
    await get("/command.htm?RELEASE_ALL_CALLS");
    await get("/command.htm?number=0612345678");
    assert.equal(phone.calls.live[0]?.remote, "0612345678");
  });

  test("scripted misuse is an error; keys in the wrong state do nothing", async () => {
    const { phone, get } = await startPhone();
    assert.throws(() => phone.answer(), /no such call/);
    await get("/command.htm?key=F_HOLD;TRANSFER;DISCONNECT;ENTER");
    assert.equal(phone.calls.all.length, 0);
    assert.deepEqual(phone.requests[0].effects, [
      "key F_HOLD: no call to hold or resume",
      "key TRANSFER: no call to transfer",
      "key DISCONNECT: no call to disconnect",
      "key ENTER: nothing to send",
    ]);
  });
});
