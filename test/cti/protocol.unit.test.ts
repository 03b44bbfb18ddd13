import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { LineReader } from "../../src/cti/lines.ts";
import { encodeEvent, param, parseCommand, reply } from "../../src/cti/protocol.ts";

const enc = new TextEncoder();

describe("STLI command lines", () => {
  test("the handshake, with and without TeamCall options", () => {
    assert.deepEqual(parseCommand("STLI"), { kind: "stli" });
    assert.deepEqual(parseCommand("STLI;Version=2"), { kind: "stli", version: "2" });
    assert.deepEqual(parseCommand("STLI;Version=2;DeviceInformation=Standard"), {
      kind: "stli",
      version: "2",
      deviceInformation: "Standard",
    });
    assert.deepEqual(parseCommand("stli;deviceinformation=off"), { kind: "stli", deviceInformation: "Off" });
    assert.equal(parseCommand("STLI;DeviceInformation=Loud").kind, "invalid");
    assert.equal(parseCommand("STLI extra").kind, "invalid");
  });

  test("every device command with its arity; names in any case, answered in the seed's spelling", () => {
    assert.deepEqual(parseCommand("MakeCall 101 102"), {
      kind: "device",
      name: "MakeCall",
      device: "101",
      number: "102",
    });
    assert.deepEqual(parseCommand("makecall\t101   0039061234"), {
      kind: "device",
      name: "MakeCall",
      device: "101",
      number: "0039061234",
    });
    for (const name of [
      "AnswerCall",
      "ClearConnection",
      "HoldCall",
      "RetrieveCall",
      "TransferCall",
      "MonitorStart",
      "MonitorStop",
    ]) {
      assert.deepEqual(parseCommand(`${name} 102`), { kind: "device", name, device: "102" });
      const none = parseCommand(name);
      assert.equal(none.kind, "invalid");
      assert.equal(none.kind === "invalid" && none.name, name);
      assert.equal(parseCommand(`${name} 102 103`).kind, "invalid");
    }
    assert.equal(parseCommand("MakeCall 101").kind, "invalid");
    assert.equal(parseCommand("MakeCall 101 102 103").kind, "invalid");
  });

  test("BYE, RawCommand JSON, blank lines, unknown and malformed lines", () => {
    assert.deepEqual(parseCommand("BYE"), { kind: "bye" });
    assert.deepEqual(parseCommand('{"method" : "GET", "resource" : "/restapi"}'), { kind: "raw" });
    assert.deepEqual(parseCommand("{not even json"), { kind: "raw" });
    assert.deepEqual(parseCommand("   "), { kind: "empty" });
    const unknown = parseCommand("ConferenceCall 101");
    assert.deepEqual(unknown, { kind: "invalid", name: "ConferenceCall", reason: "unknown command" });
    const junk = parseCommand("\u0001\u0002 $$$");
    assert.equal(junk.kind === "invalid" && junk.name, "Unknown", "junk is never echoed");
    assert.equal(parseCommand("MonitorStart 10;1").kind, "invalid");
    assert.equal(parseCommand('MakeCall 101 "102"').kind, "invalid");
  });

  test("replies end CR LF", () => {
    assert.equal(reply(true, "MakeCall"), "error_ind SUCCESS MakeCall\r\n");
    assert.equal(reply(false, "RawCommand"), "error_ind ERROR RawCommand\r\n");
  });
});

describe("STLI event lines (TeamCall form; unverified against the 24U plug-in)", () => {
  test("call events carry a DeviceInformation line unless the channel turned it off", () => {
    const d = encodeEvent(
      { name: "Delivered", device: "102", cause: "newCall", calling: "0612345678", called: "102" },
      ["alerting"],
    );
    assert.equal(d.standard, 'Delivered 102 newCall 102 0612345678 102 ""\r\nDeviceInformation 102 1 (alerting)\r\n');
    assert.equal(d.off, 'Delivered 102 newCall 102 0612345678 102 ""\r\n');
    const o = encodeEvent({ name: "Originated", device: "101", cause: "makeCall", calling: "101", called: "102" }, [
      "initiated",
    ]);
    assert.equal(o.standard, "Originated 101 makeCall 101 102 101\r\nDeviceInformation 101 1 (initiated)\r\n");
    const c = encodeEvent({ name: "ConnectionCleared", device: "102", cause: "normalClearing", releasing: "102" }, []);
    assert.equal(c.standard, 'ConnectionCleared 102 normalClearing 102 ""\r\nDeviceInformation 102 0 (idle)\r\n');
  });

  test("the other events are one line", () => {
    const e = encodeEvent(
      { name: "Established", device: "102", cause: "", answering: "102", calling: "0612345678", called: "102" },
      ["connected"],
    );
    assert.equal(e.standard, 'Established 102 "" 102 0612345678 102 ""\r\n');
    assert.equal(encodeEvent({ name: "Held", device: "102", cause: "" }, ["held"]).standard, 'Held 102 "" 102\r\n');
    assert.equal(
      encodeEvent({ name: "Retrieved", device: "102", cause: "" }, ["connected"]).standard,
      'Retrieved 102 "" 102\r\n',
    );
    assert.equal(
      encodeEvent({ name: "DoNotDisturb", device: "102", on: true }, []).standard,
      "DoNotDisturb 102 102 On\r\n",
    );
  });

  test("a parameter can neither break the line nor the quoting", () => {
    assert.equal(param(""), '""');
    assert.equal(param("Anna Rossi"), '"Anna Rossi"');
    assert.equal(param('12\r\nBYE"x'), "12BYEx");
  });
});

describe("LineReader", () => {
  test("LF, CR LF and CR end a line, across chunk boundaries", () => {
    const r = new LineReader(64);
    const texts = (chunks: string[]) =>
      chunks.flatMap((c) => r.push(enc.encode(c))).map((e) => (e.kind === "line" ? e.text : `!${e.size}`));
    assert.deepEqual(texts(["STLI\r", "\nMake", "Call 1 2\nBYE\r\r\n"]), ["STLI", "MakeCall 1 2", "BYE", ""]);
  });

  test("a line past the cap is reported once, with its start, and not buffered", () => {
    const r = new LineReader(16);
    const out = [...r.push(enc.encode(`MakeCall ${"9".repeat(100)}`)), ...r.push(enc.encode("9".repeat(1000)))];
    assert.deepEqual(out, []);
    assert.ok(r.pending <= 16);
    const end = r.push(enc.encode("\nBYE\n"));
    assert.equal(end.length, 2);
    assert.equal(end[0]?.kind, "overflow");
    assert.equal(end[0]?.kind === "overflow" && end[0].size, 1109);
    assert.equal(end[0]?.kind === "overflow" && end[0].head.startsWith("MakeCall"), true);
    assert.deepEqual(end[1], { kind: "line", text: "BYE" });
  });
});
