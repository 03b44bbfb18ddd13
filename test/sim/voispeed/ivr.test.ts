import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe, test } from "node:test";
import { IVR_DEFAULT_REPLIES } from "../../../src/services/voispeed-ivr.ts";
import { parseScriptReply } from "../../../src/sim/voispeed/ivr.ts";
import { HOTEL_IVR_ID, seedState } from "../../../src/sim/voispeed/state.ts";
import { listener, type Received, startSim } from "./helpers.ts";

/** An IVR script whose reply is chosen by the caller's input (and the path, for a changed script_url). */
async function script(replies: Record<string, string>) {
  return listener({ body: (r: Received) => replies[`${r.path}:${r.query.get("input")}`] ?? replies[r.path] ?? "" });
}

describe("VOIspeed simulator: IVR nodes following a script", () => {
  test("parse: CRLF or LF lines, command first; anything else is no instruction", () => {
    assert.deepEqual(parseScriptReply("command=1\r\nnode_key=2"), {
      command: 1,
      params: { node_key: "2" },
      lineEnding: "crlf",
    });
    assert.equal(parseScriptReply("command=1\nnode_key=2\n").lineEnding, "lf");
    assert.equal(parseScriptReply("command=1\r\nnode_key=2\n").lineEnding, "mixed");
    for (const bad of ["", "TRUE", "node_key=2\r\ncommand=1", "command=7", "command=\r\n", "command=1\r\nnode_key"]) {
      const r = parseScriptReply(bad);
      assert.ok(r.error, bad);
    }
    assert.equal(parseScriptReply("command=4\r\nscript_url='new_url'").params.script_url, "'new_url'");
  });

  test("the hotel IVR's children follow the seed's PIN example, as the appliance's default replies do", () => {
    const hotel = seedState({ users: 1, firstExtension: 101, ivrUrl: null }).ivrs.find((i) => i.id === HOTEL_IVR_ID);
    const child = (description: string) => hotel?.nodes.find((n) => n.parent_id === 0 && n.description === description);
    // S1's PIN script: node_key=2 for the right PIN (PIN_OK), node_key=1 for a wrong one (PIN_ERROR).
    assert.deepEqual([child("OK")?.select_key, child("OK")?.node_id], ["2", 2]);
    assert.deepEqual([child("Error")?.select_key, child("Error")?.node_id], ["1", 1]);
    assert.deepEqual(IVR_DEFAULT_REPLIES.ok, { node: child("OK")?.select_key });
    assert.deepEqual(IVR_DEFAULT_REPLIES.invalid, { node: child("Error")?.select_key });
  });

  test("a room calls the hotel IVR, keys a code: the script GET carries the seed's parameters; command 1 goes to the child", async () => {
    const ivr = await script({ "/ivr:123": "command=1\r\nnode_key=2" });
    const { sim } = await startSim({ ivrUrl: `${ivr.url}/ivr?key=s` });
    const call = await sim.ivrCall("101", "500");
    assert.equal(call.state, "active");
    assert.equal(ivr.got.length, 0, "input_type 3 waits for the caller");
    const out = await sim.ivrInput({ callid: call.callId, input: "123" });
    assert.equal(ivr.got.length, 1);
    assert.deepEqual(
      [...ivr.got[0].query.keys()],
      ["key", "license_id", "domain", "ivrid", "nodeid", "callid", "calling", "called", "input", "tag"],
    );
    assert.deepEqual(Object.fromEntries(ivr.got[0].query), {
      key: "s",
      license_id: "MP3026487718",
      domain: "almach1.it",
      ivrid: "9",
      nodeid: "0",
      callid: String(call.callId),
      calling: "101",
      called: "500",
      input: "123",
      tag: "-1",
    });
    assert.deepEqual(
      [out.state, out.nodeid, out.steps[0].result, out.steps[0].lineEnding],
      ["idle", 2, "goto", "crlf"],
    );
    assert.deepEqual(
      sim.ivr.prompts.map((p) => p.audio_message),
      ["enter_code.wav", "ok.wav"],
    );
    assert.equal(call.state, "active", "a node without action waits for the caller to hang up");
    await sim.hangupCall(call.callId);
    const row = sim.state.callReport.at(-1);
    assert.deepEqual([row?.called_type, row?.called_id, row?.talk_time], [3, 9, 0]);
  });

  test("command 4 updates the node for this call (message, tag, script_url) and runs it again", async () => {
    let base = "";
    const ivr = await listener({
      body: (r) =>
        r.path === "/ivr"
          ? `command=4\r\naudio_message=new_message.wav\r\naudio_loop=0\r\ninput_length=6\r\ninput_timeout=10\r\nnode_action=3\r\nscript_url=${base}/two\r\ntag=5\r\ninput_type=1`
          : r.query.get("input") === "123456"
            ? "command=1\r\nnode_key=2"
            : "",
    });
    base = ivr.url;
    const { sim, get } = await startSim({ ivrUrl: `${ivr.url}/ivr` });
    const call = await sim.ivrCall("101", 9);
    const first = await sim.ivrInput({ callid: call.callId, input: "1" });
    assert.deepEqual([first.steps[0].result, first.tag, first.state], ["update", "5", "input"]);
    assert.deepEqual(first.steps[0].ignored, ["input_type"]);
    assert.deepEqual(
      first.prompts.map((p) => p.audio_message),
      ["new_message.wav"],
    );
    const second = await sim.ivrInput({ callid: call.callId, input: "123456" });
    assert.deepEqual(
      [ivr.got[1].path, ivr.got[1].query.get("tag"), ivr.got[1].query.get("input")],
      ["/two", "5", "123456"],
    );
    assert.deepEqual([second.state, second.nodeid], ["idle", 2]);
    // The change was for that call only.
    const entities = await get({ service: "get_entities", entity_type: "3", entity_id: "9" });
    assert.match(entities.text, /<audio_message> enter_code\.wav <\/audio_message>/);
  });

  test("command 2 and 3 transfer the call (to a number, to an entity); command 0 ends it", async () => {
    const ivr = await script({
      "/ivr:2": "command=2\r\nrecipient_number=385",
      "/ivr:3": "command=3\r\nrecipient_number=073333655434\r\nrecipient_id=5\r\nrecipient_type=1",
      "/ivr:0": "command=0",
    });
    const events = await listener();
    const { sim } = await startSim({ ivrUrl: `${ivr.url}/ivr`, notifyUrl: events.url });
    const a = await sim.ivrCall("101", "500");
    const ta = await sim.ivrInput({ callid: a.callId, input: "2" });
    assert.deepEqual([ta.state, ta.transfer?.kind, ta.transfer?.recipient_number], ["transferred", "number", "385"]);
    assert.deepEqual([a.state, a.b.number, a.b.type], ["ringing", "385", 2]);
    const b = await sim.ivrCall("102", "500");
    const tb = await sim.ivrInput({ callid: b.callId, input: "3" });
    assert.deepEqual([tb.transfer?.kind, tb.transfer?.recipient_id, tb.transfer?.recipient_type], ["entity", 5, 1]);
    assert.deepEqual([b.b.type, b.b.id, b.b.number], [1, 5, "073333655434"]);
    const divert = events.got.filter((e) => e.query.get("event_name") === "call_divert").at(-1);
    assert.deepEqual([divert?.query.get("sender_type"), divert?.query.get("recipient_type")], ["3", "1"]);
    const c = await sim.ivrCall("103", "500");
    const tc = await sim.ivrInput({ callid: c.callId, input: "0" });
    assert.equal(tc.state, "ended");
    assert.equal(c.state, "ended");
    assert.equal(
      events.got
        .filter((e) => e.query.get("call_id") === String(c.callId))
        .at(-2)
        ?.query.get("event_name"),
      "call_disconnect_in",
    );
    assert.equal(sim.ivr.transfers.length, 2);
  });

  test("no instruction ends the call: an empty body (the seed's PHP return), bad syntax, an unknown command, HTTP 500", async () => {
    const ivr = await script({ "/ivr:e": "", "/ivr:s": "node_key=1", "/ivr:u": "command=9", "/ivr:m": "command=1" });
    const { sim } = await startSim({ ivrUrl: `${ivr.url}/ivr` });
    for (const input of ["e", "s", "u", "m"]) {
      const call = await sim.ivrCall("101", "500");
      const out = await sim.ivrInput({ callid: call.callId, input });
      assert.deepEqual([out.state, call.state], ["ended", "ended"], input);
      assert.ok(out.steps[0].error, input);
    }
    const failing = await listener({ status: 500, body: "command=1\r\nnode_key=1" });
    sim.state.ivrs[0].nodes[0].script = failing.url;
    const call = await sim.ivrCall("101", "500");
    const out = await sim.ivrInput({ callid: call.callId, input: "1" });
    assert.deepEqual([out.state, out.steps[0].status, out.steps[0].error], ["ended", 500, "HTTP 500"]);
  });

  test("a script that does not answer in time ends the call", async () => {
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
    after(() => {
      silent.closeAllConnections();
      silent.close();
    });
    const { sim } = await startSim({
      ivrUrl: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/slow`,
      ivrTimeoutMs: 100,
    });
    const call = await sim.ivrCall("101", "500");
    const out = await sim.ivrInput({ callid: call.callId, input: "1" });
    assert.equal(out.state, "ended");
    assert.match(out.steps[0].error ?? "", /time|abort/i);
  });

  test("command 1 to a missing child: the call stays in its node and later input is ignored; LF replies work", async () => {
    const ivr = await script({ "/ivr": "command=1\nnode_key=7\n" });
    const { sim } = await startSim({ ivrUrl: `${ivr.url}/ivr` });
    const call = await sim.ivrCall("101", "500");
    const out = await sim.ivrInput({ callid: call.callId, input: "1" });
    assert.deepEqual([out.state, out.steps[0].result, out.steps[0].lineEnding], ["stuck", "stay", "lf"]);
    const again = await sim.ivrInput({ callid: call.callId, input: "2" });
    assert.deepEqual([again.steps.length, ivr.got.length, call.state], [0, 1, "active"]);
  });

  test("§1.10's one-shot ivrInput at ivrid/nodeid with a tag, no call; a node without input calls at once, bounded", async () => {
    const ivr = await script({ "/ivr": "command=0", "/loop": "command=4\r\ntag=x" });
    const { sim } = await startSim({ ivrUrl: `${ivr.url}/ivr` });
    const out = await sim.ivrInput({ ivrid: 9, nodeid: 0, calling: "101", called: "500", input: "42", tag: "7" });
    assert.deepEqual(
      ["nodeid", "calling", "called", "input", "tag"].map((k) => ivr.got[0].query.get(k)),
      ["0", "101", "500", "42", "7"],
    );
    assert.equal(out.state, "ended");
    assert.equal(sim.calls.all.size, 0);
    const node = sim.state.ivrs[0].nodes[0];
    node.input_type = 0;
    node.script = `${ivr.url}/loop`;
    const call = await sim.ivrCall("101", "500");
    assert.equal(ivr.got.filter((r) => r.path === "/loop").length, 10);
    assert.equal(call.state, "ended");
    assert.equal(ivr.got.filter((r) => r.path === "/loop")[0].query.get("input"), "");
  });

  test("a menu node (action 1) follows the caller's key to a child and back with go_back_key", async () => {
    const { sim } = await startSim();
    const nodes = sim.state.ivrs[0].nodes;
    nodes[0].action = 1;
    nodes[2].action = 1;
    nodes[2].go_back_key = "*";
    const call = await sim.ivrCall("101", "500");
    assert.equal((await sim.ivrInput({ callid: call.callId, input: "2" })).nodeid, 2);
    assert.equal((await sim.ivrInput({ callid: call.callId, input: "*" })).nodeid, 0);
    assert.equal((await sim.ivrInput({ callid: call.callId, input: "9" })).nodeid, 0);
    assert.deepEqual(
      sim.ivr.prompts.map((p) => p.audio_message),
      ["enter_code.wav", "ok.wav", "enter_code.wav"],
    );
  });
});
