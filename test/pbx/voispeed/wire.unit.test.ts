/**
 * The VOIspeed wire module: the guide's example replies parsed verbatim (padding, typos and
 * placeholders included), well-formed replies as a PBX would send them, the request builders, the
 * reject-text heuristic, events (the two families' overlapping codes) and the reply renderer.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { callbackNetworksOf } from "../../../src/pbx/voispeed/callbacks.ts";
import {
  child,
  childrenNamed,
  childText,
  deleteSyncedContactParams,
  getEntitiesParams,
  importSyncBody,
  isNotFoundReject,
  isPermanentReject,
  ivrNodeKey,
  parseReply,
  parseXml,
  readCallReport,
  readCmdFailed,
  readEvent,
  readImportResult,
  readUserCallReport,
  readUsers,
  renderResult,
  requestQuery,
  services,
  setUserModeParams,
  userModes,
} from "../../../src/pbx/voispeed/wire.ts";
import * as seed from "./seed-replies.ts";

describe("VOIspeed replies: the guide's examples, verbatim", () => {
  test("accepted: outcome 0 and the request id (Hello world)", () => {
    const r = parseReply(seed.HELLO_ACCEPTED);
    assert.equal(r.outcome, 0);
    assert.equal(r.requestId, "15652770917203");
    assert.equal(r.error, undefined);
    assert.equal(r.isXml, true);
  });

  test("rejected: outcome 1 and the error text", () => {
    const r = parseReply(seed.REJECTED_CONNECTION);
    assert.equal(r.outcome, 1);
    assert.equal(r.error, "connection not found");
    assert.equal(r.requestId, undefined);
  });

  test("padded values are trimmed", () => {
    assert.equal(parseReply(seed.USER_ACCEPTED_PADDED).requestId, "56732980");
    assert.equal(parseReply(seed.USER_REJECTED_PADDED).error, "error description");
    assert.equal(parseReply(seed.CALL_REQUEST_EXT_OK).outcome, 0, "<outcome> 0 </outcome>");
    const failed = parseReply(seed.CALL_REQUEST_EXT_FAILED);
    assert.equal(failed.outcome, 1);
    assert.equal(failed.error, "error description");
  });

  test("a template outcome that is no number is no outcome", () => {
    const r = parseReply(seed.CALL_REQUEST_RESULT);
    assert.equal(r.outcome, undefined);
    assert.equal(r.requestId, "service request id");
  });

  test("the call report's `<outcome1</outcome>` reads as outcome 1", () => {
    const r = parseReply(seed.USER_CALL_REPORT_FAILED);
    assert.equal(r.outcome, 1);
    assert.equal(r.error, "failure reason");
  });

  test("get_user_call_report written without close tags: one call, every field", () => {
    const r = parseReply(seed.USER_CALL_REPORT);
    assert.equal(r.outcome, 0, "<outcome>0 </outcome>, not the call's own outcome");
    const calls = readUserCallReport(r);
    assert.equal(calls.length, 1, "the stray <call> at the end adds no call");
    const c = calls[0];
    assert.equal(c.id, "autoincrement");
    assert.equal(c.callId, "Id communication");
    assert.equal(c.startTime, "call start time");
    assert.equal(c.answerTime, "Call answered time");
    assert.equal(c.duration, undefined, "placeholder text is no number");
    assert.equal(c.direction, "direction of the call");
    assert.equal(c.myNumber, "extension of the user");
    assert.equal(c.remoteNumber, "interlocutor number");
    assert.equal(c.localId, "entity_call_id");
    // An element left open takes the text up to the next tag: here the guide's "..." placeholder.
    assert.match(c.groupName, /^membership group name\s+\.\.\.$/);
    assert.equal(c.company, 'company contact for "my_number"');
    assert.equal(c.name, "name contact per “my_number”");
    assert.equal(c.remoteName, "name contact per “my_number”");
  });

  test("get_entities users: one user, values trimmed", () => {
    const users = readUsers(parseReply(seed.ENTITIES_USERS));
    assert.deepEqual(users, [
      {
        id: "User ID",
        extension: "extension",
        name: "name",
        surname: "surname",
        email: "email address",
        avStatus: undefined,
        chatStatus: undefined,
        phrase: "User status description",
      },
    ]);
  });

  test("get_entities groups: the members are not users of the reply", () => {
    const r = parseReply(seed.ENTITIES_GROUPS);
    assert.equal(r.outcome, 0);
    assert.deepEqual(readUsers(r), []);
    const groups = childrenNamed(child(r.result, "groups"), "group");
    assert.equal(groups.length, 2);
    assert.equal(childText(groups[0], "name"), "group_1 name");
    assert.equal(childrenNamed(child(groups[0], "users"), "user").length, 2);
    assert.equal(childText(childrenNamed(child(groups[0], "users"), "user")[1], "extension"), "interno User_M");
  });

  test("get_entities gateways and terminals", () => {
    const gw = childrenNamed(child(parseReply(seed.ENTITIES_GATEWAYS).result, "gateways"), "gateway");
    assert.deepEqual(
      gw.map((g) => childText(g, "id")),
      ["gateway id _1", "id gateway_N"],
    );
    assert.equal(childText(gw[0], "host_port"), "IP and gateway port_1");
    const dev = childrenNamed(child(parseReply(seed.ENTITIES_DEVICES).result, "devices"), "device");
    assert.equal(dev.length, 2);
    assert.equal(childText(dev[0], "registered"), "1/0 - registrato/non_registrato");
  });

  test("get_entities IVRs: `<node>…<node>`, `<nodes>` for `</nodes>`, `<id> ID ivr N <id>`", () => {
    const ivrs = childrenNamed(child(parseReply(seed.ENTITIES_IVRS).result, "ivrs"), "ivr");
    assert.equal(ivrs.length, 2);
    assert.equal(childText(ivrs[0], "id"), "ivr_1 id");
    const nodes1 = childrenNamed(ivrs[0], "nodes").flatMap((n) => childrenNamed(n, "node"));
    assert.deepEqual(
      nodes1.map((n) => childText(n, "node_id")),
      ["id node_1", "ID nodo_M"],
    );
    assert.equal(childText(nodes1[0], "script"), "(only for action=3) script to run");
    assert.equal(childText(ivrs[1], "id"), "ID ivr N", "the second <id> closes the first");
    assert.equal(childText(ivrs[1], "name"), "name ivr N");
    const nodes2 = childrenNamed(child(ivrs[1], "nodes"), "node");
    assert.deepEqual(
      nodes2.map((n) => n.text.trim()),
      ["nodo 1.N", "nodo M.N"],
    );
  });

  test("replies without an outcome: company voicemails and park lines", () => {
    const vm = parseReply(seed.ENTITIES_VOICEMAILS);
    assert.equal(vm.outcome, undefined);
    assert.equal(vm.isXml, true);
    const boxes = childrenNamed(child(vm.result, "voicemails"), "voicemail");
    assert.equal(boxes.length, 2);
    assert.equal(childText(boxes[0], "vmname"), "name casella vocale");
    const lines = childrenNamed(child(parseReply(seed.ENTITIES_PARK_LINES).result, "lines"), "park_line");
    assert.equal(lines.length, 1);
    assert.equal(childText(lines[0], "user_id"), "ID of the parking user", "<user_id>…<user_id>");
    assert.equal(childText(lines[0], "parktime"), "parking date time YYYY-MM-DD hh:mm:ss");
  });

  test("get_call_report with the guide's broken tags: one row, every field", () => {
    const rows = readCallReport(parseReply(seed.CALL_REPORT));
    assert.equal(rows.length, 1);
    const c = rows[0];
    assert.equal(c.id, "call identification");
    assert.equal(c.callingId, "id of the calling entity", "</calling_id without >");
    assert.equal(c.callingNumber, "calling number");
    assert.equal(c.calledNumber, "number called");
    assert.equal(c.connectedId, "id of last connected entity", "</connected _id>");
    assert.equal(c.connectedNumber, "last number connected", "<connected _number>");
    assert.equal(c.callRefId, "call id of the transferred call", "<call_ref_if>…</call_ref_id>");
    assert.equal(c.externalId, "iexternal id specified via service call_req_ext");
    assert.equal(c.gatewayIn, "outgoing call from gateway");
    assert.equal(c.gatewayOut, "incoming call from gateway");
    assert.equal(c.internal, undefined);
    assert.equal(c.talkTime, undefined);
    const typeEl = child(parseReply(seed.CALL_REPORT).result, "call");
    assert.equal(childText(typeEl, "connected_type"), "type of last connected entity");
  });

  test("get_current_calls", () => {
    const call = childrenNamed(parseReply(seed.CURRENT_CALLS).result, "call").filter((c) => c.children.length);
    assert.equal(call.length, 1);
    assert.equal(childText(call[0], "calling_id"), "id of the calling entity");
    assert.equal(childText(call[0], "connected_type"), "entity type connected");
    assert.equal(childText(call[0], "codec"), "current codec code");
  });

  test("add_phonebook and get_phonebook (no <result> around the contact)", () => {
    assert.equal(childText(parseReply(seed.ADD_PHONEBOOK).result, "contact_id"), "ID del contatto");
    const pb = parseReply(seed.GET_PHONEBOOK);
    assert.equal(pb.isXml, true);
    assert.equal(pb.outcome, undefined);
    assert.equal(childText(child(pb.result, "contact"), "surname"), "Surname of contact");
    assert.equal(childText(child(pb.result, "contact"), "is_favourite"), "1\\0 preferred contact or not");
  });

  test("phonebook_import_sync: basic and verbose results", () => {
    const basic = readImportResult(parseReply(seed.IMPORT_BASIC));
    assert.deepEqual(basic, {
      processed: undefined,
      skipped: undefined,
      warnings: undefined,
      errors: undefined,
      contacts: [],
    });
    const verbose = readImportResult(parseReply(seed.IMPORT_VERBOSE));
    assert.equal(verbose.contacts.length, 2);
    assert.deepEqual(verbose.contacts[0], {
      externalId: "contact identifier for the third party application",
      id: "VOIspeed contact identifier",
      act: "Action performed during the contact processing (insert / update)",
      info: "any error or warning message",
    });
  });
});

describe("VOIspeed replies as a PBX sends them", () => {
  test("users with numbers", () => {
    const xml = renderResult({
      outcome: 0,
      users: {
        user: [
          { id: " 7 ", name: "Room", surname: "101", extension: " 2101 ", email: "", av_status: " 5 ", chat_status: 2 },
          { id: 8, name: "Front", surname: "Desk", extension: 9, av_status: 7 },
          { id: "", extension: "3000" },
        ],
      },
    });
    const users = readUsers(parseReply(xml));
    assert.deepEqual(
      users.map((u) => [u.id, u.extension, u.avStatus, u.chatStatus]),
      [
        ["7", "2101", 5, 2],
        ["8", "9", 7, undefined],
      ],
      "an entry without an id is dropped",
    );
  });

  test("import result with counts and a verbose report", () => {
    const xml = renderResult({
      outcome: 0,
      processed: 1,
      skipped: 0,
      warnings: 1,
      errors: 0,
      contacts: { contact: { uc_external_id: "room-101", id: 55, act: "update", info: "numoffice sanitised" } },
    });
    assert.deepEqual(readImportResult(parseReply(xml)), {
      processed: 1,
      skipped: 0,
      warnings: 1,
      errors: 0,
      contacts: [{ externalId: "room-101", id: "55", act: "update", info: "numoffice sanitised" }],
    });
  });

  test("call report rows with numbers", () => {
    const xml = renderResult({
      outcome: 0,
      call: [
        {
          id: 991,
          start_time: "2026-11-23 07:00:01",
          duration: 65,
          outcome: 1,
          calling_id: 7,
          calling_type: 0,
          calling_number: "2101",
          called_number: "0039055123456",
          talk_time: 60,
          call_ref_id: "",
          internal: 0,
        },
      ],
    });
    const [row] = readCallReport(parseReply(xml));
    assert.equal(row.id, "991");
    assert.equal(row.duration, 65);
    assert.equal(row.outcome, 1);
    assert.equal(row.callingType, 0);
    assert.equal(row.talkTime, 60);
    assert.equal(row.internal, false);
  });

  test("entities, CDATA, comments and a lone < in text", () => {
    const doc = parseXml(
      '<?xml version="1.0"?><!-- c --><result><outcome>1</outcome><error>a &lt; b &amp; c &#233; &#x41;<![CDATA[ <raw> ]]> x < y</error></result>',
    );
    assert.equal(childText(child(doc, "result"), "error"), "a < b & c é A <raw>  x < y");
  });

  test("what is not XML", () => {
    assert.equal(parseReply("").isXml, false);
    assert.equal(parseReply("Service Unavailable").isXml, false);
    assert.equal(parseReply("<html><body>502 Bad Gateway</body></html>").isXml, false);
    assert.equal(parseReply("<result><outcome>0</outcome></result>").isXml, true);
  });

  test("self-closing elements and unknown elements", () => {
    const r = parseReply("<result><outcome>0</outcome><request_id/><later>x</later></result>");
    assert.equal(r.outcome, 0);
    assert.equal(r.requestId, undefined, "an empty request id is none");
    assert.equal(childText(r.result, "later"), "x");
  });
});

describe("VOIspeed requests", () => {
  test("the query: service and token first, then the parameters", () => {
    const q = requestQuery(services.setUserMode, "tok en&", setUserModeParams("2101", userModes.dnd));
    assert.equal(q.toString(), "service=set_user_mode&token=tok+en%26&ext=2101&mode=2");
    assert.deepEqual(getEntitiesParams(0), { entity_type: "0" });
    assert.deepEqual(getEntitiesParams(7, "12"), { entity_type: "7", owner_id: "12" });
    assert.deepEqual(deleteSyncedContactParams("bellhop", "room-101"), {
      app_name: "bellhop",
      external_contact_id: "room-101",
    });
    assert.deepEqual(userModes, { normal: 1, dnd: 2, away: 3, divert: 4 });
  });

  test("the import body: one multipart field `contacts` holding the JSON array", () => {
    const { contentType, body } = importSyncBody(
      [{ name: "Élise Dupont", surname: "", numoffice: "2101", uc_app_name: "bellhop", uc_external_id: "room-101" }],
      "B0UND",
    );
    assert.equal(contentType, "multipart/form-data; boundary=B0UND");
    const text = new TextDecoder().decode(body);
    assert.equal(
      text,
      '--B0UND\r\nContent-Disposition: form-data; name="contacts"\r\n\r\n' +
        '[{"name":"Élise Dupont","surname":"","numoffice":"2101","uc_app_name":"bellhop","uc_external_id":"room-101"}]\r\n' +
        "--B0UND--\r\n",
    );
  });

  test("a reply rendered and read back", () => {
    const xml = renderResult({ outcome: 1, error: "ext <2101> & more" });
    assert.match(xml, /^<\?xml version="1.0" encoding="UTF-8" \?>\n<result>/);
    const r = parseReply(xml);
    assert.equal(r.outcome, 1);
    assert.equal(r.error, "ext <2101> & more");
  });
});

describe("VOIspeed reject texts", () => {
  const permanent = [
    "invalid token",
    "token non valido",
    "missing parameter ext",
    "parametro mancante",
    "ext 2101 not enabled in this module",
    "unknown service",
    "connection not found",
    "interno inesistente",
    "bad mode",
    "mode: 9",
    "wrong value for app_name",
  ];
  const transient = [
    "database busy, try again",
    "timeout contacting the switch",
    "service temporarily unavailable",
    "internal error",
    "too many requests",
    "",
    "qualcosa è andato storto",
  ];
  for (const t of permanent) test(`permanent: ${JSON.stringify(t)}`, () => assert.equal(isPermanentReject(t), true));
  for (const t of transient) test(`retried: ${JSON.stringify(t)}`, () => assert.equal(isPermanentReject(t), false));

  test("not found, for deletes", () => {
    assert.equal(isNotFoundReject("contact not found"), true);
    assert.equal(isNotFoundReject("contatto non trovato"), true);
    assert.equal(isNotFoundReject("invalid token"), false);
  });
});

describe("VOIspeed events", () => {
  test("the Hello world's user events", () => {
    const events = [
      "event_type=2&event=9&event_name=outgoing_call&ext=35",
      "event_type=2&event=14&event_name=call_answered&ext=35",
      "event_type=2&event=16&event_name=call_disconnect_out&ext=35",
    ].map((q) => readEvent(new URLSearchParams(q)));
    assert.deepEqual(
      events.map((e) => [e.family, e.name, e.code, e.params.ext]),
      [
        ["user", "outgoing_call", 9, "35"],
        ["user", "call_answered", 14, "35"],
        ["user", "call_disconnect_out", 16, "35"],
      ],
    );
  });

  test("overlapping codes: dispatch on the name", () => {
    const failed = readEvent({ event_type: "2", event: "1", event_name: "cmd_failed", ext: "35", request_id: "77" });
    assert.equal(failed.family, "user");
    const callIn = readEvent({ event_type: "3", event: "1", event_name: "call_in", call_id: "10" });
    assert.deepEqual([callIn.family, callIn.name, callIn.code], ["ssn", "call_in", 1]);
    const terminated = readEvent({ event: "10", event_name: " call_terminated ", call_id: " 4711 ", outcome: "1" });
    assert.deepEqual(
      [terminated.family, terminated.name, terminated.params.call_id],
      ["ssn", "call_terminated", "4711"],
    );
  });

  test("call_transfer is in both families", () => {
    assert.equal(readEvent({ event_type: "2", event: "18", event_name: "call_transfer" }).family, "user");
    assert.equal(readEvent({ event: "18", event_name: "call_transfer" }).family, "user");
    assert.equal(readEvent({ event: "7", event_name: "call_transfer" }).family, "ssn");
  });

  test("no name: a user event by its code; otherwise unknown", () => {
    const byCode = readEvent({ event_type: "2", event: "10", ext: "2101" });
    assert.deepEqual([byCode.family, byCode.name], ["user", "new_voicemail"]);
    assert.equal(readEvent({ event: "10" }).family, "unknown");
    const odd = readEvent({ event_name: "room_cleaned", event: "99" });
    assert.deepEqual([odd.family, odd.name, odd.code], ["unknown", "room_cleaned", 99]);
  });

  test("cmd_failed: the request id and the reason", () => {
    const e = readEvent(
      new URLSearchParams(
        "event_type=2&event=1&event_name=cmd_failed&ext=2101&request_id=+15652770917203+&error_msg=user+busy&error_code=7",
      ),
    );
    assert.deepEqual(readCmdFailed(e), { ext: "2101", requestId: "15652770917203", error: "user busy (code 7)" });
    assert.equal(
      readCmdFailed(readEvent({ event_type: "2", event_name: "cmd_failed", request_id: "1" }))?.error,
      "no reason given",
    );
    assert.equal(
      readCmdFailed(readEvent({ event_type: "2", event_name: "cmd_failed", request_id: "1", error: "boom" }))?.error,
      "boom",
    );
    assert.equal(readCmdFailed(readEvent({ event_type: "2", event_name: "lost_call" })), undefined);
  });

  test("IVR node keys", () => {
    assert.equal(ivrNodeKey(" 9 ", "0"), "9/0");
  });
});

describe("VOIspeed callback networks", () => {
  const link = { name: "vs", url: "https://192.0.2.7/PBX/seri_endpoint.php", callbackNetworks: null };

  test("configured networks win", async () => {
    assert.deepEqual(await callbackNetworksOf({ ...link, callbackNetworks: ["10.0.0.0/8"] }), ["10.0.0.0/8"]);
  });

  test("default: the url's host address", async () => {
    assert.deepEqual(await callbackNetworksOf(link), ["192.0.2.7/32"]);
    assert.deepEqual(await callbackNetworksOf({ ...link, url: "http://[::1]:8080/x" }), ["::1/128"]);
  });

  test("a name is looked up: every address it has", async () => {
    const lookup = async (host: string) => (host === "pbx.hotel.lan" ? ["192.0.2.9", "2001:db8::9", "192.0.2.9"] : []);
    assert.deepEqual(await callbackNetworksOf({ ...link, url: "https://pbx.hotel.lan/seri" }, lookup), [
      "192.0.2.9/32",
      "2001:db8::9/128",
    ]);
  });

  test("a name without an address is an error naming it", async () => {
    await assert.rejects(
      callbackNetworksOf({ ...link, url: "https://nowhere.invalid/seri" }, async () => {
        throw new Error("ENOTFOUND");
      }),
      /vs: cannot look up nowhere\.invalid for callbackNetworks \(ENOTFOUND\); set callbackNetworks/,
    );
    await assert.rejects(
      callbackNetworksOf({ ...link, url: "https://empty.invalid/seri" }, async () => []),
      /empty\.invalid has no address/,
    );
  });
});
