import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MonitorHub, partyOf } from "../../src/cti/monitor.ts";
import type { EncodedEvent } from "../../src/cti/protocol.ts";
import { FakeClock } from "../../src/lib/clock.ts";

class Sink {
  readonly text: string[] = [];
  deliver(ev: EncodedEvent): void {
    this.text.push(ev.standard);
  }
  get lines(): string[] {
    return this.text.join("").split("\r\n").filter(Boolean);
  }
}

describe("MonitorHub: a phone's action URLs → STLI events", () => {
  test("an incoming call answered and hung up, to every channel monitoring the phone only", () => {
    const hub = new MonitorHub(new FakeClock());
    const [a, b, other] = [new Sink(), new Sink(), new Sink()];
    hub.subscribe("102", a);
    hub.subscribe("102", b);
    hub.subscribe("103", other);
    const p = { remote: "sip:0612345678@pbx.example;user=phone", callId: "c1" };
    assert.equal(hub.phoneEvent("102", "incoming", p), 2);
    hub.phoneEvent("102", "connected", p);
    hub.phoneEvent("102", "disconnected", p);
    const expected = [
      'Delivered 102 newCall 102 0612345678 102 ""',
      "DeviceInformation 102 1 (alerting)",
      'Established 102 "" 102 0612345678 102 ""',
      'ConnectionCleared 102 normalClearing 102 ""',
      "DeviceInformation 102 0 (idle)",
    ];
    assert.deepEqual(a.lines, expected);
    assert.deepEqual(b.lines, expected);
    assert.deepEqual(other.lines, []);
    assert.equal(hub.phoneEvent("104", "incoming", p), 0, "nobody monitors 104");
  });

  test("an outgoing call our MakeCall started says makeCall; one the guest dialled says newCall", () => {
    const clock = new FakeClock();
    const hub = new MonitorHub(clock);
    const s = new Sink();
    hub.subscribe("101", s);
    hub.madeCall("101", "102");
    hub.phoneEvent("101", "outgoing", { remote: "sip:102@pbx", callId: "x" });
    hub.phoneEvent("101", "connected", { remote: "sip:102@pbx", callId: "x" });
    hub.phoneEvent("101", "outgoing", { remote: "102", callId: "y" });
    assert.deepEqual(s.lines, [
      "Originated 101 makeCall 101 102 101",
      "DeviceInformation 101 1 (initiated)",
      'Established 101 "" 102 101 102 ""',
      "Originated 101 newCall 101 102 101",
      "DeviceInformation 101 2 (connected,initiated)",
    ]);
  });

  test("disconnected and missed for one call: one ConnectionCleared; hold, unhold, DND", () => {
    const hub = new MonitorHub(new FakeClock());
    const s = new Sink();
    hub.subscribe("102", s);
    hub.phoneEvent("102", "incoming", { remote: "201", callId: "k" });
    hub.phoneEvent("102", "missed", { remote: "201", callId: "k" });
    hub.phoneEvent("102", "disconnected", { remote: "201", callId: "k" });
    hub.phoneEvent("102", "incoming", { remote: "202", callId: "m" });
    hub.phoneEvent("102", "connected", { remote: "202", callId: "m" });
    hub.phoneEvent("102", "hold", { callId: "m" });
    assert.equal(hub.holdWouldToggleWrongWay("102", "HoldCall"), true);
    assert.equal(hub.holdWouldToggleWrongWay("102", "RetrieveCall"), false);
    hub.phoneEvent("102", "unhold", { callId: "m" });
    hub.phoneEvent("102", "dnd-on");
    hub.phoneEvent("102", "dnd-off");
    assert.deepEqual(s.lines.slice(2), [
      'ConnectionCleared 102 normalClearing 201 ""',
      "DeviceInformation 102 0 (idle)",
      'Delivered 102 newCall 102 202 102 ""',
      "DeviceInformation 102 1 (alerting)",
      'Established 102 "" 102 202 102 ""',
      'Held 102 "" 102',
      'Retrieved 102 "" 102',
      "DoNotDisturb 102 102 On",
      "DoNotDisturb 102 102 Off",
    ]);
  });

  test("a ringing call rejected by ClearConnection ends here (the phone reports no rejection)", () => {
    const hub = new MonitorHub(new FakeClock());
    const s = new Sink();
    hub.subscribe("102", s);
    hub.phoneEvent("102", "incoming", { remote: "201", callId: "r" });
    assert.equal(hub.clearedByCommand("102"), 1);
    hub.phoneEvent("102", "missed", { remote: "201", callId: "r" });
    assert.equal(s.lines.filter((l) => l.startsWith("ConnectionCleared")).length, 1);
    hub.unsubscribe("102", s);
    assert.equal(hub.monitors("102"), 0);
    assert.equal(hub.phoneEvent("102", "incoming", { remote: "201", callId: "s" }), 0);
  });

  test("partyOf: the user part of what a phone reports", () => {
    assert.equal(partyOf('"Anna" <sip:+3906123@pbx.example;user=phone>'), "+3906123");
    assert.equal(partyOf("tel:555"), "555");
    assert.equal(partyOf("0612345678"), "0612345678");
    assert.equal(partyOf(undefined), "");
  });
});
