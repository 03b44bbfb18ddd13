import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { outcome, startSim, value, values } from "./helpers.ts";

describe("VOIspeed simulator: the SERI endpoint", () => {
  test("token: missing or wrong → HTTP 200 outcome 1 with a text; the right one is accepted", async () => {
    const { get } = await startSim();
    for (const token of ["", "wrong"]) {
      const r = await get({ service: "get_entities", entity_type: "0", token });
      assert.equal(r.status, 200);
      assert.equal(outcome(r.text), "1");
      assert.ok(value(r.text, "error"));
    }
    assert.equal(outcome((await get({ service: "get_entities", entity_type: "0" })).text), "0");
  });

  test("envelope: the seed's declaration, values padded with spaces, XML content type", async () => {
    const { get } = await startSim();
    const r = await get({ service: "set_user_mode", ext: "101", mode: "2" });
    assert.match(r.type, /xml/);
    assert.ok(r.text.startsWith('<?xml version="1.0" encoding="UTF-8" ?>\n<result>\n\t<outcome>0</outcome>\n'));
    assert.match(r.text, /<request_id> \d{14} <\/request_id>/);
    const bad = await get({ service: "get_entities" });
    assert.match(bad.text, /<outcome>1<\/outcome>\n\t<error> missing parameter: entity_type <\/error>/);
  });

  test("padding can be switched off", async () => {
    const { get } = await startSim({ padValues: false });
    assert.match(
      (await get({ service: "set_user_mode", ext: "101", mode: "2" })).text,
      /<request_id>\d{14}<\/request_id>/,
    );
  });

  test("refusals: unknown service, missing parameter, extension outside the module, POST for a GET service", async () => {
    const { sim, get, url } = await startSim();
    assert.equal(outcome((await get({ service: "make_coffee" })).text), "1");
    assert.equal(outcome((await get({})).text), "1");
    assert.equal(outcome((await get({ service: "set_user_mode", ext: "101" })).text), "1");
    assert.equal(outcome((await get({ service: "set_user_mode", ext: "101", mode: "9" })).text), "1");
    assert.equal(outcome((await get({ service: "set_user_mode", ext: "999", mode: "2" })).text), "1");
    const u = sim.user("102");
    assert.ok(u);
    u.inModule = false;
    assert.equal(outcome((await get({ service: "set_user_mode", ext: "102", mode: "2" })).text), "1");
    const post = await fetch(url({ service: "get_entities", entity_type: "0" }), { method: "POST" });
    assert.equal(outcome(await post.text()), "1");
    assert.equal((await fetch(url({}).replace(sim.path, "/other"))).status, 404);
    assert.deepEqual(
      sim.requests.slice(0, 3).map((r) => [r.service, r.outcome]),
      [
        ["make_coffee", "1"],
        ["", "1"],
        ["set_user_mode", "1"],
      ],
    );
  });

  test("get_entities users: id, extension and the rest of the seed's fields; entity_id filters", async () => {
    const { get } = await startSim({ users: 3, firstExtension: 201 });
    const r = await get({ service: "get_entities", entity_type: "0" });
    assert.deepEqual(values(r.text, "extension"), ["201", "202", "203"]);
    assert.deepEqual(values(r.text, "id"), ["1001", "1002", "1003"]);
    for (const tag of ["name", "surname", "email", "chat_status", "av_status", "numoffice", "phrase"]) {
      assert.equal(values(r.text, tag).length, 3, tag);
    }
    const one = await get({ service: "get_entities", entity_type: "0", entity_id: "1002" });
    assert.deepEqual(values(one.text, "extension"), ["202"]);
  });

  test("get_entities groups, gateways, IVRs with nodes, devices by owner_id only", async () => {
    const { get } = await startSim({ users: 2, ivrUrl: "http://127.0.0.1:1/ivr" });
    const groups = await get({ service: "get_entities", entity_type: "1" });
    assert.match(groups.text, /<groups>\s*<group>\s*<id> 5 <\/id>/);
    assert.deepEqual(values(groups.text, "identity"), ["Room 101"]);
    const gw = await get({ service: "get_entities", entity_type: "2" });
    assert.deepEqual(values(gw.text, "link_status"), ["2"]);
    assert.deepEqual(values(gw.text, "busy_lines"), ["0"]);
    const ivrs = await get({ service: "get_entities", entity_type: "3" });
    assert.deepEqual(values(ivrs.text, "node_id"), ["0", "1", "2", "0"]);
    assert.deepEqual(values(ivrs.text, "script").filter(Boolean), ["http://127.0.0.1:1/ivr"]);
    const none = await get({ service: "get_entities", entity_type: "7" });
    assert.equal(outcome(none.text), "0");
    assert.deepEqual(values(none.text, "id"), []);
    const dev = await get({ service: "get_entities", entity_type: "7", owner_id: "1002" });
    assert.deepEqual(values(dev.text, "id"), ["3002"]);
    assert.deepEqual(values(dev.text, "registered"), ["1"]);
    assert.equal(outcome((await get({ service: "get_entities", entity_type: "4" })).text), "1");
    assert.equal(outcome((await get({ service: "get_entities", entity_type: "10" })).text), "0");
  });

  test("types 8 and 11 lack <outcome> as in the seed, unless entityOutcome is always", async () => {
    const seed = await startSim();
    for (const t of ["8", "11"]) {
      const r = await seed.get({ service: "get_entities", entity_type: t });
      assert.equal(outcome(r.text), undefined);
      assert.match(r.text, t === "8" ? /<voicemails>/ : /<lines>\s*<park_line>/);
    }
    const always = await startSim({ entityOutcome: "always" });
    assert.equal(outcome((await always.get({ service: "get_entities", entity_type: "8" })).text), "0");
  });

  test("get_current_calls lists a call in progress with its connected party", async () => {
    const { sim, get } = await startSim();
    const call = await sim.placeCall("101", "0612345678", { hangupBy: null });
    const r = await get({ service: "get_current_calls" });
    assert.deepEqual(values(r.text, "id"), [String(call.callId)]);
    assert.equal(value(r.text, "connected_id"), "2");
    assert.equal(value(r.text, "calling_number"), "101");
    assert.deepEqual(values((await get({ service: "get_entities", entity_type: "2" })).text, "busy_lines"), ["1"]);
    await sim.hangupCall(call.callId);
    assert.deepEqual(values((await get({ service: "get_current_calls" })).text, "id"), []);
  });
});
