import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { listener, names, startSim, value, values } from "./helpers.ts";

const T0 = Date.UTC(2026, 6, 1, 8, 0, 0); // 10:00:00 in Rome

describe("VOIspeed simulator: scripted calls, events and reports", () => {
  test("room → outside, answered, the room hangs up: both families in order, event_name always sent", async () => {
    const events = await listener();
    const { sim } = await startSim({ notifyUrl: `${events.url}/ev?key=k`, now: () => T0 });
    const call = await sim.placeCall("101", "0612345678", { extid: "x-1", ringSeconds: 5, talkSeconds: 125 });
    assert.deepEqual(names(events.got), [
      "3:call_in",
      "2:outgoing_call",
      "3:call_out",
      "3:call_progress",
      "3:call_response",
      "2:call_answered",
      "3:disconnect_in",
      "3:disconnect_out",
      "2:call_disconnect_out",
      "3:call_terminated",
    ]);
    assert.deepEqual(
      events.got.map((e) => e.query.get("event")),
      ["1", "9", "3", "2", "4", "14", "5", "6", "16", "10"],
    );
    assert.ok(events.got.every((e) => e.query.get("key") === "k" && e.query.get("call_id") === String(call.callId)));
    assert.ok(events.got.every((e) => e.query.get("extid") === "x-1"));
    const q = (i: number) => Object.fromEntries(events.got[i].query);
    assert.deepEqual(
      [q(0).calling, q(0).called, q(0).calling_id, q(0).calling_type],
      ["101", "0612345678", "1001", "0"],
    );
    assert.deepEqual([q(2).called_id, q(2).called_type], ["2", "2"]);
    assert.equal(q(3).code, "180");
    assert.deepEqual(
      [q(4).outcome, q(4).connected_id, q(4).connected_type, q(4).connected_number],
      ["1", "2", "2", "0612345678"],
    );
    assert.deepEqual(
      [q(6).sender_id, q(6).sender_type, q(7).recipient_id, q(7).recipient_type],
      ["1001", "0", "2", "2"],
    );
    assert.deepEqual(
      [q(8).ext, q(8).number, q(8).duration, q(8).usercallid],
      ["101", "0612345678", "125", String(call.a.localId)],
    );
    assert.equal(q(9).outcome, "1");
    assert.equal(q(0).datetime, "2026-07-01 10:00:00");
    assert.equal(q(9).datetime, "2026-07-01 10:02:10");
  });

  test("the call fills get_call_report and get_user_call_report", async () => {
    const { sim, get } = await startSim({ now: () => T0 });
    const call = await sim.placeCall("101", "0612345678", { extid: "x-1", ringSeconds: 5, talkSeconds: 125 });
    const ext = await get({ service: "get_call_report", call_id: String(call.callId) });
    const f = (t: string) => value(ext.text, t);
    // `<outcome>` twice: the envelope's, then the call's (T8).
    assert.deepEqual(values(ext.text, "outcome"), ["0", "1"]);
    assert.deepEqual(["id", "start_time", "duration", "calling_number", "called_number", "connected_number"].map(f), [
      String(call.callId),
      "2026-07-01 10:00:00",
      "130",
      "101",
      "0612345678",
      "0612345678",
    ]);
    assert.deepEqual(
      ["ring_time", "talk_time", "hold_time", "ivr_time", "external_id", "gateway_in", "gateway_out", "internal"].map(
        f,
      ),
      ["5", "125", "0", "0", "x-1", "", "2", "0"],
    );
    const user = await get({ service: "get_user_call_report", ext: "101", limit: "1" });
    const u = (t: string) => value(user.text, t);
    assert.deepEqual(values(user.text, "outcome"), ["0", "1"]);
    assert.deepEqual(
      ["callid", "answer_time", "duration", "direction", "my_number", "remote_number", "local_id"].map(u),
      [String(call.callId), "2026-07-01 10:00:05", "125", "out", "101", "0612345678", String(call.a.localId)],
    );
    assert.deepEqual(values((await get({ service: "get_user_call_report", ext: "102" })).text, "id"), []);
  });

  test("outside → room, the far end hangs up: 8 … 17 to the room; reports newest first, limit and filters", async () => {
    const events = await listener();
    const { sim, get } = await startSim({ notifyUrl: events.url, extendedEvents: false });
    const a = await sim.placeCall("0612345678", "101", { hangupBy: "caller" });
    assert.deepEqual(names(events.got), ["2:incoming_call", "2:call_answered", "2:call_disconnect_in"]);
    assert.equal(events.got[0].query.get("number"), "0612345678");
    const b = await sim.placeCall("101", "102", { hangupBy: "called" });
    assert.deepEqual(
      events.got.slice(3).map((e) => `${e.query.get("ext")} ${e.query.get("event_name")}`),
      [
        "101 outgoing_call",
        "102 incoming_call",
        "101 call_answered",
        "102 call_answered",
        "102 call_disconnect_out",
        "101 call_disconnect_in",
      ],
    );
    const all = await get({ service: "get_call_report" });
    assert.deepEqual(values(all.text, "id"), [String(b.callId), String(a.callId)]);
    assert.deepEqual(values(all.text, "internal"), ["1", "0"]);
    assert.deepEqual(values(all.text, "gateway_in"), ["", "2"]);
    assert.deepEqual(values((await get({ service: "get_call_report", limit: "1" })).text, "id"), [String(b.callId)]);
    const mine = await get({ service: "get_user_call_report", ext: "101" });
    assert.deepEqual(values(mine.text, "direction"), ["out", "in"]);
    assert.deepEqual(values(mine.text, "id"), ["2", "1"]);
  });

  test("unanswered, busy, rejected: 15 to the caller, 12 or 15 to the called user; T8 outcomes", async () => {
    const events = await listener();
    const { sim } = await startSim({ notifyUrl: events.url, extendedEvents: false });
    const cases = [
      [false, "5", "lost_call"],
      ["busy", "2", "lost_call"],
      ["reject", "3", "call_rejected"],
    ] as const;
    for (const [answer, code, calledEvent] of cases) {
      events.got.length = 0;
      const call = await sim.placeCall("101", "102", { answer });
      assert.equal(String(call.outcome), code);
      assert.deepEqual(
        events.got.map((e) => `${e.query.get("ext")} ${e.query.get("event_name")}`),
        ["101 outgoing_call", "102 incoming_call", "101 call_rejected", `102 ${calledEvent}`],
      );
    }
    assert.deepEqual(
      sim.state.callReport.map((r) => [r.outcome, r.talk_time, r.connected_id]),
      [
        [5, 0, ""],
        [2, 0, ""],
        [3, 0, ""],
      ],
    );
  });

  test("modes: DND is not rung (7), away is not rung (8) and cannot call out, divert goes one level", async () => {
    const events = await listener();
    const { sim } = await startSim({ notifyUrl: events.url });
    const u102 = sim.user("102");
    assert.ok(u102);
    u102.mode = 2;
    assert.equal((await sim.placeCall("101", "102")).outcome, 7);
    u102.mode = 3;
    assert.equal((await sim.placeCall("101", "102")).outcome, 8);
    assert.equal((await sim.placeCall("102", "101")).outcome, 0);
    assert.ok(!events.got.some((e) => e.query.get("ext") === "102" && e.query.get("event_name") === "incoming_call"));
    u102.mode = 4;
    u102.divertTo = "103";
    events.got.length = 0;
    const diverted = await sim.placeCall("101", "102");
    assert.equal(diverted.b.number, "103");
    assert.equal(diverted.outcome, 1);
    assert.deepEqual(names(events.got).slice(0, 4), ["3:call_in", "2:outgoing_call", "3:call_divert", "3:call_out"]);
    assert.equal(events.got[2].query.get("recipient_id"), "1003");
    const rows = sim.state.userCallReport.filter((r) => r.callid === diverted.callId);
    assert.deepEqual(
      rows.map((r) => [r.my_number, r.direction, r.duration > 0]),
      [
        ["101", "out", true],
        ["103", "in", true],
        ["102", "in", false],
      ],
    );
  });

  test("a ring group: every member is rung, the one who answers is the connected party", async () => {
    const events = await listener();
    const { sim } = await startSim({ notifyUrl: events.url });
    sim.state.groups[0].members = [1002, 1003];
    const call = await sim.placeCall("0612345678", "9", { answeredBy: "103" });
    assert.deepEqual(
      events.got.filter((e) => e.query.get("event_name") === "incoming_call").map((e) => e.query.get("ext")),
      ["102", "103"],
    );
    const resp = events.got.find((e) => e.query.get("event_name") === "call_response");
    assert.deepEqual(
      [resp?.query.get("sender_type"), resp?.query.get("called_type"), resp?.query.get("connected_id")],
      ["1", "1", "1003"],
    );
    const row = sim.state.callReport.find((r) => r.id === call.callId);
    assert.deepEqual([row?.called_type, row?.connected_number], [1, "103"]);
    assert.equal(sim.state.userCallReport.find((r) => r.callid === call.callId)?.group_name, "Reception");
  });

  test("call_request_ext (wake-up): the room is called first, then connected to the IVR; extid in every SSN event", async () => {
    const events = await listener();
    const { sim, get } = await startSim({ notifyUrl: events.url });
    const r = await get({
      service: "call_request_ext",
      calling_id: "1001",
      calling_type: "0",
      calling_number: "101",
      called_id: "10",
      called_type: "3",
      called_number: "101",
      extid: "wk-7",
      auto_answer: "0",
    });
    assert.match(r.text, /<outcome> 0 <\/outcome>/, "padded as in the seed's example");
    await sim.idle();
    const ssn = events.got.filter((e) => e.query.get("event_type") === "3");
    assert.deepEqual(
      ssn.map((e) => e.query.get("event_name")),
      [
        "call_out",
        "call_progress",
        "call_response",
        "call_out",
        "call_progress",
        "call_response",
        "disconnect_in",
        "disconnect_out",
        "call_terminated",
      ],
    );
    assert.ok(ssn.every((e) => e.query.get("extid") === "wk-7"));
    assert.deepEqual([ssn[0].query.get("called_id"), ssn[0].query.get("called_type")], ["1001", "0"]);
    assert.deepEqual([ssn[3].query.get("called_id"), ssn[3].query.get("called_type")], ["10", "3"]);
    assert.deepEqual(
      [ssn[2].query.get("outcome"), ssn[5].query.get("outcome"), ssn[8].query.get("outcome")],
      ["1", "1", "1"],
    );
    const user = events.got.filter((e) => e.query.get("event_type") === "2").map((e) => e.query.get("event_name"));
    assert.deepEqual(user, ["incoming_call", "call_answered", "call_disconnect_in"]);
    assert.deepEqual(
      sim.ivr.prompts.map((p) => p.audio_message),
      ["wakeup.wav"],
    );
    const row = sim.state.callReport.at(-1);
    assert.deepEqual([row?.external_id, row?.talk_time, row?.ivr_time], ["wk-7", 0, 30]);
  });

  test("call_request_ext outcomes per leg: the room does not answer (9), is busy (10); by extid or in order", async () => {
    const events = await listener();
    const { sim, get } = await startSim({ notifyUrl: events.url });
    sim.scriptExtCall({ calling: false }, "wk-1");
    sim.scriptExtCall({ calling: "busy" });
    const req = (extid: string) =>
      get({
        service: "call_request_ext",
        calling_id: "1001",
        calling_type: "0",
        calling_number: "101",
        called_id: "10",
        called_type: "3",
        called_number: "101",
        extid,
      });
    await req("wk-2");
    await sim.idle();
    await req("wk-1");
    await sim.idle();
    await req("wk-3");
    await sim.idle();
    const terminated = events.got.filter((e) => e.query.get("event_name") === "call_terminated");
    assert.deepEqual(
      terminated.map((e) => [e.query.get("extid"), e.query.get("outcome")]),
      [
        ["wk-2", "10"],
        ["wk-1", "9"],
        ["wk-3", "1"],
      ],
    );
    const lost = events.got.filter((e) => e.query.get("event_name") === "lost_call");
    assert.equal(lost.length, 2);
    // DND room: calling busy, without ringing it.
    sim.state.users[0].mode = 2;
    await req("wk-4");
    await sim.idle();
    assert.equal(events.got.at(-1)?.query.get("outcome"), "10");
    const bad = await get({
      service: "call_request_ext",
      calling_id: "9999",
      calling_type: "0",
      called_id: "10",
      called_type: "3",
    });
    assert.equal(value(bad.text, "outcome"), "1");
  });

  test("step by step: a call left ringing, answered later, recorded; call_terminate ends it from the PBX", async () => {
    const events = await listener();
    const { sim, get } = await startSim({ notifyUrl: events.url });
    const call = await sim.startCall("0612345678", "101", { extid: "s" });
    assert.equal(call.state, "ringing");
    assert.equal(
      value((await get({ service: "get_entities", entity_type: "0", entity_id: "1001" })).text, "av_status"),
      "3",
    );
    await sim.answerCall(call.callId);
    assert.equal(
      value((await get({ service: "get_entities", entity_type: "0", entity_id: "1001" })).text, "av_status"),
      "4",
    );
    await get({ service: "call_recording_ext", call_id: String(call.callId), recording: "1" });
    await sim.idle();
    assert.equal(call.recording, true);
    assert.equal(value((await get({ service: "get_current_calls" })).text, "recording"), "1");
    await get({ service: "call_terminate", call_id: String(call.callId) });
    await sim.idle();
    assert.equal(call.state, "ended");
    assert.deepEqual(names(events.got).slice(-4), [
      "3:disconnect_out",
      "3:disconnect_out",
      "2:call_disconnect_in",
      "3:call_terminated",
    ]);
    assert.equal(value((await get({ service: "call_terminate", call_id: String(call.callId) })).text, "outcome"), "1");
  });

  test("call_transfer_ext: the operator of COM_2 replaces the IVR in COM_1, COM_2 ends", async () => {
    const events = await listener();
    const { sim, get } = await startSim({ notifyUrl: events.url });
    const com1 = await sim.placeCall("0612345678", "501", { hangupBy: null });
    const com2 = await sim.placeCall("102", "501", { hangupBy: null });
    const r = await get({
      service: "call_transfer_ext",
      replace_com_id: String(com1.callId),
      replace_type: "3",
      replace_id: "10",
      replace_local_id: String(com1.b.localId),
      recipient_com_id: String(com2.callId),
      recipient_type: "0",
      recipient_id: "1002",
      recipient_call_id: String(com2.a.localId),
    });
    assert.equal(value(r.text, "outcome"), "0");
    await sim.idle();
    assert.equal(com2.state, "ended");
    assert.equal(com1.b.number, "102");
    const transfer = events.got.find((e) => e.query.get("event_name") === "call_transfer");
    assert.deepEqual(
      [transfer?.query.get("call_id"), transfer?.query.get("refer_id"), transfer?.query.get("recipient_id")],
      [String(com1.callId), String(com2.callId), "1002"],
    );
    await sim.hangupCall(com1.callId, "called");
    const row = sim.state.callReport.find((x) => x.id === com1.callId);
    assert.equal(row?.call_ref_id, com2.callId);
    assert.equal(row?.connected_number, "102");
  });

  test("user events only for users in the module; the extended ones for everybody; switches", async () => {
    const events = await listener();
    const { sim } = await startSim({ notifyUrl: events.url });
    const u = sim.user("102");
    assert.ok(u);
    u.inModule = false;
    await sim.placeCall("101", "102");
    assert.ok(!events.got.some((e) => e.query.get("ext") === "102"));
    assert.ok(events.got.some((e) => e.query.get("called_id") === "1002"));
    const quiet = await startSim({
      notifyUrl: events.url,
      userEvents: false,
      extendedEvents: false,
      ssnEventType: "7",
    });
    events.got.length = 0;
    await quiet.sim.placeCall("101", "102");
    assert.equal(events.got.length, 0);
    await quiet.sim.newVoicemail("101", "0612345678");
    assert.equal(events.got.length, 0);
    const loud = await startSim({ notifyUrl: events.url, ssnEventType: "7" });
    await loud.sim.newVoicemail("101", "0612345678");
    assert.deepEqual(
      [events.got[0].query.get("event"), events.got[0].query.get("event_name"), events.got[0].query.get("number")],
      ["10", "new_voicemail", "0612345678"],
    );
    await loud.sim.placeCall("101", "187");
    assert.equal(events.got[1].query.get("event_type"), "7");
  });
});
