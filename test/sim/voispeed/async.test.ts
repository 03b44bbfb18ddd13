import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { freshGet, listener, names, outcome, startSim, value, values } from "./helpers.ts";

describe("VOIspeed simulator: asynchronous commands and faults", () => {
  test("set_user_mode: outcome 0 + a 14-digit request_id at once, the mode later; av_status follows it", async () => {
    const { sim, get } = await startSim({ asyncDelayMs: 30 });
    const ids: string[] = [];
    for (const mode of ["2", "3", "4", "1"]) {
      const r = await get({ service: "set_user_mode", ext: "101", mode });
      assert.equal(outcome(r.text), "0");
      ids.push(value(r.text, "request_id") ?? "");
    }
    assert.ok(ids.every((id) => /^\d{14}$/.test(id)));
    assert.deepEqual([...ids].sort(), ids, "monotonic");
    assert.equal(new Set(ids).size, 4);
    assert.equal(sim.user("101")?.mode, 1, "not yet run");
    await sim.idle();
    assert.equal(sim.user("101")?.mode, 1);
    const statuses: string[] = [];
    for (const mode of ["2", "3", "4", "1"]) {
      await get({ service: "set_user_mode", ext: "101", mode, number: "555" });
      await sim.idle();
      statuses.push(
        value((await get({ service: "get_entities", entity_type: "0", entity_id: "1001" })).text, "av_status") ?? "",
      );
    }
    assert.deepEqual(statuses, ["5", "7", "8", "2"]);
    assert.equal(sim.user("101")?.divertTo, "555");
    assert.deepEqual(
      sim.commands.slice(0, 2).map((c) => [c.service, c.ext, c.status]),
      [
        ["set_user_mode", "101", "done"],
        ["set_user_mode", "101", "done"],
      ],
    );
  });

  test("failNext: cmd_failed with ext, request_id and error_msg GET to the notification URL; the mode is untouched", async () => {
    const events = await listener();
    const { sim, get } = await startSim({ notifyUrl: `${events.url}/events?key=k1` });
    sim.failNext("set_user_mode", 2, "terminal not registered");
    sim.failNext("105");
    const a = value((await get({ service: "set_user_mode", ext: "101", mode: "2" })).text, "request_id");
    const b = value((await get({ service: "set_user_mode", ext: "102", mode: "2" })).text, "request_id");
    const c = value((await get({ service: "set_user_mode", ext: "103", mode: "2" })).text, "request_id");
    const d = value((await get({ service: "set_user_mode", ext: "105", mode: "2" })).text, "request_id");
    await sim.idle();
    assert.deepEqual(
      ["101", "102", "103", "105"].map((e) => sim.user(e)?.mode),
      [1, 1, 2, 1],
    );
    assert.equal(events.got.length, 3);
    const [e1, e2, e3] = events.got;
    assert.equal(e1.path, "/events");
    assert.equal(e1.query.get("key"), "k1");
    assert.deepEqual(Object.fromEntries(e1.query), {
      key: "k1",
      event_type: "2",
      event: "1",
      event_name: "cmd_failed",
      ext: "101",
      request_id: a,
      error_msg: "terminal not registered",
    });
    assert.equal(e2.query.get("request_id"), b);
    assert.equal(e3.query.get("request_id"), d);
    assert.equal(e3.query.get("error_msg"), "command failed");
    assert.notEqual(c, d);
    assert.deepEqual(
      sim.commands.map((x) => x.status),
      ["failed", "failed", "done", "failed"],
    );
  });

  test("call_request runs a call from the user's phone: 9 → 14 → 16 (the seed's Hello world), with SSN events", async () => {
    const events = await listener();
    const { sim, get } = await startSim({ notifyUrl: events.url });
    const r = await get({ service: "call_request", ext: "101", number: "187", device: "sip" });
    assert.equal(outcome(r.text), "0");
    await sim.idle();
    const user = events.got.filter((e) => e.query.get("event_type") === "2");
    assert.deepEqual(
      user.map((e) => `${e.query.get("event")} ${e.query.get("event_name")} ${e.query.get("ext")}`),
      ["9 outgoing_call 101", "14 call_answered 101", "16 call_disconnect_out 101"],
    );
    assert.ok(user.every((e) => e.query.get("number") === "187"));
    assert.ok(names(events.got).includes("3:call_terminated"));
  });

  test("call_request from a user in away mode fails with cmd_failed", async () => {
    const events = await listener();
    const { sim, get } = await startSim({ notifyUrl: events.url });
    sim.state.users[0].mode = 3;
    const id = value((await get({ service: "call_request", ext: "101", number: "187" })).text, "request_id");
    await sim.idle();
    const failed = events.got.find((e) => e.query.get("event_name") === "cmd_failed");
    assert.equal(failed?.query.get("request_id"), id);
    assert.match(failed?.query.get("error_msg") ?? "", /absent/);
  });

  test("call_action: unknown connection refused at once; disconnect and divert of a live call; hold and retrieve", async () => {
    const events = await listener();
    const { sim, get } = await startSim({ notifyUrl: events.url });
    const none = await get({ service: "call_action", ext: "101", call_id: "3250", action: "disconnect" });
    assert.equal(outcome(none.text), "1");
    assert.equal(value(none.text, "error"), "connection not found");
    const call = await sim.placeCall("0612345678", "101", { hangupBy: null });
    assert.equal(
      outcome((await get({ service: "call_action", ext: "101", call_id: String(call.callId), action: "fly" })).text),
      "1",
    );
    await get({ service: "call_action", ext: "101", call_id: String(call.callId), action: "hold" });
    await sim.idle();
    assert.notEqual(call.heldAt, null);
    await get({ service: "call_action", ext: "101", call_id: String(call.callId), action: "retrieve" });
    await get({ service: "call_action", ext: "101", call_id: String(call.b.localId), action: "disconnect" });
    await sim.idle();
    assert.equal(call.state, "ended");
    assert.deepEqual(
      events.got.slice(-5).map((e) => e.query.get("event_name")),
      ["call_retrieved", "disconnect_in", "disconnect_out", "call_disconnect_out", "call_terminated"],
    );
    assert.ok(names(events.got).includes("3:call_held"));
    const mine = events.got.filter((e) => e.query.get("event_type") === "2").map((e) => e.query.get("event_name"));
    assert.deepEqual(mine, ["incoming_call", "call_answered", "call_disconnect_out"]);

    const ringing = await sim.startCall("0698765432", "101");
    await get({ service: "call_action", ext: "101", call_id: String(ringing.callId), action: "divert", number: "102" });
    await sim.idle();
    assert.equal(ringing.b.number, "102");
    assert.ok(names(events.got).includes("3:call_divert"));
    const last = events.got.at(-2);
    assert.equal(last?.query.get("event_name"), "incoming_call");
    assert.equal(last?.query.get("ext"), "102");
  });

  test("a call that ended before the command ran: cmd_failed", async () => {
    const events = await listener();
    const { sim, get } = await startSim({ notifyUrl: events.url, asyncDelayMs: 40 });
    const call = await sim.placeCall("101", "102", { hangupBy: null });
    const id = value(
      (await get({ service: "call_action", ext: "101", call_id: String(call.callId), action: "disconnect" })).text,
      "request_id",
    );
    await sim.hangupCall(call.callId, "called");
    await sim.idle();
    const failed = events.got.find((e) => e.query.get("event_name") === "cmd_failed");
    assert.equal(failed?.query.get("request_id"), id);
    assert.equal(failed?.query.get("error_msg"), "connection not found");
  });

  test("duplicate delivery: the next N events are sent twice, identical and in a row", async () => {
    const events = await listener();
    const { sim } = await startSim({ notifyUrl: events.url, extendedEvents: false });
    sim.duplicateEvents(2);
    await sim.placeCall("101", "187");
    const seen = events.got.map((e) => e.query.toString());
    assert.equal(seen.length, 5);
    assert.equal(seen[0], seen[1]);
    assert.equal(seen[2], seen[3]);
    assert.notEqual(seen[1], seen[2]);
    assert.deepEqual(
      sim.events.map((e) => e.copy),
      [1, 2, 1, 2, 1],
    );
  });

  test("event delivery: non-2xx answers and an unreachable URL are recorded, not retried; order is kept", async () => {
    const events = await listener({ status: 500 });
    const { sim } = await startSim({ notifyUrl: events.url, extendedEvents: false });
    await sim.placeCall("101", "187");
    assert.equal(events.got.length, 3);
    assert.deepEqual(
      sim.events.map((e) => [e.name, e.status, e.error]),
      [
        ["outgoing_call", 500, "HTTP 500"],
        ["call_answered", 500, "HTTP 500"],
        ["call_disconnect_out", 500, "HTTP 500"],
      ],
    );
    sim.notifyUrl = "http://127.0.0.1:1/nowhere";
    await sim.placeCall("101", "187");
    assert.equal(sim.events.length, 6);
    assert.ok(sim.events.slice(3).every((e) => e.status === null && e.error));
  });

  test("reply faults: HTTP 500, garbage, outcome 1, a delay, a dropped connection and a hang, each once", async () => {
    const { sim, get, url } = await startSim();
    const q = { service: "get_entities", entity_type: "0" };
    sim.replyFault({ kind: "http", status: 500 });
    assert.equal((await get(q)).status, 500);
    sim.replyFault({ kind: "garbage", body: "<html>maintenance</html>" });
    assert.equal((await get(q)).text, "<html>maintenance</html>");
    sim.replyFault({ kind: "reject", error: "database busy" }, { service: "set_user_mode" });
    assert.equal(outcome((await get(q)).text), "0", "the fault waits for its service");
    const rej = await get({ service: "set_user_mode", ext: "101", mode: "2" });
    assert.deepEqual([outcome(rej.text), value(rej.text, "error")], ["1", "database busy"]);
    sim.replyFault({ kind: "delay", ms: 150 });
    const t0 = Date.now();
    assert.equal(outcome((await get(q)).text), "0");
    assert.ok(Date.now() - t0 >= 140);
    sim.replyFault({ kind: "drop" });
    await assert.rejects(freshGet(url(q)), /socket hang up|ECONNRESET/);
    sim.replyFault({ kind: "hang" });
    await assert.rejects(freshGet(url(q), 200), /timeout/);
    assert.equal(outcome((await get(q)).text), "0", "back to normal");
    assert.deepEqual(
      sim.requests.map((r) => r.fault ?? "-"),
      ["http", "garbage", "-", "reject", "delay", "drop", "hang", "-"],
    );
    assert.equal(values((await get(q)).text, "id").length, 10);
  });
});
